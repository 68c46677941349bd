// Package registry keeps, per file, the offset up to which every line has
// been acknowledged by the brokers (per journald input, the journal
// cursor), and persists it.
//
// On disk it is one JSON file, <dir>/registry.json:
//
//	{"version":1,"files":[{"key":"input/dev-ino","path":"/var/log/app.log",
//	  "offset":1234,"fp_len":1024,"fp":"9f…","tail_len":57,"tail":"3c…",
//	  "updated":"2024-…"}]}
//
// A key is "<input id>/<device>-<inode>" (file_identity native) or
// "<input id>/fingerprint-<sha256 hex>" (fingerprint); both kinds may be in
// one registry, and the agent moves an entry from one to the other when an
// input's identity changes. fp is a 64-bit FNV-1a hash of the first fp_len
// bytes, tail an xxHash64 of the tail_len bytes before offset (absent in
// registries written before it: the offset is then checked by size and
// first bytes only).
//
// A journald input's entry (key <input id>/journald) holds the journal
// cursor of the last entry below which every entry was acknowledged
// ("cursor"; absent from the other entries and from files written before
// it existed, which load unchanged):
//
//	{"key":"journal/journald","path":"/var/log/journal","offset":0,"fp_len":0,"fp":"",
//	  "cursor":"s=…;i=…;b=…;m=…;t=…;x=…","updated":"2024-…"}
//
// Invariants: an entry's offset only ever covers lines the brokers
// acknowledged, so resuming there loses nothing; the file is replaced
// atomically (written to a temporary file, fsynced, renamed over the old
// one, and the folder fsynced), so a crash leaves the old or the new
// version, never a torn one; a file's instance is on disk (Sync) before
// the first event that carries it is published, so a line read again after
// a crash gets the same event id.
//
// Open refuses, with an error naming the entry, a file the agent cannot
// have written: another version, an entry without a key, a negative
// offset, fp_len or tail_len, a tail_len beyond the offset, an fp or tail
// that is not hexadecimal, a key twice
// (FuzzDecode, seed corpus in testdata/fuzz).
//
// Entries are removed by the agent's inputs (clean_removed: a file no scan
// finds any more; clean_inactive: an entry not updated for that long),
// never while a file is being read or has events in flight.
package registry

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// FileName is the registry file inside the registry folder.
const FileName = "registry.json"

// Entry is the state of one file.
type Entry struct {
	Key    string `json:"key"` // input id / device-inode
	Path   string `json:"path"`
	Offset int64  `json:"offset"`
	FPLen  int    `json:"fp_len"`
	FP     string `json:"fp"` // hex of the fingerprint hash
	// TailLen and Tail check the offset: the hash (hex) of the file's
	// TailLen bytes before Offset as they were read. A file whose bytes
	// there differ was truncated and written again: it is read from 0.
	// Entries written before the check have none (TailLen 0).
	TailLen int    `json:"tail_len,omitempty"`
	Tail    string `json:"tail,omitempty"`
	// Instance names this reading of the file: a random id given when the
	// file is first read, and again whenever it is read from the start
	// (truncated, or a new file on the same inode). With a line's offset
	// it names the line's event for good (the record's _id header).
	Instance string `json:"instance,omitempty"`
	// Cursor is, for a journald input's entry, the journal cursor of the
	// last entry below which the brokers acknowledged every entry (Offset
	// and the fingerprint are unused). Older registry files, without it,
	// load as before.
	Cursor  string    `json:"cursor,omitempty"`
	Updated time.Time `json:"updated"`
}

// TailHash returns the hash of the bytes before the offset.
func (e Entry) TailHash() uint64 {
	v, _ := strconv.ParseUint(e.Tail, 16, 64)
	return v
}

// FPHash returns the fingerprint hash.
func (e Entry) FPHash() uint64 {
	v, _ := strconv.ParseUint(e.FP, 16, 64)
	return v
}

type file struct {
	Version int     `json:"version"`
	Files   []Entry `json:"files"`
}

// Registry is the in-memory registry, safe for concurrent use.
type Registry struct {
	dir     string
	flushMu sync.Mutex // one write at a time, in the order of their contents
	mu      sync.Mutex
	entries map[string]Entry
	gen     uint64 // changes made so far
	durable uint64 // of them, on disk
}

// Open reads the registry in dir (creating dir), or starts an empty one.
func Open(dir string) (*Registry, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("registry: %w", err)
	}
	r := &Registry{dir: dir, entries: map[string]Entry{}}
	b, err := os.ReadFile(filepath.Join(dir, FileName))
	if errors.Is(err, fs.ErrNotExist) {
		return r, nil
	}
	if err != nil {
		return nil, fmt.Errorf("registry: %w", err)
	}
	if r.entries, err = decode(b); err != nil {
		return nil, fmt.Errorf("registry: %s: %w", filepath.Join(dir, FileName), err)
	}
	return r, nil
}

