package journalfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// Journal reads the journal files of some directories merged in
// journalctl's order, as `journalctl --directory` does: the *.journal
// (and *.journal~) files in each directory and in its subdirectories
// named by a machine id. It follows them: files that grow, files that
// appear (journald rotates by renaming the file it wrote to
// name@….journal and starting a new one), files that go away (vacuumed).
// Not safe for concurrent use.
//
// Order: the next entry is the least, among each file's next entry beyond
// the last one returned, by seqnum when two entries come from the same
// seqnum id, else by monotonic time within the same boot, else by
// realtime, then xor hash (Cursor.Compare); an entry that compares equal
// to the last one returned (the same entry in two files) is skipped.
type Journal struct {
	dirs  []string
	o     Options
	warn  func(msg string, args ...any)
	files map[fileKey]*member
	done  map[fileKey]done  // archived files read to the end: closed, not opened again
	bad   map[fileKey]int64 // files that could not be read, with their size then
	last  *Cursor           // the position of the last entry returned (or sought)

	changes watcher
}

// fileKey tells files apart across renames.
type fileKey struct{ dev, ino uint64 }

// done is an archived file read to the end, as long as its inode keeps
// its change time (an inode number used again is another file). Were one
// opened again, its entries would be skipped: none is beyond the last one
// returned.
type done struct {
	ctime  int64
	listed bool // seen in the last scan
}

// member is an open file of the journal and its next entry.
type member struct {
	f       *File
	path    string
	head    Entry
	hasHead bool
	listed  bool // seen in the last scan
}

// OpenJournal opens the journal files in dirs. warn is told about files
// skipped as corrupt. An error wraps ErrUnsupported when a file needs
// journalctl (an incompatible flag not read here).
func OpenJournal(dirs []string, o Options, warn func(msg string, args ...any)) (*Journal, error) {
	j := &Journal{dirs: dirs, o: o, warn: warn, files: map[fileKey]*member{}, done: map[fileKey]done{}, bad: map[fileKey]int64{}}
	j.watch() // before the first scan: no change between them is missed
	if err := j.Scan(); err != nil {
		j.Close()
		return nil, err
	}
	return j, nil
}

// Close closes the files and stops watching.
func (j *Journal) Close() {
	j.changes.close()
	for k, m := range j.files {
		m.f.Close()
		delete(j.files, k)
	}
}

// Scan looks for files that appeared or went away. A file that went away
// is closed once everything in it was read.
func (j *Journal) Scan() error {
	for _, m := range j.files {
		m.listed = false
	}
	for k, d := range j.done {
		j.done[k] = done{ctime: d.ctime}
	}
	for _, dir := range j.dirs {
		if err := j.scanDir(dir, true); err != nil {
			return err
		}
	}
	for k, d := range j.done {
		if !d.listed {
			delete(j.done, k) // vacuumed
		}
	}
	for k, m := range j.files {
		if !m.listed && !m.hasHead {
			if err := j.fill(m); err == nil && m.hasHead {
				continue // entries left to read beyond the last one returned
			}
			m.f.Close()
			delete(j.files, k)
		}
	}
	return nil
}

func (j *Journal) scanDir(dir string, top bool) error {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("journal directory: %w", err)
	}
	for _, d := range ents {
		name := d.Name()
		path := filepath.Join(dir, name)
		switch {
		case d.IsDir() && top && isID(name):
			if err := j.scanDir(path, false); err != nil {
				return err
			}
		case !d.IsDir() && (strings.HasSuffix(name, ".journal") || strings.HasSuffix(name, ".journal~")):
			if err := j.add(path); err != nil {
				return err
			}
		}
	}
	return nil
}

