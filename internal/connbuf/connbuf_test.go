package connbuf

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

// TestReuse: a reader and a writer given back are handed out again, reset
// to the new connection, with their size.
func TestReuse(t *testing.T) {
	p := New(4096)
	r := p.Reader(strings.NewReader("first"))
	if b, _ := io.ReadAll(r); string(b) != "first" {
		t.Fatalf("read %q", b)
	}
	p.PutReader(r)
	r2 := p.Reader(strings.NewReader("second"))
	if b, _ := io.ReadAll(r2); string(b) != "second" || r2.Size() != 4096 {
		t.Fatalf("read %q from a reader of %d bytes", b, r2.Size())
	}
	var out bytes.Buffer
	w := p.Writer(&out)
	w.WriteString("x")
	p.PutWriter(w) // unflushed: dropped
	w2 := p.Writer(&out)
	w2.WriteString("y")
	w2.Flush()
	if out.String() != "y" || w2.Size() != 4096 {
		t.Fatalf("wrote %q through a writer of %d bytes", out.String(), w2.Size())
	}
	p.PutReader(nil)
	p.PutWriter(nil)
}

// TestSizes: a pool made with NewSizes hands out readers and writers of
// their own sizes, and a reader smaller than a read passes it straight
// through.
func TestSizes(t *testing.T) {
	p := NewSizes(4096, 65536)
	big := strings.Repeat("x", 10000)
	r := p.Reader(strings.NewReader(big))
	if r.Size() != 4096 {
		t.Fatalf("reader of %d bytes, want 4096", r.Size())
	}
	got := make([]byte, len(big))
	if _, err := io.ReadFull(r, got); err != nil || string(got) != big {
		t.Fatalf("read %d bytes through a 4 KiB reader: %v", len(got), err)
	}
	if w := p.Writer(io.Discard); w.Size() != 65536 {
		t.Fatalf("writer of %d bytes, want 65536", w.Size())
	}
}
