// Package keystore keeps the secrets that agent.yml and indexer.yml refer
// to as ${NAME}, so that passwords and API keys need not be written in
// the configuration, as Filebeat's keystore does.
//
// # File format
//
// A keystore is one JSON document, {"version":1,"secrets":{"NAME":"value"}},
// readable and writable by its owner only (mode 0600). Its protection is
// that mode, as for an SSH private key: the values are not encrypted
// (Filebeat's are encrypted under a key stored beside them, which adds
// nothing against a reader who can open the file). Open refuses a
// keystore that its group or others may read or write, or that neither
// the current user nor root owns, as Filebeat refuses such a
// configuration file. Every change replaces the file whole
// (internal/atomicfile), so a crash leaves the old or the new keystore.
//
// Names are letters, digits, '_', '.' and '-'.
package keystore

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"slices"
	"syscall"

	"github.com/sluicelogs/sluice/internal/atomicfile"
)

// DefaultPath is where `sluice keystore` keeps its keystore unless told
// otherwise (--path), and where configurations find it (keystore.path).
const DefaultPath = "/var/lib/sluice/sluice.keystore"

const version = 1

// Store is an open keystore.
type Store struct {
	path    string
	secrets map[string]string
}

type file struct {
	Version int               `json:"version"`
	Secrets map[string]string `json:"secrets"`
}

var validName = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// ErrExists is returned by Create for a keystore already there.
var ErrExists = errors.New("a keystore is already there")

// Create writes an empty keystore at path; one already there is an
// ErrExists unless force, which empties it.
func Create(path string, force bool) (*Store, error) {
	if _, err := os.Lstat(path); err == nil && !force {
		return nil, fmt.Errorf("keystore %s: %w (--force replaces it)", path, ErrExists)
	}
	s := &Store{path: path, secrets: map[string]string{}}
	return s, s.save()
}

// Open reads the keystore at path, refusing one with loose permissions.
func Open(path string) (*Store, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("keystore: %w", err)
	}
	if err := checkPerms(path, fi); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("keystore: %w", err)
	}
	var f file
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("keystore %s: not a sluice keystore: %w", path, err)
	}
	if f.Version != version {
		return nil, fmt.Errorf("keystore %s: version %d, want %d", path, f.Version, version)
	}
	if f.Secrets == nil {
		f.Secrets = map[string]string{}
	}
	// A name Add would refuse (written by hand, or by another program)
	// could never be referred to as ${NAME}: refused as Add refuses it.
	for n := range f.Secrets {
		if !validName.MatchString(n) {
			return nil, fmt.Errorf("keystore %s: name %q: use letters, digits, '_', '.' and '-'", path, n)
		}
	}
	return &Store{path: path, secrets: f.Secrets}, nil
}

func checkPerms(path string, fi fs.FileInfo) error {
	if m := fi.Mode().Perm(); m&0o077 != 0 {
		return fmt.Errorf("keystore %s: mode %v lets others than its owner read or change it: chmod 600 %s", path, m, path)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		if uid := os.Getuid(); int(st.Uid) != uid && st.Uid != 0 {
			return fmt.Errorf("keystore %s: owned by uid %d, not by this user (%d) or root: chown it", path, st.Uid, uid)
		}
	}
	return nil
}

// Path is the file of s.
func (s *Store) Path() string { return s.path }

// Get returns the value of name and whether s has it.
func (s *Store) Get(name string) (string, bool) {
	v, ok := s.secrets[name]
	return v, ok
}

// Names returns the names in s, sorted.
func (s *Store) Names() []string {
	out := make([]string, 0, len(s.secrets))
	for n := range s.secrets {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// Add sets name to value and saves s; a name already there is an error
// unless force.
func (s *Store) Add(name, value string, force bool) error {
	if !validName.MatchString(name) {
		return fmt.Errorf("keystore: name %q: use letters, digits, '_', '.' and '-'", name)
	}
	if _, ok := s.secrets[name]; ok && !force {
		return fmt.Errorf("keystore %s: %q is already there (--force replaces it)", s.path, name)
	}
	s.secrets[name] = value
	return s.save()
}

// Remove deletes names from s and saves it; a name not there is an error
// and nothing is removed.
func (s *Store) Remove(names ...string) error {
	for _, n := range names {
		if _, ok := s.secrets[n]; !ok {
			return fmt.Errorf("keystore %s: no %q in it", s.path, n)
		}
	}
	for _, n := range names {
		delete(s.secrets, n)
	}
	return s.save()
}

func (s *Store) save() error {
	b, err := json.MarshalIndent(file{Version: version, Secrets: s.secrets}, "", "  ")
	if err != nil {
		return err
	}
	err = atomicfile.Write(s.path, func(f *os.File) error {
		if err := f.Chmod(0o600); err != nil { // before any secret is in it
			return err
		}
		_, err := f.Write(append(b, '\n'))
		return err
	})
	if err != nil {
		return fmt.Errorf("keystore: %w", err)
	}
	return nil
}
