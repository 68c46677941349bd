package journal

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
)

func binField(name string, value []byte) []byte {
	b := append([]byte(name), '\n')
	b = binary.LittleEndian.AppendUint64(b, uint64(len(value)))
	b = append(b, value...)
	return append(b, '\n')
}

// fields reads every entry of stream as name=value strings.
func readAll(t *testing.T, stream []byte, maxBytes int) ([][]string, []bool, error) {
	t.Helper()
	r := NewReader(bytes.NewReader(stream), maxBytes)
	var out [][]string
	var trunc []bool
	for {
		e, err := r.Next()
		if err == io.EOF {
			return out, trunc, nil
		}
		if err != nil {
			return out, trunc, err
		}
		var fs []string
		for _, f := range e.Fields {
			fs = append(fs, string(f.Name)+"="+string(f.Value))
		}
		out = append(out, fs)
		trunc = append(trunc, e.Truncated)
	}
}

func TestReader(t *testing.T) {
	var s []byte
	s = append(s, "__CURSOR=s=1;i=2\nMESSAGE=hello\nEMPTY=\n"...)
	s = append(s, binField("BIN", []byte("two\nlines\x00"))...)
	s = append(s, "\n\n\nMESSAGE=second=with equals\n\n"...)
	got, trunc, err := readAll(t, s, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"__CURSOR=s=1;i=2", "MESSAGE=hello", "EMPTY=", "BIN=two\nlines\x00"}, {"MESSAGE=second=with equals"}}
	if len(got) != 2 || strings.Join(got[0], "|") != strings.Join(want[0], "|") || strings.Join(got[1], "|") != strings.Join(want[1], "|") {
		t.Fatalf("got %q, want %q", got, want)
	}
	if trunc[0] || trunc[1] {
		t.Fatal("flagged truncated")
	}
}

func TestReaderErrors(t *testing.T) {
	for _, c := range []struct {
		name, stream string
		want         error
	}{
		{"cut entry", "MESSAGE=x\n", io.ErrUnexpectedEOF},
		{"cut line", "MESSAGE=x", io.ErrUnexpectedEOF},
		{"cut binary", "BIN\n\x05\x00\x00\x00\x00\x00\x00\x00ab", io.ErrUnexpectedEOF},
		{"bad name", "MES SAGE=x\n\n", ErrSyntax},
		{"empty name", "=x\n\n", ErrSyntax},
		{"binary without newline", "BIN\n\x01\x00\x00\x00\x00\x00\x00\x00ab\n", ErrSyntax},
		{"huge binary", "BIN\n\xff\xff\xff\xff\xff\xff\xff\xff\n", ErrSyntax},
		{"long line without =", strings.Repeat("A", 70000) + "\n\n", ErrSyntax},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := readAll(t, []byte(c.stream), 0)
			if !errors.Is(err, c.want) {
				t.Fatalf("err %v, want %v", err, c.want)
			}
		})
	}
}

// TestReaderBounds: values beyond maxBytes are cut, later fields
// dropped, the entry flagged, and the stream stays in step.
func TestReaderBounds(t *testing.T) {
	big := strings.Repeat("x", 200000) // longer than the reader's buffer
	var s []byte
	s = append(s, "A=12345\nMESSAGE="+big+"\nB=after\n\n"...)
	s = append(s, binField("BIN", []byte(big))...)
	s = append(s, "C=c\n\nNEXT=ok\n\n"...)
	got, trunc, err := readAll(t, s, 40)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("%d entries: %q", len(got), got)
	}
	if g := strings.Join(got[0], "|"); g != "A=12345|MESSAGE="+strings.Repeat("x", 40-6-7) || !trunc[0] {
		t.Fatalf("entry 1: %q truncated=%v", g, trunc[0])
	}
	if g := strings.Join(got[1], "|"); g != "BIN="+strings.Repeat("x", 37) || !trunc[1] {
		t.Fatalf("entry 2: %q truncated=%v", g, trunc[1])
	}
	if g := strings.Join(got[2], "|"); g != "NEXT=ok" || trunc[2] {
		t.Fatalf("entry 3: %q truncated=%v", g, trunc[2])
	}
}

// TestReaderAllocationBound: an entry of 64 MiB (a text value and a
// binary one) read with a bound of 64 KiB allocates a small multiple of
// the bound, not of the entry.
func TestReaderAllocationBound(t *testing.T) {
	const bound = 64 << 10
	big := bytes.Repeat([]byte("y"), 32<<20)
	var s []byte
	s = append(s, "MESSAGE="...)
	s = append(s, big...)
	s = append(s, '\n')
	s = append(s, binField("BIN", big)...)
	s = append(s, '\n')
	// A binary field claiming 1 TiB that the stream does not hold.
	s = append(s, "BIN\n\x00\x00\x00\x00\x00\x01\x00\x00"...)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	r := NewReader(bytes.NewReader(s), bound)
	e, err := r.Next()
	if err != nil || !e.Truncated {
		t.Fatalf("first entry: %v %v", e, err)
	}
	if _, err := r.Next(); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("the 1 TiB field: %v", err)
	}
	runtime.ReadMemStats(&after)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8*bound+(64<<10) {
		t.Fatalf("reading allocated %d bytes with a bound of %d", alloc, bound)
	}
}

// FuzzReader: any stream decodes to entries and then EOF or an error,
// never a panic; an entry keeps no more than the bound and only valid
// names. Seeds are in testdata/fuzz/FuzzReader.
func FuzzReader(f *testing.F) {
	f.Add([]byte("__CURSOR=s=1;i=2\nMESSAGE=hello\n\nMESSAGE=x\n\n"))
	f.Add(binField("BIN", []byte("a\nb")))
	f.Fuzz(func(t *testing.T, b []byte) {
		const bound = 100
		r := NewReader(bytes.NewReader(b), bound)
		for range 1000 {
			e, err := r.Next()
			if err != nil {
				if err != io.EOF && err != io.ErrUnexpectedEOF && !errors.Is(err, ErrSyntax) {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			n := 0
			for _, f := range e.Fields {
				n += len(f.Name) + len(f.Value)
				if checkName(f.Name) != nil {
					t.Fatalf("bad name %q", f.Name)
				}
			}
			if n > bound {
				t.Fatalf("entry of %d bytes, bound %d", n, bound)
			}
		}
	})
}
