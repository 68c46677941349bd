package segment

import (
	"bytes"
	"os"
	"slices"
	"testing"

	"github.com/sluicelogs/sluice/testkit/memtest"
)

// sealedFixture is a log of two segments, the first sealed, with its
// files' bytes: what the index fuzz targets start from.
type sealedFixture struct {
	dir           string
	opts          Options
	leo           int64
	index, tindex []byte // the sealed segment's
	sealedLog     string
}

func sealedLog(tb testing.TB) sealedFixture {
	var fixture sealedFixture
	{
		dir := tb.TempDir()
		opts := Options{SegmentBytes: 4 << 10, IndexIntervalBytes: 256}
		l, err := Open(dir, opts, nil)
		if err != nil {
			tb.Fatal(err)
		}
		for i := 0; i < 80; i++ {
			if _, _, err := l.Append(makeBatch(tb, [][]byte{bytes.Repeat([]byte{byte(i)}, 40)}, int64(1000+10*i)), 0); err != nil {
				tb.Fatal(err)
			}
		}
		fixture = sealedFixture{dir: dir, opts: opts, leo: l.LogEndOffset()}
		l.Close()
		fixture.sealedLog = segmentPath(dir, 0, logSuffix)
		fixture.index, _ = os.ReadFile(segmentPath(dir, 0, indexSuffix))
		fixture.tindex, _ = os.ReadFile(segmentPath(dir, 0, timeIndexSuffix))
		if len(segFiles(tb, dir, logSuffix)) < 2 || len(fixture.index) == 0 || len(fixture.tindex) == 0 {
			tb.Fatalf("fixture: want a sealed segment with index entries")
		}
	}
	return fixture
}

// FuzzDecodeIndexes: decoding any .index/.timeindex pair never panics; it
// either fails with an error or returns entries that keep the index
// invariants (inside the log, strictly increasing), and it allocates no
// more than a small multiple of its input.
func FuzzDecodeIndexes(f *testing.F) {
	fx := sealedLog(f)
	size := fileSize(f, fx.sealedLog)
	f.Add(fx.index, fx.tindex, size)
	f.Add(fx.index[:len(fx.index)-3], fx.tindex, size)
	f.Add(slices.Concat(fx.index, fx.index[:8]), fx.tindex, size)
	f.Add(fx.index, slices.Concat(fx.tindex, fx.tindex[:12]), size)
	f.Add([]byte{}, []byte{}, int64(0))
	f.Add(bytes.Repeat([]byte{0xff}, 64), bytes.Repeat([]byte{0x7f}, 48), int64(1<<40))
	f.Fuzz(func(t *testing.T, ib, tb []byte, logSize int64) {
		var off []indexEntry
		var tim []timeEntry
		var err error
		grew := memtest.Allocated(func() { off, tim, err = decodeIndexes(ib, tb, logSize) })
		if grew > uint64(2*(len(ib)+len(tb)))+64<<10 {
			t.Fatalf("decoding %d+%d bytes allocated %d", len(ib), len(tb), grew)
		}
		if err != nil {
			if off != nil || tim != nil || err.Error() == "" {
				t.Fatalf("error %q with entries", err)
			}
			return
		}
		if len(off) != len(ib)/indexEntrySize || len(tim) != len(tb)/timeIndexEntrySize {
			t.Fatalf("%d/%d entries from %d/%d bytes", len(off), len(tim), len(ib), len(tb))
		}
		for i, e := range off {
			if e.pos == 0 || int64(e.pos) >= logSize || e.rel == 0 || (i > 0 && (e.rel <= off[i-1].rel || e.pos <= off[i-1].pos)) {
				t.Fatalf("accepted offset entry %d %+v", i, e)
			}
		}
		for i, e := range tim {
			if i > 0 && (e.ts <= tim[i-1].ts || e.rel < tim[i-1].rel) {
				t.Fatalf("accepted time entry %d %+v", i, e)
			}
		}
	})
}

// FuzzSealedSegmentIndexes: whatever a sealed segment's .index and
// .timeindex hold, Open succeeds (keeping them only if they match the
// data, else rebuilding them) and the log reads and searches by time
// exactly as it did with the indexes it wrote.
func FuzzSealedSegmentIndexes(f *testing.F) {
	fx := sealedLog(f)
	ref := openLog(f, copyDir(f, fx.dir), fx.opts)
	ref.SetHighWatermark(ref.LogEndOffset())
	want := map[int64][]byte{}
	for o := int64(0); o < fx.leo; o += 3 {
		b, err := ref.ReadBytes(o, 1<<20, fx.leo)
		if err != nil || len(b) == 0 {
			f.Fatalf("reference read at %d: %v", o, err)
		}
		want[o] = b
	}
	wantTs := map[int64]int64{}
	for _, ts := range []int64{0, 1000, 1005, 1200, 1790, 1800, 5000} {
		wantTs[ts], _ = ref.OffsetForTimestamp(ts)
	}
	f.Add(fx.index, fx.tindex)
	f.Add(fx.index[:8], fx.tindex[:12])
	f.Add([]byte{}, []byte{})
	f.Add(slices.Concat(fx.index[8:], fx.index[:8]), fx.tindex)
	f.Add(fx.index, bytes.Repeat([]byte{0xee}, 24))
	f.Fuzz(func(t *testing.T, ib, tb []byte) {
		dir := copyDir(t, fx.dir)
		if err := os.WriteFile(segmentPath(dir, 0, indexSuffix), ib, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(segmentPath(dir, 0, timeIndexSuffix), tb, 0o644); err != nil {
			t.Fatal(err)
		}
		l, err := Open(dir, fx.opts, nil)
		if err != nil {
			t.Fatalf("open with fuzzed indexes: %v", err)
		}
		defer l.Close()
		if l.LogEndOffset() != fx.leo {
			t.Fatalf("log end %d, want %d", l.LogEndOffset(), fx.leo)
		}
		l.SetHighWatermark(l.LogEndOffset())
		for o := int64(0); o < fx.leo; o += 3 {
			got, err := l.ReadBytes(o, 1<<20, fx.leo)
			if err != nil || !bytes.Equal(got, want[o]) {
				t.Fatalf("read at %d: %d bytes (%v), want the %d read with the written indexes", o, len(got), err, len(want[o]))
			}
		}
		for ts, off := range wantTs {
			if got, err := l.OffsetForTimestamp(ts); err != nil || got != off {
				t.Fatalf("offset for time %d: %d (%v), want %d", ts, got, err, off)
			}
		}
	})
}

// TestOversizedIndexNotRead: a sealed segment's .index grown far past
// what its log could need (here a sparse 256 MiB file) is rebuilt without
// being read into memory.
func TestOversizedIndexNotRead(t *testing.T) {
	fx := sealedLog(t)
	dir := copyDir(t, fx.dir)
	for _, suf := range []string{indexSuffix, timeIndexSuffix} {
		if err := os.Truncate(segmentPath(dir, 0, suf), 256<<20); err != nil {
			t.Fatal(err)
		}
	}
	var l *Log
	if grew := memtest.Allocated(func() { l = openLog(t, dir, fx.opts) }); grew > 64<<20 {
		t.Fatalf("opening allocated %d MiB", grew>>20)
	}
	if l.LogEndOffset() != fx.leo {
		t.Fatalf("log end %d, want %d", l.LogEndOffset(), fx.leo)
	}
	if got := fileSize(t, segmentPath(dir, 0, indexSuffix)); got != int64(len(fx.index)) {
		t.Fatalf("index not rebuilt: %d bytes, want %d", got, len(fx.index))
	}
}
