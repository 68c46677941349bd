// Package harvester reads one file line by line from an offset, as it
// grows: it notices truncation (size below what was read, or the first
// bytes changed: the file restarts at offset 0), rotation by rename or
// deletion (the file is read to its end, then closed), and inactivity.
//
// A file's identity is its device and inode plus a fingerprint (a hash of
// its first FingerprintSize bytes, or of all of them while it is shorter),
// so that a new file that reuses an inode is not taken for the old one
// (the agent's fingerprint identity keys files by content instead, and
// stops a harvester at a truncation: Config.StopOnChange). Before each
// read the bytes before its position are compared with the last ones read
// (tail.go): a file truncated and written again past the position with the
// same first bytes is caught there.
package harvester

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"syscall"
	"time"
)

// FingerprintSize is how many leading bytes of a file its fingerprint covers.
const FingerprintSize = 1024

// Fingerprint is a hash of a file's first Len bytes.
type Fingerprint struct {
	Len  int
	Hash uint64
}

// ID is a file's device and inode.
type ID struct{ Dev, Ino uint64 }

func (id ID) String() string { return fmt.Sprintf("%d-%d", id.Dev, id.Ino) }

// FileID returns the device and inode of fi.
func FileID(fi os.FileInfo) ID {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return ID{}
	}
	return ID{Dev: uint64(st.Dev), Ino: st.Ino}
}

// ReadFingerprint hashes the first n bytes of f (fewer if f is shorter).
func ReadFingerprint(f *os.File, n int) (Fingerprint, error) {
	buf := make([]byte, n)
	got, err := f.ReadAt(buf, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return Fingerprint{}, err
	}
	return Fingerprint{Len: got, Hash: hash(buf[:got])}, nil
}

func hash(b []byte) uint64 {
	h := fnv.New64a()
	h.Write(b)
	return h.Sum64()
}

// Line is one line read from the file.
type Line struct {
	Data      []byte    // without the newline; valid only during the Line hook
	Offset    int64     // where the line starts
	End       int64     // just after its newline: where reading resumes
	Truncated bool      // Data was cut at MaxBytes
	Read      time.Time // when the read that completed the line returned
	// Check is a hash of the line's raw bytes (its last TailSize, with its
	// newline): resuming at End, ReadTail must find them there again.
	Check Fingerprint
}

// Config tunes a harvester.
type Config struct {
	MaxBytes      int
	BackoffInit   time.Duration // first wait at the end of the file
	BackoffMax    time.Duration // longest wait at the end of the file
	CloseInactive time.Duration // close after this long without new lines
	// StopOnChange makes Run return Changed when the file was truncated
	// (or rewritten), instead of reading it again from 0: under the
	// fingerprint identity the truncated file is another file, found
	// again by a scan once it has its own fingerprint.
	StopOnChange bool
}

// Hooks receive what the harvester reads. Line may block (backpressure).
type Hooks struct {
	Line        func(ctx context.Context, l Line) error
	Idle        func(ctx context.Context) error // at the end of the file, before waiting
	Reset       func()                          // the file was truncated: offsets restart at 0
	Fingerprint func(Fingerprint)               // the fingerprint grew
}

// Reason says why Run returned without error.
type Reason int

const (
	Stopped  Reason = iota // the context ended
	Inactive               // nothing new for CloseInactive
	Gone                   // renamed away or deleted, and read to its end
	Changed                // truncated or rewritten, with Config.StopOnChange
)

func (r Reason) String() string {
	return [...]string{"stopped", "inactive", "gone", "changed"}[r]
}

// Harvester reads one open file.
type Harvester struct {
	Path   string
	ID     ID
	cfg    Config
	f      *os.File
	lr     *lineReader
	offset int64
	hooks  Hooks
	wake   chan struct{}
	// prefix holds the file's first bytes as this harvester read them (up
	// to FingerprintSize): the fingerprint is taken from what was read,
	// never from a second read that a truncation could slip under.
	prefix []byte
	fpBuf  []byte
	// tail holds the last bytes read (up to TailSize), which must still be
	// in the file before the next read's position (tail.go).
	tail, tailBuf []byte
	// changed says the file's start differed, at Open, from the
	// fingerprint the caller verified: Run starts over at 0; grown, that
	// it matched and the prefix read at Open goes past it.
	changed, grown bool
}

