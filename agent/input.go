package agent

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/sluicelogs/sluice/agent/harvester"
	"github.com/sluicelogs/sluice/agent/registry"
)

// input finds the files of one inputs: entry and runs a harvester for each
// file that has lines not yet read. New files are noticed through fsnotify
// and, as a fallback (and when inotify watches run out), by a scan every
// scan_frequency. Its harvesters are goroutines it owns: Run waits for
// them before it returns.
type input struct {
	cfg      *InputConfig
	meta     meta
	reg      *registry.Registry
	trackers *trackers
	out      *output
	metrics  *agentMetrics
	log      *slog.Logger

	fieldsJSON, tagsJSON []byte
	tailJSON             []byte // what follows the log object in every event (eventTail)
	rootFieldsJSON       []byte // fields under the root, last in every event
	staticTopic          string // output.kafka.topic when it refers to nothing
	missingWarned        sync.Once

	mu      sync.Mutex
	running map[harvester.ID]*harvester.Harvester // files with a harvester (or events in flight)
	byPath  map[string]*harvester.Harvester
	wg      sync.WaitGroup
	rescan  chan struct{}
	watched map[string]bool
	unseen  map[string]int // registry keys → scans in a row that did not find their file
}

func newInput(cfg *InputConfig, m meta, reg *registry.Registry, ts *trackers, out *output, metrics *agentMetrics, log *slog.Logger) (*input, error) {
	in := &input{cfg: cfg, meta: m, reg: reg, trackers: ts, out: out, metrics: metrics, log: log.With("input", cfg.ID),
		running: map[harvester.ID]*harvester.Harvester{}, byPath: map[string]*harvester.Harvester{},
		rescan: make(chan struct{}, 1), watched: map[string]bool{}, unseen: map[string]int{}}
	if len(cfg.Fields) > 0 {
		b, err := json.Marshal(cfg.Fields)
		if err != nil {
			return nil, err
		}
		in.fieldsJSON = b
	}
	if len(cfg.Tags) > 0 {
		b, err := json.Marshal(cfg.Tags)
		if err != nil {
			return nil, err
		}
		in.tagsJSON = append([]byte(`,"tags":`), b...)
	}
	var err error
	if in.tailJSON, in.rootFieldsJSON, err = in.eventTail(); err != nil {
		return nil, err
	}
	if t := out.cfg.topic; t.Static() {
		in.staticTopic, _ = t.Expand(nil, time.Time{}, nil)
	}
	return in, nil
}

// Run watches and scans for files until ctx ends, then waits for its
// harvesters.
func (in *input) Run(ctx context.Context) error {
	defer in.wg.Wait()
	var events <-chan fsnotify.Event
	var errs <-chan error
	w, err := fsnotify.NewWatcher()
	if err != nil {
		in.log.Warn("no file notifications; relying on scan_frequency", "err", err)
	} else {
		defer w.Close()
		events, errs = w.Events, w.Errors
	}
	scan := func() {
		if w != nil {
			in.watch(w)
		}
		in.scan(ctx)
	}
	scan()
	tick := time.NewTicker(in.cfg.ScanFrequency)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			scan()
		case <-in.rescan:
			scan()
		case ev, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			in.onEvent(ctx, ev)
		case err, ok := <-errs:
			if !ok {
				errs = nil
				continue
			}
			in.log.Warn("file notification error; scanning", "err", err)
			scan()
		}
	}
}

// watch adds an fsnotify watch on the folders the globs look in.
func (in *input) watch(w *fsnotify.Watcher) {
	for _, p := range in.cfg.Paths {
		dir := filepath.Dir(p)
		dirs := []string{dir}
		if strings.ContainsAny(dir, "*?[") {
			dirs, _ = filepath.Glob(dir)
		}
		for _, d := range dirs {
			if in.watched[d] {
				continue
			}
			if err := w.Add(d); err != nil {
				if !os.IsNotExist(err) {
					in.log.Warn("cannot watch folder; relying on scan_frequency", "dir", d, "err", err)
				}
				continue
			}
			in.watched[d] = true
		}
	}
}

func (in *input) onEvent(ctx context.Context, ev fsnotify.Event) {
	if ev.Has(fsnotify.Create) || ev.Has(fsnotify.Rename) || ev.Has(fsnotify.Remove) {
		// The name no longer means the file a harvester has open (which
		// reads on to its end): writes to the name are for a new file.
		in.mu.Lock()
		delete(in.byPath, ev.Name)
		in.mu.Unlock()
	}
	if !ev.Has(fsnotify.Create) && !ev.Has(fsnotify.Write) {
		return
	}
	in.mu.Lock()
	h := in.byPath[ev.Name]
	in.mu.Unlock()
	if h != nil && ev.Has(fsnotify.Write) {
		h.Wake()
		return
	}
	if in.matches(ev.Name) {
		in.consider(ctx, ev.Name)
	}
}

