package agent

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/sluicelogs/sluice/testkit/journaltest"
)

// AppendJournalEntry appends entry n of f in journal export format to
// dst: the fields a daemon's syslog message has in the journal, and
// MESSAGE AppendLine's text of f.Size-1 bytes. Times grow with n by a
// millisecond from a fixed start.
func AppendJournalEntry(dst []byte, n int, f File) []byte {
	const t0 = 1733288400000000 // 2024-12-04 05:00:00 UTC in microseconds
	dst = append(dst, "__REALTIME_TIMESTAMP="...)
	dst = strconv.AppendInt(dst, t0+int64(n)*1000, 10)
	dst = append(dst, "\n__MONOTONIC_TIMESTAMP="...)
	dst = strconv.AppendInt(dst, 1000000+int64(n)*1000, 10)
	dst = append(dst, "\n_BOOT_ID=0123456789abcdef0123456789abcdef\n_HOSTNAME=abench\n_TRANSPORT=syslog\n"+
		"PRIORITY=5\nSYSLOG_FACILITY=1\nSYSLOG_IDENTIFIER=app\n_PID=123\n_UID=0\n_GID=0\n_COMM=app\n_EXE=/usr/bin/app\n"+
		"_SYSTEMD_UNIT=app.service\n_SYSTEMD_SLICE=system.slice\nMESSAGE="...)
	dst = AppendLine(dst, n, len(dst)+f.Size-1)
	return append(dst, "\n\n"...)
}

// WriteJournal writes f's entries into a new journal file at path (ending
// in .journal) with systemd-journal-remote.
func WriteJournal(ctx context.Context, path string, f File) error {
	if err := journaltest.Tools(); err != nil {
		return err
	}
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() { // owned by WriteJournal: ends when written or when pr is closed
		w := bufio.NewWriterSize(pw, 1<<20)
		var e []byte
		for n := range f.Lines {
			e = AppendJournalEntry(e[:0], n, f)
			if _, err := w.Write(e); err != nil {
				done <- err
				return
			}
		}
		err := w.Flush()
		pw.CloseWithError(err)
		done <- err
	}()
	err := journaltest.Write(ctx, path, pr)
	pr.CloseWithError(errors.New("systemd-journal-remote is done"))
	if werr := <-done; err == nil && werr != nil {
		err = fmt.Errorf("writing %s: %w", path, werr)
	}
	return err
}

// The directories sd_journal_open reads the system journal from: rsyslog's
// imjournal can read no other.
var systemJournalRoots = []string{"/var/log/journal", "/run/log/journal"}

// linkSystemJournal makes the journal files in dir the system journal for
// imjournal: /var/log/journal/<machine id> becomes a symbolic link to dir.
// It refuses when the system has journal files of its own (they would be
// read too) or that directory exists. undo removes the link (and
// /var/log/journal if it made it).
func linkSystemJournal(dir string) (undo func(), err error) {
	for _, root := range systemJournalRoots {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return nil
				}
				return err
			}
			if strings.HasSuffix(path, ".journal") || strings.HasSuffix(path, ".journal~") {
				return fmt.Errorf("%s: the system has a journal of its own, which imjournal would read too; the journald row needs a machine without one", path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	id, err := os.ReadFile("/etc/machine-id")
	if err != nil {
		return nil, fmt.Errorf("imjournal reads the journal of this machine's id: %w", err)
	}
	root := systemJournalRoots[0]
	link := filepath.Join(root, strings.TrimSpace(string(id)))
	if _, err := os.Lstat(link); err == nil {
		return nil, fmt.Errorf("%s exists: remove it (the journald row links it to its own journal while rsyslog runs)", link)
	}
	_, rootErr := os.Stat(root)
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, err
	}
	if err := os.Symlink(dir, link); err != nil {
		return nil, fmt.Errorf("imjournal reads the system journal only: %w", err)
	}
	return func() {
		os.Remove(link)
		if rootErr != nil {
			os.Remove(root)
		}
	}, nil
}
