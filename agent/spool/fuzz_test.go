package spool

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// FuzzOpen: whatever a segment file holds, Open recovers it without
// panicking, never allocates for a length over MaxRecordBytes, reads only
// whole records with matching checksums, and appends go on after them.
func FuzzOpen(f *testing.F) {
	rec := func(p string) []byte {
		b := make([]byte, headerLen, headerLen+len(p))
		putUint32(b[0:4], uint32(len(p)))
		putUint32(b[4:8], crcOf([]byte(p)))
		return append(b, p...)
	}
	f.Add(rec("hello"))
	f.Add(append(rec("a"), rec("bc")...))
	f.Add(append(rec("a"), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0})
	f.Add(append(rec("one"), 0, 0, 0, 9, 1, 2, 3, 4, 'x'))
	f.Fuzz(func(t *testing.T, seg []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%020d.seg", 0)), seg, 0o640); err != nil {
			t.Fatal(err)
		}
		s, dropped, err := Open(Options{Dir: dir, MaxRecordBytes: 1024})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		_, end := s.Stats()
		if end+dropped != int64(len(seg)) {
			t.Fatalf("end %d + dropped %d != %d bytes", end, dropped, len(seg))
		}
		stop := make(chan struct{})
		close(stop)
		var last int64
		for {
			r, err := s.Next(stop)
			if errors.Is(err, ErrStopped) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.End <= last || len(r.Payload) == 0 {
				t.Fatalf("record ending at %d after %d, %d bytes", r.End, last, len(r.Payload))
			}
			last = r.End
		}
		e2, err := s.Append(nil, []byte("after"))
		if err != nil {
			t.Fatal(err)
		}
		if r, err := s.Next(stop); err != nil || string(r.Payload) != "after" || r.End != e2 {
			t.Fatalf("appended after recovery: %q %d %v", r.Payload, r.End, err)
		}
	})
}