func (in *input) matches(path string) bool {
	for _, p := range in.cfg.Paths {
		if ok, _ := filepath.Match(p, path); ok {
			return true
		}
	}
	return false
}

// scan considers every file the globs match, then cleans the registry.
func (in *input) scan(ctx context.Context) {
	seen := map[string]bool{}
	present := map[string]bool{} // registry keys of the files found
	for _, p := range in.cfg.Paths {
		matches, _ := filepath.Glob(p)
		for _, m := range matches {
			if !seen[m] {
				seen[m] = true
				if key := in.consider(ctx, m); key != "" {
					present[key] = true
				}
			}
		}
	}
	if ctx.Err() == nil {
		in.clean(present, time.Now())
	}
	in.metrics.scans.Inc()
}

// cleanAfterScans is how many scans in a row must miss a file before
// clean_removed forgets it: one scan can miss a file being renamed from
// one matching name to another between its glob and its stat.
const cleanAfterScans = 2

// clean removes the registry entries of this input's files that are done
// with: with clean_removed, those that cleanAfterScans scans in a row did
// not find (present holds what this scan found); with clean_inactive,
// those not updated for that long. An entry with a live tracker (a file
// being read, or with events in flight) is kept. Only the input's own
// goroutine starts trackers for its keys, so none appears while clean
// runs.
func (in *input) clean(present map[string]bool, now time.Time) {
	removed := in.cfg.CleanRemoved == nil || *in.cfg.CleanRemoved
	if !removed && in.cfg.CleanInactive == 0 {
		return
	}
	unseen := map[string]int{}
	cleaned := 0
	for _, e := range in.reg.List(in.cfg.ID + "/") {
		if in.trackers.has(e.Key) {
			continue
		}
		var why string
		switch {
		case in.cfg.CleanInactive > 0 && now.Sub(e.Updated) > in.cfg.CleanInactive:
			why = "clean_inactive"
		case removed && !present[e.Key]:
			if unseen[e.Key] = in.unseen[e.Key] + 1; unseen[e.Key] < cleanAfterScans {
				continue
			}
			why = "clean_removed"
		default:
			continue
		}
		in.reg.Delete(e.Key)
		delete(unseen, e.Key)
		cleaned++
		in.metrics.registryCleaned.Inc()
		in.log.Debug("registry entry removed", "path", e.Path, "key", e.Key, "offset", e.Offset, "reason", why)
	}
	in.unseen = unseen
	if cleaned > 0 {
		in.trackers.kick() // the registry writer writes it
	}
}

func (in *input) excluded(path string) bool {
	for _, re := range in.cfg.excludeFiles {
		if re.MatchString(path) {
			return true
		}
	}
	return false
}

// consider starts a harvester for path if it has lines not yet read, no
// harvester has it open and harvester_limit allows. It returns the registry
// key of the file at path ("" if there is none to read).
func (in *input) consider(ctx context.Context, path string) (key string) {
	if ctx.Err() != nil || in.excluded(path) {
		return ""
	}
	fi, err := os.Stat(path)
	if err != nil || !fi.Mode().IsRegular() {
		return ""
	}
	id := harvester.FileID(fi)
	key, ok := in.fileKey(path, id)
	if !ok {
		return ""
	}
	in.mu.Lock()
	_, busy := in.running[id]
	// Under the fingerprint identity a copy of a file being read (or
	// with events in flight) is that file: it waits for the harvester.
	busy = busy || in.trackers.has(key)
	full := in.cfg.HarvesterLimit > 0 && len(in.running) >= in.cfg.HarvesterLimit
	in.mu.Unlock()
	if busy || full {
		return
	}
	if in.cfg.IgnoreOlder > 0 && time.Since(fi.ModTime()) > in.cfg.IgnoreOlder {
		return
	}
	in.adoptFingerprintEntry(path, key)
	offset, fp, check, instance := in.resumeAt(key, path, fi.Size())
	if offset == fi.Size() {
		return // nothing new; a write or the next scan brings it back
	}
	tr := newTracker(in.reg, key, path, offset, fp, check, instance)
	in.trackers.add(tr)
	fr := in.newFileReader(path, tr)
	h, err := harvester.Open(path, offset, fp, harvester.Config{
		MaxBytes: in.cfg.MaxBytes, BackoffInit: in.cfg.Backoff.Init, BackoffMax: in.cfg.Backoff.Max,
		CloseInactive: in.cfg.CloseInactive, StopOnChange: in.cfg.Identity() == IdentityFingerprint,
	}, fr.hooks())
	if err != nil {
		in.trackers.remove(tr)
		in.log.Warn("cannot open file", "path", path, "err", err)
		return
	}
	if h.ID != id { // replaced since the stat: the next event or scan takes it
		in.trackers.remove(tr)
		h.Close()
		return ""
	}
	in.mu.Lock()
	in.running[id] = h
	in.byPath[path] = h
	in.mu.Unlock()
	in.metrics.harvesters.Inc()
	in.metrics.harvesterStarts.Inc()
	in.log.Debug("harvester started", "path", path, "offset", offset)
	in.wg.Add(1)
	go func() {
		defer in.wg.Done()
		in.harvest(ctx, h, fr)
	}()
	return key
}

