package journalfile_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/sluicelogs/sluice/agent/journalfile"
)

// TestTruncatedUnderReader: a journal file cut short while it is mapped
// (its pages beyond the new end fault: SIGBUS) gives the reader an error,
// not a crash of the process, once ReadGuard is in force.
func TestTruncatedUnderReader(t *testing.T) {
	requireTools(t)
	dir := t.TempDir()
	write(t, dir, "cut.journal", exportEntries(0, 400, 3))
	path := filepath.Join(dir, "cut.journal")
	f, err := journalfile.Open(path, journalfile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	defer journalfile.ReadGuard()()
	var e journalfile.Entry
	for range 5 {
		if ok, err := f.Next(&e); !ok || err != nil {
			t.Fatalf("before the cut: %v %v", ok, err)
		}
	}
	if err := os.Truncate(path, 4096); err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		ok, err := f.Next(&e)
		if err == nil && ok {
			err = f.Fields(&e)
		}
		if err != nil {
			if !errors.Is(err, journalfile.ErrFormat) {
				t.Fatalf("entry %d after the cut: %v, want an ErrFormat", i, err)
			}
			t.Logf("entry %d after the cut: %v", i, err)
			return
		}
		if !ok {
			t.Fatalf("the walk ended after %d entries with no error", i)
		}
	}
}
