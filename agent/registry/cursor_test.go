package registry

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCursorBackwardCompatible: a registry file written before entries
// had a cursor loads unchanged, and a cursor survives a write and a read;
// an entry without one is written without the key.
func TestCursorBackwardCompatible(t *testing.T) {
	dir := t.TempDir()
	old := `{"version":1,"files":[{"key":"in/1-2","path":"/x.log","offset":42,"fp_len":10,"fp":"ff","instance":"ab","updated":"2024-03-01T00:00:00Z"}]}`
	if err := os.WriteFile(filepath.Join(dir, FileName), []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if e, ok := r.Get("in/1-2"); !ok || e.Offset != 42 || e.Instance != "ab" || e.Cursor != "" {
		t.Fatalf("old entry: %+v %v", e, ok)
	}
	r.Set(Entry{Key: "sys/journald", Path: "/var/log/journal", Cursor: "s=1;i=2"})
	if err := r.Flush(); err != nil {
		t.Fatal(err)
	}
	r2, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if e, _ := r2.Get("sys/journald"); e.Cursor != "s=1;i=2" {
		t.Fatalf("cursor after reopening: %+v", e)
	}
	b, _ := os.ReadFile(filepath.Join(dir, FileName))
	if n := strings.Count(string(b), `"cursor"`); n != 1 {
		t.Fatalf("%d cursor keys in %s", n, b)
	}
}