// resumeAt returns where to start reading the file with registry key key:
// the acknowledged offset if the registry knows this very file (same
// first bytes, not shorter than the offset, the same bytes before it),
// else 0; with the fingerprint and the check of the bytes before the
// offset, and the file's instance.
func (in *input) resumeAt(key, path string, size int64) (int64, harvester.Fingerprint, harvester.Fingerprint, string) {
	var none harvester.Fingerprint
	e, ok := in.reg.Get(key)
	if !ok || e.Offset == 0 && e.FPLen == 0 {
		return 0, none, none, e.Instance
	}
	f, err := os.Open(path)
	if err != nil {
		return 0, none, none, ""
	}
	defer f.Close()
	fp, check := entryFingerprint(e.FPLen, e.FPHash()), entryFingerprint(e.TailLen, e.TailHash())
	if size < e.Offset || !sameFile(f, e.Offset, fp, check) {
		in.log.Info("file changed since it was last read (truncated, or a new file on the same inode or with the same first bytes); reading it from the start", "path", path)
		return 0, none, none, ""
	}
	return e.Offset, fp, check, e.Instance
}

// harvest runs one harvester, then keeps its slot until its events are
// acknowledged (so that a restart does not read them a second time).
func (in *input) harvest(ctx context.Context, h *harvester.Harvester, fr *fileReader) {
	reason, err := h.Run(ctx)
	if err != nil {
		in.log.Warn("harvester failed", "path", h.Path, "err", err)
	}
	if reason != harvester.Stopped && err == nil {
		if err := fr.flush(ctx); err != nil && ctx.Err() == nil {
			in.log.Warn("flushing parsers", "path", h.Path, "err", err)
		}
	}
	fr.countMetrics()
	in.log.Debug("harvester done", "path", h.Path, "reason", reason, "offset", h.Offset())
	if reason == harvester.Changed {
		in.truncatedByContent(h.Path)
	}
	in.metrics.harvesters.Dec()
	tick := time.NewTicker(50 * time.Millisecond)
	for fr.tr.inFlight() > 0 && ctx.Err() == nil {
		select {
		case <-ctx.Done():
		case <-tick.C:
		}
	}
	tick.Stop()
	in.trackers.done(fr.tr)
	in.mu.Lock()
	delete(in.running, h.ID)
	if in.byPath[h.Path] == h {
		delete(in.byPath, h.Path)
	}
	in.mu.Unlock()
	select {
	case in.rescan <- struct{}{}:
	default:
	}
}

// keep applies include_lines and exclude_lines.
func (in *input) keep(text []byte) bool {
	if len(in.cfg.includeLines) > 0 {
		ok := false
		for _, re := range in.cfg.includeLines {
			if re.Match(text) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	for _, re := range in.cfg.excludeLines {
		if re.Match(text) {
			return false
		}
	}
	return true
}

// lookup resolves %{[field]} references of output.kafka.topic and key.
func (in *input) lookup(m *message, path string) func([]string) (any, bool) {
	return func(p []string) (any, bool) {
		switch strings.Join(p, ".") {
		case "host.name":
			return in.meta.hostName, true
		case "agent.name":
			return in.meta.agentName, true
		case "log.file.path":
			return path, true
		case "input.id":
			return in.cfg.ID, true
		case "message":
			return string(m.text), true
		}
		if p[0] == "fields" && !in.cfg.FieldsUnderRoot {
			return lookup(in.cfg.Fields, p[1:])
		}
		if v, ok := lookup(m.fields, p); ok {
			return v, true
		}
		return lookup(in.cfg.Fields, p)
	}
}

// topic resolves output.kafka.topic for m. A field missing from the event
// becomes "unknown" (logged once per input) so that no event is lost.
func (in *input) topic(m *message, path string) string {
	if in.staticTopic != "" {
		return in.staticTopic
	}
	t, missing := resolve(in.out.cfg.topic, in.lookup(m, path), "unknown")
	if missing != "" {
		in.missingWarned.Do(func() {
			in.log.Warn("topic format refers to a field an event lacks; using \"unknown\" in its place", "field", missing, "topic", t)
		})
	}
	return t
}
