package agent

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sluicelogs/sluice/agent/journal"
	"github.com/sluicelogs/sluice/agent/journalfile"
)

// journalPoll is how often the input looks at the journal files when
// inotify said nothing (its safety net).
const journalPoll = time.Second

// errNotNative is wrapped by the errors that send the input to journalctl.
var errNotNative = errors.New("not read natively")

// journalDirs are the directories the input reads: directory, or the
// local machine's system journal (persistent and volatile), as journalctl
// without --directory reads it.
func (j *journaldInput) journalDirs() ([]string, error) {
	if j.cfg.Directory != "" {
		return []string{j.cfg.Directory}, nil
	}
	id, err := os.ReadFile("/etc/machine-id")
	if err != nil {
		return nil, fmt.Errorf("%w: no machine id: %w", errNotNative, err)
	}
	mid := strings.TrimSpace(string(id))
	return []string{filepath.Join("/var/log/journal", mid), filepath.Join("/run/log/journal", mid)}, nil
}

// followNative reads the journal files themselves (package journalfile)
// and publishes their entries, until ctx ends or an error. An error
// wrapping errNotNative or journalfile.ErrUnsupported says to use
// journalctl instead.
func (j *journaldInput) followNative(ctx context.Context) (int, error) {
	if j.filterErr != nil {
		return 0, fmt.Errorf("%w: %w", errNotNative, j.filterErr)
	}
	dirs, err := j.journalDirs()
	if err != nil {
		return 0, err
	}
	warn := func(msg string, args ...any) { j.log.Warn(msg, args...) }
	jr, err := journalfile.OpenJournal(dirs, journalfile.Options{MaxFieldBytes: j.cfg.MaxBytes}, warn)
	if err != nil {
		return 0, fmt.Errorf("%w: %w", errNotNative, err)
	}
	defer jr.Close()
	defer journalfile.ReadGuard()() // a file truncated under the mapping is an error, not a crash
	if err := j.seekNative(jr); err != nil {
		return 0, err
	}
	j.log.Info("reading the journal files", "dirs", dirs, "files", jr.Files())
	var conv nativeEntry
	enc := j.newJournalEncoder()
	defer enc.slab.release()
	read := 0
	for {
		e, err := jr.Next()
		if err != nil {
			return read, err
		}
		if e == nil {
			enc.slab.release() // caught up: the next entries start small chunks again
			if jr.Wait(ctx, journalPoll) {
				if err := jr.Scan(); err != nil {
					return read, err
				}
			}
			if ctx.Err() != nil {
				return read, nil
			}
			continue
		}
		if !j.filter.match(e.Fields) {
			continue
		}
		read++
		if err := j.emit(ctx, conv.entry(e, j.cfg.MaxBytes), enc); err != nil {
			return read, nil
		}
	}
}

// seekNative places jr where the input starts: after the last entry read
// (the registry's cursor, or the last one before a restart), else at the
// head or the tail as seek (or cursor_seek_fallback) says.
func (j *journaldInput) seekNative(jr *journalfile.Journal) error {
	if j.lastRead != "" {
		c, err := journalfile.ParseCursor(j.lastRead)
		if err == nil {
			jr.SeekCursor(c)
			return nil
		}
		j.log.Warn("the cursor is not one of journalctl's; starting at cursor_seek_fallback", "err", err)
	}
	seek := j.cfg.Seek
	if seek == "cursor" {
		seek = j.cfg.CursorSeekFallback
	}
	if seek == "tail" {
		return jr.SeekTail()
	}
	return nil
}

// nativeEntry makes a journal file's entry the journal.Entry the
// journalctl reader would have decoded from `journalctl -o export`: the
// same fields in the same order, bounded by max_bytes in the same way
// (journal.Reader: names and values count; a value is cut where the bound
// falls, and fields that do not fit are dropped).
type nativeEntry struct {
	fields [][]byte
	buf    []byte
	e      journal.Entry
}

func (n *nativeEntry) entry(e *journalfile.Entry, maxBytes int) *journal.Entry {
	if maxBytes <= 0 {
		maxBytes = journal.DefaultMaxBytes
	}
	n.fields, n.buf = journalfile.ExportFields(n.fields[:0], n.buf, e)
	n.e.Fields, n.e.Truncated = n.e.Fields[:0], e.Truncated
	room := maxBytes
	for _, f := range n.fields {
		eq := bytes.IndexByte(f, '=')
		if eq <= 0 {
			continue // not FIELD=value: journalctl writes nothing sensible for it either
		}
		name, value := f[:eq:eq], f[eq+1:]
		left := room - len(name)
		if left < 0 {
			n.e.Truncated = true
			continue
		}
		if len(value) > left {
			value, n.e.Truncated = value[:left], true
		}
		room = left - len(value)
		n.e.Fields = append(n.e.Fields, journal.Field{Name: name, Value: value})
	}
	return &n.e
}