// version is the registry file's format, the only one decode reads.
const version = 1

// decode reads a registry file. Anything the agent could not have written
// is an error naming what is wrong (and for an entry, its index), rather
// than an entry that would resume a file at a nonsensical offset.
func decode(b []byte) (map[string]Entry, error) {
	var f file
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, err
	}
	if f.Version != version {
		return nil, fmt.Errorf("version %d: this agent reads version %d", f.Version, version)
	}
	entries := make(map[string]Entry, len(f.Files))
	for i, e := range f.Files {
		bad := func(format string, args ...any) error {
			return fmt.Errorf("files[%d] (key %q): %s", i, e.Key, fmt.Sprintf(format, args...))
		}
		switch {
		case e.Key == "":
			return nil, bad("no key")
		case e.Offset < 0:
			return nil, bad("offset %d is negative", e.Offset)
		case e.FPLen < 0:
			return nil, bad("fp_len %d is negative", e.FPLen)
		case e.TailLen < 0 || int64(e.TailLen) > e.Offset:
			return nil, bad("tail_len %d is negative or beyond the offset", e.TailLen)
		}
		if e.Tail != "" {
			if _, err := strconv.ParseUint(e.Tail, 16, 64); err != nil {
				return nil, bad("tail %q is not a 64-bit hexadecimal hash", e.Tail)
			}
		}
		if e.FP != "" {
			if _, err := strconv.ParseUint(e.FP, 16, 64); err != nil {
				return nil, bad("fp %q is not a 64-bit hexadecimal hash", e.FP)
			}
		}
		if _, dup := entries[e.Key]; dup {
			return nil, bad("the key is also an earlier entry's")
		}
		entries[e.Key] = e
	}
	return entries, nil
}

// encode is the registry file of entries (sorted by key in place).
func encode(entries []Entry) ([]byte, error) {
	sort.Slice(entries, func(i, j int) bool { return entries[i].Key < entries[j].Key })
	return json.Marshal(file{Version: version, Files: entries})
}

// Get returns the entry for key.
func (r *Registry) Get(key string) (Entry, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.entries[key]
	return e, ok
}

// Set records e (under e.Key).
func (r *Registry) Set(e Entry) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.entries[e.Key] = e
	r.gen++
}

// Delete forgets key.
func (r *Registry) Delete(key string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.entries[key]; ok {
		delete(r.entries, key)
		r.gen++
	}
}

// List returns the entries whose key starts with prefix.
func (r *Registry) List(prefix string) []Entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Entry
	for k, e := range r.entries {
		if strings.HasPrefix(k, prefix) {
			out = append(out, e)
		}
	}
	return out
}

// Len returns the number of entries.
func (r *Registry) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.entries)
}

// Flush writes the registry if it changed since the last write.
func (r *Registry) Flush() error {
	r.flushMu.Lock()
	defer r.flushMu.Unlock()
	return r.flushLocked()
}

// Sync returns when every change made before it was called is on disk,
// writing the registry unless a write that began after the change has
// done so meanwhile (callers that wait together share one write).
func (r *Registry) Sync() error {
	r.mu.Lock()
	want := r.gen
	r.mu.Unlock()
	r.flushMu.Lock()
	defer r.flushMu.Unlock()
	r.mu.Lock()
	done := r.durable >= want
	r.mu.Unlock()
	if done {
		return nil
	}
	return r.flushLocked()
}

// flushLocked is Flush with flushMu held.
func (r *Registry) flushLocked() error {
	r.mu.Lock()
	if r.durable == r.gen {
		r.mu.Unlock()
		return nil
	}
	gen := r.gen
	entries := make([]Entry, 0, len(r.entries))
	for _, e := range r.entries {
		entries = append(entries, e)
	}
	r.mu.Unlock()
	b, err := encode(entries)
	if err != nil {
		return fmt.Errorf("registry: %w", err)
	}
	if err := WriteAtomic(filepath.Join(r.dir, FileName), b); err != nil {
		return err
	}
	r.mu.Lock()
	r.durable = gen
	r.mu.Unlock()
	return nil
}

// WriteAtomic replaces path with data: temporary file, fsync, rename,
// fsync of the folder.
func WriteAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("registry: %w", err)
	}
	defer os.Remove(tmp.Name()) // fails harmlessly after the rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("registry: write %s: %w", tmp.Name(), err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("registry: fsync %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("registry: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("registry: %w", err)
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("registry: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("registry: fsync %s: %w", dir, err)
	}
	return nil
}
