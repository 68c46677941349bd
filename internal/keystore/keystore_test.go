package keystore

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestStoreLifecycle(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sluice.keystore")
	s, err := Create(path, false)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, %v; want 0600", fi.Mode(), err)
	}
	if _, err := Create(path, false); !errors.Is(err, ErrExists) {
		t.Fatalf("create over a keystore: %v, want ErrExists", err)
	}
	if err := s.Add("ES_PWD", "p@ss: w\"ord", false); err != nil {
		t.Fatal(err)
	}
	if err := s.Add("KAFKA.PASS", "k", false); err != nil {
		t.Fatal(err)
	}
	if err := s.Add("ES_PWD", "other", false); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("add twice: %v", err)
	}
	if err := s.Add("bad name", "x", false); err == nil {
		t.Fatal("a name with a space was taken")
	}
	s, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(s.Names(), ","); got != "ES_PWD,KAFKA.PASS" {
		t.Fatalf("names %s", got)
	}
	if v, ok := s.Get("ES_PWD"); !ok || v != "p@ss: w\"ord" {
		t.Fatalf("ES_PWD = %q, %v", v, ok)
	}
	if err := s.Remove("KAFKA.PASS", "NOPE"); err == nil {
		t.Fatal("removing a missing name succeeded")
	}
	if err := s.Remove("KAFKA.PASS"); err != nil {
		t.Fatal(err)
	}
	if s, err = Open(path); err != nil || len(s.Names()) != 1 {
		t.Fatalf("after remove: %v %v", s.Names(), err)
	}
}

func TestOpenRefusesLoosePermissions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ks")
	if _, err := Create(path, false); err != nil {
		t.Fatal(err)
	}
	for _, m := range []os.FileMode{0o640, 0o604, 0o660} {
		if err := os.Chmod(path, m); err != nil {
			t.Fatal(err)
		}
		if _, err := Open(path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
			t.Errorf("mode %v: %v, want a refusal", m, err)
		}
	}
	if _, err := Open(filepath.Join(t.TempDir(), "absent")); err == nil {
		t.Fatal("opened a missing keystore")
	}
}

func TestExpandConfigKeystoreFirst(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ks")
	s, err := Create(path, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Add("PASS", "from keystore", false); err != nil {
		t.Fatal(err)
	}
	env := func(k string) (string, bool) {
		v, ok := map[string]string{"PASS": "from env", "USER": "alice"}[k]
		return v, ok
	}
	text := "keystore.path: " + path + "\nuser: ${USER}\npassword: ${PASS}\n"
	out, err := ExpandConfig("a.yml", []byte(text), env)
	if err != nil {
		t.Fatal(err)
	}
	if want := "keystore.path: " + path + "\nuser: alice\npassword: from keystore\n"; string(out) != want {
		t.Fatalf("got\n%s\nwant\n%s", out, want)
	}
	// Without the keystore, the environment.
	out, err = ExpandConfig("a.yml", []byte("password: ${PASS}\n"), env)
	if err != nil || string(out) != "password: from env\n" {
		t.Fatalf("got %q, %v", out, err)
	}
	// A keystore others can read is refused, naming the key.
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = ExpandConfig("a.yml", []byte("keystore:\n  path: "+path+"\npassword: ${PASS}\n"), env)
	if err == nil || !strings.Contains(err.Error(), "a.yml:2: keystore.path: keystore "+path+": mode") {
		t.Fatalf("got %v", err)
	}
}

// TestOpenRefusesBadNames: a keystore written by hand with a name Add
// refuses is refused, naming the file (found by FuzzOpen: Open took "").
func TestOpenRefusesBadNames(t *testing.T) {
	for _, name := range []string{"", "bad name", "${X}", "a:b"} {
		path := filepath.Join(t.TempDir(), "sluice.keystore")
		text := `{"version":1,"secrets":{` + strconv.Quote(name) + `:"x"}}`
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := Open(path); err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("name %q: %v, want an error naming %s", name, err, path)
		}
	}
}