// Open opens path and positions it at offset. fp is the fingerprint the
// caller has verified (zero to start fresh).
func Open(path string, offset int64, fp Fingerprint, cfg Config, hooks Hooks) (*Harvester, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	h := &Harvester{Path: path, ID: FileID(fi), cfg: cfg, f: f, offset: offset, hooks: hooks, wake: make(chan struct{}, 1)}
	h.prefix = make([]byte, min(max(offset, int64(fp.Len)), FingerprintSize), FingerprintSize)
	got, err := f.ReadAt(h.prefix, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		f.Close()
		return nil, fmt.Errorf("harvester: read %s: %w", path, err)
	}
	h.prefix = h.prefix[:got]
	if offset > 0 {
		t, err := readTailBytes(f, offset)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("harvester: read %s: %w", path, err)
		}
		h.tail = t
	}
	h.changed = fp.Len > 0 && (got < fp.Len || hash(h.prefix[:fp.Len]) != fp.Hash)
	h.grown = !h.changed && got > fp.Len
	h.lr = newLineReader(f, cfg.MaxBytes)
	h.lr.readPos = offset
	h.lr.onRead = h.read
	return h, nil
}

// Wake cuts the current wait at the end of the file short (the file was
// written to).
func (h *Harvester) Wake() {
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

// Offset is where reading resumes after the last line handed to Line.
func (h *Harvester) Offset() int64 { return h.offset }

// Run reads lines until ctx ends, the file goes inactive or it is gone,
// then closes the file.
func (h *Harvester) Run(ctx context.Context) (Reason, error) {
	defer h.f.Close()
	wait := h.cfg.BackoffInit
	lastData := time.Now()
	goneOnce := false
	fresh := false        // lines were handed to Line since lastData was set
	var lastMod time.Time // of the last look at the fingerprint
	timer := time.NewTimer(0)
	<-timer.C
	defer timer.Stop()
	if h.changed {
		if err := h.restart(); err != nil {
			return restartFailed(err)
		}
	} else if h.grown { // resumed past a shorter fingerprint
		h.fingerprintPrefix()
	}
	for {
		if ctx.Err() != nil {
			return Stopped, nil
		}
		data, raw, trunc, err := h.lr.next()
		if err == nil {
			l := Line{Data: data, Offset: h.offset, End: h.offset + raw, Truncated: trunc, Read: h.lr.readAt, Check: tailOf(h.lr.lastRaw)}
			h.offset = l.End
			if err := h.hooks.Line(ctx, l); err != nil {
				if ctx.Err() != nil {
					return Stopped, nil
				}
				return Stopped, err
			}
			wait, fresh, goneOnce = h.cfg.BackoffInit, true, false
			continue
		}
		if errors.Is(err, errChanged) {
			if err := h.restart(); err != nil {
				return restartFailed(err)
			}
			continue
		}
		if !errors.Is(err, io.EOF) {
			return Stopped, fmt.Errorf("harvester: read %s: %w", h.Path, err)
		}
		// At the end of what was written.
		if fresh { // one clock read per burst of lines, not per line
			lastData, fresh = time.Now(), false
		}
		if h.hooks.Idle != nil {
			if err := h.hooks.Idle(ctx); err != nil {
				if ctx.Err() != nil {
					return Stopped, nil
				}
				return Stopped, err
			}
		}
		fi, err := h.f.Stat()
		if err != nil {
			return Stopped, fmt.Errorf("harvester: stat %s: %w", h.Path, err)
		}
		switch size := fi.Size(); {
		case size < h.lr.readPos:
			if err := h.restart(); err != nil {
				return restartFailed(err)
			}
			continue
		case size > h.lr.readPos || !fi.ModTime().Equal(lastMod):
			// Written to: check that the start of the file is still what
			// was read (copytruncate followed by writes past the old size).
			lastMod = fi.ModTime()
			if changed, err := h.prefixChanged(); err != nil {
				return Stopped, err
			} else if changed {
				if err := h.restart(); err != nil {
					return restartFailed(err)
				}
				continue
			}
			if size > h.lr.readPos {
				continue
			}
		}
		if h.gone() {
			if goneOnce {
				return Gone, nil
			}
			goneOnce = true // one more look: a writer may still hold it
		}
		if h.cfg.CloseInactive > 0 && time.Since(lastData) >= h.cfg.CloseInactive {
			return Inactive, nil
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return Stopped, nil
		case <-h.wake:
			if !timer.Stop() {
				<-timer.C
			}
		case <-timer.C:
			wait = min(2*wait, h.cfg.BackoffMax)
		}
	}
}

// restart reads the file again from its start: it was truncated. With
// StopOnChange it returns errStop instead, and Run returns Changed.
func (h *Harvester) restart() error {
	if h.cfg.StopOnChange {
		return errStop
	}
	if _, err := h.f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("harvester: seek %s: %w", h.Path, err)
	}
	h.lr.reset()
	h.offset, h.prefix, h.tail, h.changed = 0, h.prefix[:0], h.tail[:0], false
	if h.hooks.Reset != nil {
		h.hooks.Reset()
	}
	return nil
}

