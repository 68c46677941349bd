package registry

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
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

// TestSyncConcurrent: many goroutines each Set an entry and Sync while a
// writer flushes in a loop; after its Sync returns, a goroutine's entry is
// in the file (no older write lands over a newer one).
func TestSyncConcurrent(t *testing.T) {
	dir := t.TempDir()
	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var flusher sync.WaitGroup
	flusher.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
				if err := r.Flush(); err != nil {
					t.Error(err)
				}
			}
		}
	})
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			key := fmt.Sprintf("in/%d", i)
			r.Set(Entry{Key: key, Instance: key})
			if err := r.Sync(); err != nil {
				t.Error(err)
				return
			}
			onDisk, err := Open(dir)
			if err != nil {
				t.Error(err)
				return
			}
			if _, ok := onDisk.Get(key); !ok {
				t.Errorf("%s not on disk after Sync", key)
			}
		})
	}
	wg.Wait()
	close(stop)
	flusher.Wait()
}
