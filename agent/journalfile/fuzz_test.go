package journalfile_test

import (
	"fmt"
	"testing"

	"github.com/sluicelogs/sluice/agent/journalfile"
)

func sample(n int) [][]string {
	var es [][]string
	for i := range n {
		es = append(es, []string{fmt.Sprintf("MESSAGE=entry %d", i), "_BOOT_ID=626f6f742d69642d3031323334353637", fmt.Sprintf("N=%d", i%3)})
	}
	return es
}

// TestBuiltLayouts reads the four layouts (regular or compact, plain or
// LZ4) the way build writes them, across entry arrays of two items.
func TestBuiltLayouts(t *testing.T) {
	want := sample(5)
	for _, compact := range []bool{false, true} {
		for _, lz := range []bool{false, true} {
			f, err := journalfile.FromBytes(build(compact, lz, 2, want), journalfile.Options{})
			if err != nil {
				t.Fatal(err)
			}
			var e journalfile.Entry
			for i := 0; ; i++ {
				ok, err := f.Next(&e)
				if err != nil {
					t.Fatalf("compact %v lz4 %v: %v", compact, lz, err)
				}
				if !ok {
					if i != len(want) {
						t.Fatalf("compact %v lz4 %v: %d entries", compact, lz, i)
					}
					break
				}
				if err := f.Fields(&e); err != nil {
					t.Fatal(err)
				}
				if e.Seqnum != uint64(i+1) || fmt.Sprintf("%q", e.Fields) != fmt.Sprintf("%q", want[i]) {
					t.Fatalf("compact %v lz4 %v entry %d: seqnum %d %q", compact, lz, i, e.Seqnum, e.Fields)
				}
			}
		}
	}
}

// TestSkipBelow: skipping to a seqnum across entry arrays of two items
// lands on that entry (seqnums 1 to 5), or at the end past them.
func TestSkipBelow(t *testing.T) {
	b := build(true, false, 2, sample(5))
	for seq := uint64(0); seq <= 7; seq++ {
		f, err := journalfile.FromBytes(b, journalfile.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.SkipBelow(seq); err != nil {
			t.Fatal(err)
		}
		var e journalfile.Entry
		ok, err := f.Next(&e)
		switch {
		case err != nil:
			t.Fatal(err)
		case seq > 5 && ok:
			t.Fatalf("skip below %d: entry %d", seq, e.Seqnum)
		case seq <= 5 && (!ok || e.Seqnum != max(seq, 1)):
			t.Fatalf("skip below %d: %v, entry %d", seq, ok, e.Seqnum)
		}
	}
}

// FuzzFile reads whatever bytes as a journal file: errors are fine,
// panics and unbounded allocations are not.
func FuzzFile(f *testing.F) {
	for _, compact := range []bool{false, true} {
		for _, lz := range []bool{false, true} {
			f.Add(build(compact, lz, 2, sample(3)))
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		jf, err := journalfile.FromBytes(b, journalfile.Options{MaxFieldBytes: 1 << 16})
		if err != nil {
			return
		}
		if skip, err := journalfile.FromBytes(b, journalfile.Options{}); err == nil {
			_ = skip.SkipBelow(uint64(len(b) % 7))
			var e journalfile.Entry
			_, _ = skip.Next(&e)
		}
		var e journalfile.Entry
		var fields [][]byte
		var buf []byte
		for range 1000 {
			ok, err := jf.Next(&e)
			if err != nil || !ok {
				return
			}
			if err := jf.Fields(&e); err != nil {
				continue
			}
			fields, buf = journalfile.ExportFields(fields[:0], buf, &e)
			c := journalfile.At(&e)
			if c.Compare(&e) != 0 {
				t.Fatal("an entry is not at its own cursor")
			}
			p, err := journalfile.ParseCursor(string(journalfile.AppendCursor(nil, &e)))
			if err != nil || p != c {
				t.Fatalf("cursor round trip: %v %+v %+v", err, p, c)
			}
		}
	})
}

// FuzzParseCursor parses whatever string as a cursor.
func FuzzParseCursor(f *testing.F) {
	f.Add("s=04f741a5fcc449ae9d6c6f4a6f1697b3;i=1;b=0123456789abcdef0123456789abcdef;m=3039;t=60a24181e4000;x=26ad9697f6dca841")
	f.Add("t=1;m=2")
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = journalfile.ParseCursor(s)
	})
}
