package journalfile

import (
	"context"
	"os"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
)

// watcher tells when a journal's directories change: inotify through
// fsnotify (journald and systemd-journal-remote touch a file's size after
// each entry they append, which inotify reports even though they write
// through a mapping), with polling as the fallback and the safety net.
type watcher struct {
	w *fsnotify.Watcher // nil: polling only
}

// watch starts watching j's directories (and their machine-id
// subdirectories). Without inotify, Wait polls.
func (j *Journal) watch() {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		j.warn("no inotify for the journal; polling", "err", err)
		return
	}
	for _, dir := range j.dirs {
		_ = w.Add(dir) // a folder that does not exist yet is found by polling
	}
	j.changes.w = w
	j.watchNew()
}

// Wait blocks until the journal may have changed, poll has passed, or ctx
// ended; it says whether files may have appeared or gone (call Scan).
func (j *Journal) Wait(ctx context.Context, poll time.Duration) (rescan bool) {
	t := time.NewTimer(poll)
	defer t.Stop()
	var events <-chan fsnotify.Event
	var errs <-chan error
	if w := j.changes.w; w != nil {
		events, errs = w.Events, w.Errors
	}
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	case err := <-errs:
		j.warn("inotify on the journal", "err", err)
		return true
	case ev := <-events:
		rescan = ev.Op&(fsnotify.Create|fsnotify.Remove|fsnotify.Rename) != 0
	}
	for { // what else is queued
		select {
		case ev := <-events:
			rescan = rescan || ev.Op&(fsnotify.Create|fsnotify.Remove|fsnotify.Rename) != 0
		default:
			if rescan {
				j.watchNew()
			}
			return rescan
		}
	}
}

// watchNew watches the machine-id subdirectories (again: adding a
// watch twice is harmless).
func (j *Journal) watchNew() {
	for _, dir := range j.dirs {
		ents, _ := os.ReadDir(dir)
		for _, d := range ents {
			if d.IsDir() && isID(d.Name()) {
				_ = j.changes.w.Add(filepath.Join(dir, d.Name()))
			}
		}
	}
}

func (w *watcher) close() {
	if w.w != nil {
		w.w.Close()
		w.w = nil
	}
}
