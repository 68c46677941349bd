package keystore

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzOpen: Open reads any file of its owner's without panicking; what it
// refuses it refuses with an error naming the file, and what it takes
// holds only names Add would take, each with its value. Its seeds are in
// testdata/fuzz/FuzzOpen.
func FuzzOpen(f *testing.F) {
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(dir, "sluice.keystore")
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := Open(path)
		if err != nil {
			if !strings.Contains(err.Error(), path) {
				t.Fatalf("error without the file's name: %v", err)
			}
			return
		}
		for _, n := range s.Names() {
			if !validName.MatchString(n) {
				t.Fatalf("Open took the name %q, which Add refuses", n)
			}
			if _, ok := s.Get(n); !ok {
				t.Fatalf("%q listed but not there", n)
			}
		}
	})
}