// add opens the file at path unless it is open already.
func (j *Journal) add(path string) error {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return nil // gone since the listing
	}
	k := fileKey{uint64(st.Dev), st.Ino}
	ctime := st.Ctim.Nano()
	if d, ok := j.done[k]; ok && d.ctime == ctime {
		j.done[k] = done{ctime: ctime, listed: true}
		return nil
	}
	if m, ok := j.files[k]; ok {
		m.listed, m.path = true, path
		return nil
	}
	if size, ok := j.bad[k]; ok && size == st.Size {
		return nil
	}
	f, err := Open(path, j.o)
	switch {
	case errors.Is(err, ErrUnsupported):
		return err
	case err != nil:
		// Corrupt, or being created (no header yet): tried again when
		// its size changes.
		j.bad[k] = st.Size
		j.warn("journal file skipped", "path", path, "err", err)
		return nil
	}
	delete(j.bad, k)
	j.files[k] = &member{f: f, path: path, listed: true}
	return nil
}

// isID says whether name is a machine id (32 hex digits).
func isID(name string) bool {
	if len(name) != 32 {
		return false
	}
	for _, c := range name {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// SeekCursor makes Next go on after the entry at c (or, when that entry is
// gone, from the first entry after where it was).
func (j *Journal) SeekCursor(c Cursor) {
	j.last = &c
	if !c.HasSeqnum {
		return
	}
	for k, m := range j.files {
		if m.f.h.SeqnumID == c.SeqnumID && !m.hasHead {
			if err := m.f.SkipBelow(c.Seqnum); err != nil {
				j.drop(k, m, err)
			}
		}
	}
}

// SeekTail makes Next return only entries appended from now on.
func (j *Journal) SeekTail() error {
	for {
		e, err := j.next(false)
		if err != nil || e == nil {
			return err
		}
	}
}

// Next returns the next entry with its fields, or nil when there is none
// yet. The entry is valid until the next call. An error about one file
// (corrupt) leaves that file out, after a warning; an error wrapping
// ErrUnsupported is the journal's.
func (j *Journal) Next() (*Entry, error) { return j.next(true) }

func (j *Journal) next(fields bool) (*Entry, error) {
	for {
		var best *member
		for k, m := range j.files {
			archived := m.f.State() == StateArchived // before reading: an entry appended before archiving is not missed
			if err := j.fill(m); err != nil {
				j.drop(k, m, err)
				continue
			}
			if !m.hasHead && archived {
				j.retire(k, m) // rotated and read to the end: nothing more will come
				continue
			}
			if m.hasHead && (best == nil || earlier(&m.head, &best.head)) {
				best = m
			}
		}
		if best == nil {
			return nil, nil
		}
		best.hasHead = false
		c := At(&best.head)
		j.last = &c
		if !fields {
			return &best.head, nil
		}
		if err := best.f.Fields(&best.head); err != nil {
			j.warn("journal entry skipped", "path", best.path, "err", err)
			continue
		}
		return &best.head, nil
	}
}

// earlier says whether a comes before b in journalctl's order.
func earlier(a, b *Entry) bool {
	c := At(b)
	return c.Compare(a) < 0
}

// retire closes the archived file m, read to the end.
func (j *Journal) retire(k fileKey, m *member) {
	var st syscall.Stat_t
	if err := syscall.Fstat(int(m.f.f.Fd()), &st); err == nil {
		j.done[k] = done{ctime: st.Ctim.Nano(), listed: true}
	}
	m.f.Close()
	delete(j.files, k)
}

// fill reads m's next entry beyond the last one returned, if it has none.
func (j *Journal) fill(m *member) error {
	for !m.hasHead {
		ok, err := m.f.Next(&m.head)
		if err != nil || !ok {
			return err
		}
		m.hasHead = j.last == nil || j.last.Compare(&m.head) > 0
	}
	return nil
}

func (j *Journal) drop(k fileKey, m *member, err error) {
	j.warn("journal file left out", "path", m.path, "err", err)
	var st syscall.Stat_t
	if syscall.Stat(m.path, &st) == nil {
		j.bad[k] = st.Size
	}
	m.f.Close()
	delete(j.files, k)
}

// Files is the number of files open.
func (j *Journal) Files() int { return len(j.files) }
