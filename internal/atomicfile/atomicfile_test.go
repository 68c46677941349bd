package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func noTemp(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Stat(path + TempSuffix); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("temporary file left behind (stat: %v)", err)
	}
}

// TestWriteFile: a new file is created, an existing one replaced, and a
// temporary file a crash left behind is written over.
func TestWriteFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "checkpoint")
	if err := WriteFile(path, []byte("one\n")); err != nil {
		t.Fatal(err)
	}
	if got := read(t, path); got != "one\n" {
		t.Fatalf("read %q", got)
	}
	if err := os.WriteFile(path+TempSuffix, []byte("torn leftover, longer than the next"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(path, []byte("two\n")); err != nil {
		t.Fatal(err)
	}
	if got := read(t, path); got != "two\n" {
		t.Fatalf("read %q after the replacement", got)
	}
	noTemp(t, path)
}

// TestWriteSeeks: the callback has the file itself, so it may go back and
// fill in a header once it knows the rest.
func TestWriteSeeks(t *testing.T) {
	path := filepath.Join(t.TempDir(), "snap")
	err := Write(path, func(f *os.File) error {
		if _, err := f.Write([]byte("..body")); err != nil {
			return err
		}
		_, err := f.WriteAt([]byte("h:"), 0)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := read(t, path); got != "h:body" {
		t.Fatalf("read %q", got)
	}
}

// TestWriteFails: when the content cannot be written or the rename
// fails, the target keeps its old content, the temporary file is gone,
// and the error says which path and why.
func TestWriteFails(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "checkpoint")
	if err := WriteFile(path, []byte("old")); err != nil {
		t.Fatal(err)
	}
	full := errors.New("no space left")
	err := Write(path, func(f *os.File) error {
		f.Write([]byte("half"))
		return full
	})
	if !errors.Is(err, full) {
		t.Fatalf("err %v, want the callback's", err)
	}
	if got := read(t, path); got != "old" {
		t.Fatalf("read %q after a failed write, want the old content", got)
	}
	noTemp(t, path)

	// A non-empty directory in the way: the rename fails.
	blocked := filepath.Join(dir, "blocked")
	if err := os.MkdirAll(filepath.Join(blocked, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(blocked, []byte("new")); err == nil {
		t.Fatal("replacing a non-empty directory succeeded")
	}
	noTemp(t, blocked)

	// A missing directory: nothing can be created.
	if err := WriteFile(filepath.Join(dir, "missing", "f"), nil); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("err %v writing into a missing directory, want ErrNotExist", err)
	}
	if err := SyncDir(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("err %v syncing a missing directory, want ErrNotExist", err)
	}
}
