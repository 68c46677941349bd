package registry

import (
	"os"
	"path/filepath"
	"testing"
)

func TestFlushAndReopen(t *testing.T) {
	dir := t.TempDir()
	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	r.Set(Entry{Key: "in/1-2", Path: "/x.log", Offset: 42, FPLen: 10, FP: "ff"})
	r.Set(Entry{Key: "in/1-3", Path: "/y.log", Offset: 7})
	r.Delete("in/1-3")
	if err := r.Flush(); err != nil {
		t.Fatal(err)
	}
	r2, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	e, ok := r2.Get("in/1-2")
	if !ok || e.Offset != 42 || e.FPHash() != 255 || r2.Len() != 1 {
		t.Fatalf("reopened: %+v %v len %d", e, ok, r2.Len())
	}
	left, _ := filepath.Glob(filepath.Join(dir, "*.tmp-*"))
	if len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}

func TestCorruptRegistryIsAnError(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, FileName), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir); err == nil {
		t.Fatal("no error for a corrupt registry")
	}
}