// errStop is restart's answer under StopOnChange.
var errStop = errors.New("harvester: file changed")

// restartFailed is what Run returns when restart returned err.
func restartFailed(err error) (Reason, error) {
	if errors.Is(err, errStop) {
		return Changed, nil
	}
	return Stopped, err
}

// read is the line reader's hook after every read that returned data b,
// which starts at pos in the file. Bytes within the fingerprint's reach
// extend the prefix (and the fingerprint, reported to the Fingerprint
// hook); then the file's start is compared with the prefix: a truncation
// before the read shows there, and the read got bytes of a new file.
func (h *Harvester) read(b []byte, pos int64) (changed bool, err error) {
	if changed, err := h.tailChanged(pos); changed || err != nil {
		return changed, err
	}
	h.keepTail(b)
	if n := int64(len(h.prefix)); n < FingerprintSize && pos <= n && pos+int64(len(b)) > n {
		h.prefix = append(h.prefix, b[n-pos:min(int64(len(b)), FingerprintSize-pos)]...)
		if changed, err := h.prefixChanged(); changed || err != nil {
			return changed, err
		}
		h.fingerprintPrefix()
		return false, nil
	}
	return h.prefixChanged()
}

// fingerprintPrefix makes the fingerprint that of the prefix read and
// reports it to the Fingerprint hook.
func (h *Harvester) fingerprintPrefix() {
	if h.hooks.Fingerprint != nil {
		h.hooks.Fingerprint(Fingerprint{Len: len(h.prefix), Hash: hash(h.prefix)})
	}
}

// prefixChanged reports whether the file's first bytes differ from the
// prefix read: the file was truncated and written again past where it had
// been read.
func (h *Harvester) prefixChanged() (bool, error) {
	if len(h.prefix) == 0 {
		return false, nil
	}
	if cap(h.fpBuf) < len(h.prefix) {
		h.fpBuf = make([]byte, FingerprintSize)
	}
	got, err := h.f.ReadAt(h.fpBuf[:len(h.prefix)], 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return false, fmt.Errorf("harvester: read %s: %w", h.Path, err)
	}
	return !bytes.Equal(h.fpBuf[:got], h.prefix), nil
}

// gone reports whether the path no longer names the open file.
func (h *Harvester) gone() bool {
	fi, err := os.Stat(h.Path)
	return err != nil || FileID(fi) != h.ID
}

// Close closes a harvester that will not be run.
func (h *Harvester) Close() error { return h.f.Close() }
