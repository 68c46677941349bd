package agent

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sluicelogs/sluice/agent/journal"
	"github.com/sluicelogs/sluice/agent/journalfile"
)

// journaldInput reads the journal files itself (package journalfile, no
// cgo; journald_native.go), applying the input's filters as journalctl
// would, and ships every entry as an event. When the files cannot be read
// so (an incompatible flag the reader does not know, a unit glob, no
// machine id), or with reader: journalctl, it reads through
// `journalctl -o export --follow` instead (as Vector's journald source
// does). The journalctl process is the input's: stopped when the input
// stops, started again with backoff when it exits (a journal rotated or
// vacuumed under it, a binary missing: the error is logged, and the
// agent's other inputs go on).
//
// The registry entry <id>/journald holds the cursor below which the
// brokers acknowledged every entry (cursorTracker); with seek: cursor a
// restart goes on after it (--cursor, dropping the cursor's own entry), so an entry whose event was
// not acknowledged is read again, under the same _id (journalEventID).
type journaldInput struct {
	*input
	key string
	ct  *cursorTracker

	// lastRead is the cursor of the last entry read: a reader started
	// again goes on after it. Only Run's goroutine uses it.
	lastRead string

	// native says the input reads the journal files itself
	// (journald_native.go); it falls back to journalctl for good when
	// they cannot be read so. filter is the entries it takes (filterErr:
	// a filter only journalctl applies).
	native    bool
	filter    journalFilter
	filterErr error
}

func newJournaldInput(in *input, ts *trackers) *journaldInput {
	j := &journaldInput{input: in, key: in.cfg.ID + "/journald"}
	var acked string
	if e, ok := in.reg.Get(j.key); ok {
		acked = e.Cursor
	}
	path := in.cfg.Directory
	if path == "" {
		path = "journald"
	}
	j.ct = newCursorTracker(in.reg, j.key, path, acked, ts.kick)
	if in.cfg.Seek == "cursor" {
		j.lastRead = acked
	}
	j.native = in.cfg.Reader != "journalctl"
	j.filter, j.filterErr = journalFilterOf(&in.cfg.JournaldConfig)
	return j
}

// Run follows the journal until ctx ends, then waits (while ctx allows,
// i.e. not at all once it ended) for nothing more: the agent's shutdown
// drains the output, and the acknowledgements that arrive then still
// advance the cursor.
func (j *journaldInput) Run(ctx context.Context) error {
	fails := 0
	var lastErr string
	var lastLoud time.Time
	for ctx.Err() == nil {
		var read int
		var err error
		if j.native {
			read, err = j.followNative(ctx)
			if j.cfg.Reader == "auto" && (errors.Is(err, errNotNative) || errors.Is(err, journalfile.ErrUnsupported)) {
				j.log.Warn("the journal files cannot be read natively: reading them through journalctl", "err", err)
				j.native = false
				continue
			}
		} else {
			read, err = j.follow(ctx)
		}
		if ctx.Err() != nil {
			return nil
		}
		if read > 0 {
			fails = 0
		}
		delay := min(j.cfg.Backoff.Init<<min(fails, 16), j.cfg.Backoff.Max)
		fails++
		if err == nil {
			err = errors.New("exited")
		}
		// Said loudly the first time and then once a minute or so, not at
		// every retry of a journalctl that keeps failing.
		level := slog.LevelDebug
		if fails == 1 || err.Error() != lastErr || time.Since(lastLoud) > time.Minute {
			level, lastLoud = slog.LevelError, time.Now()
		}
		lastErr = err.Error()
		what := "journalctl stopped; starting it again"
		if j.native {
			what = "reading the journal files stopped; starting again"
		}
		j.log.Log(ctx, level, what, "err", err, "entries", read, "after", delay)
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
		case <-t.C:
		}
		t.Stop()
	}
	return nil
}

// args is journalctl's command line.
func (j *journaldInput) args() []string {
	c := j.cfg
	args := []string{"--output=export", "--follow", "--no-pager", "--quiet"}
	if c.Directory != "" {
		args = append(args, "--directory="+c.Directory)
	}
	seek := c.Seek
	if seek == "cursor" {
		seek = c.CursorSeekFallback
	}
	switch {
	case j.lastRead != "":
		// --cursor, not --after-cursor: when the cursor's entry is gone
		// (its file vacuumed), journalctl seeks to the entry closest to
		// it, and --after-cursor would skip that entry, which is not the
		// one read (TestJournaldCursorAfterVacuum). follow drops the
		// first entry instead when it is the cursor's.
		args = append(args, "--cursor="+j.lastRead, "--no-tail")
	case seek == "tail":
		args = append(args, "--lines=0")
	default:
		args = append(args, "--no-tail")
	}
	for _, u := range c.Units {
		args = append(args, "--unit="+u)
	}
	for _, id := range c.SyslogIdentifiers {
		args = append(args, "--identifier="+id)
	}
	for _, f := range c.Facilities {
		args = append(args, "--facility="+strconv.Itoa(f))
	}
	args = append(args, c.matches()...)
	for _, t := range c.Transports {
		args = append(args, "_TRANSPORT="+t)
	}
	return args
}

// follow runs journalctl once, publishing what it writes, until it exits
// or ctx ends. It returns how many entries it read.
func (j *journaldInput) follow(ctx context.Context) (int, error) {
	cmd := exec.CommandContext(ctx, j.cfg.Journalctl, j.args()...)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 5 * time.Second
	stderr := &stderrLog{log: j.log}
	cmd.Stderr = stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return 0, fmt.Errorf("journalctl: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("starting %s: %w", j.cfg.Journalctl, err)
	}
	j.log.Info("reading the journal", "journalctl", cmd.Path, "args", cmd.Args[1:])
	skip := j.lastRead // the entry read already, if journalctl starts at it
	r := journal.NewReader(out, j.cfg.MaxBytes)
	enc := j.newJournalEncoder()
	defer enc.slab.release()
	read := 0
	var rerr error
	for {
		e, err := r.Next()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				rerr = err
			}
			break
		}
		if skip != "" {
			c, _ := e.Get("__CURSOR")
			again := string(c) == skip
			skip = ""
			if again {
				continue
			}
		}
		read++
		if err := j.emit(ctx, e, enc); err != nil {
			break
		}
	}
	if rerr != nil {
		_ = cmd.Process.Kill() // out of step with the stream: start over after the last entry
	}
	_, _ = io.Copy(io.Discard, out)
	werr := cmd.Wait()
	switch {
	case rerr != nil:
		return read, fmt.Errorf("reading journalctl's output: %w", rerr)
	case werr != nil:
		return read, fmt.Errorf("%s: %w: %s", j.cfg.Journalctl, werr, stderr.lastLine())
	case stderr.lastLine() != "":
		return read, fmt.Errorf("%s exited: %s", j.cfg.Journalctl, stderr.lastLine())
	}
	return read, nil
}

// journalEncoder holds what the events of one reader are made in, reused
// from entry to entry: the event, the buffer it is encoded in, and the
// journald.custom paths of the field names met.
type journalEncoder struct {
	slab   slab   // the records and their bytes (release when done)
	id     []byte // the event id, copied into the slab from here
	buf    []byte
	ev     journalEvent
	custom map[string]string
}

// newJournalEncoder is a reader's journalEncoder, its slab's chunks used again
// through the output's free list.
func (j *journaldInput) newJournalEncoder() *journalEncoder {
	return &journalEncoder{slab: slab{free: j.freeChunks()}}
}

// emit publishes the event of one entry (or acknowledges it at once when
// include_lines/exclude_lines drop it).
func (j *journaldInput) emit(ctx context.Context, e *journal.Entry, enc *journalEncoder) error {
	if enc.custom == nil {
		enc.custom = map[string]string{}
	}
	ev := enc.ev.fill(e, time.Now(), enc.custom)
	if ev.cursor == "" {
		j.log.Warn("a journal entry without __CURSOR; skipped")
		return nil
	}
	j.lastRead = ev.cursor
	tok := j.ct.add(ev.cursor)
	if !j.keep(ev.msg.text) {
		j.metrics.filtered.Inc()
		tok.ack()
		return nil
	}
	if j.staticTopic == "" || j.out.cfg.key != nil {
		ev.msg.fields = ev.tree() // for their field references
	}
	rec := enc.slab.cursorRecord(ctx, tok)
	rec.Topic, rec.Timestamp = j.topic(&ev.msg, j.cfg.Directory), ev.msg.at
	if k := j.out.cfg.key; k != nil {
		key, _ := resolve(k, j.lookup(&ev.msg, j.cfg.Directory), "")
		rec.Key = []byte(key)
	}
	enc.buf = j.encodeJournal(enc.buf, ev, j.out.cfg.MaxMessageBytes-recordOverhead)
	rec.Value = enc.slab.copyOf(enc.buf)
	enc.id = append(enc.id[:0], ev.id...)
	rec.Headers = append(rec.Headers, kgo.RecordHeader{Key: eventIDHeader, Value: enc.slab.copyOf(enc.id)})
	j.metrics.events.Inc()
	j.out.publish(rec)
	return ctx.Err()
}

// stderrLog logs what a journalctl writes to its standard error as it
// comes (a warning such as a journal file found corrupted and skipped), a
// line at a time, each cut at stderrLineMax bytes, and keeps the last line
// for the error of its exit.
type stderrLog struct {
	log *slog.Logger

	mu   sync.Mutex
	line []byte // the line being written
	last string // the last whole line
}

const stderrLineMax = 1 << 10

func (w *stderrLog) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for rest := p; len(rest) > 0; {
		chunk, after, nl := bytes.Cut(rest, []byte{'\n'})
		w.line = append(w.line, chunk[:min(len(chunk), stderrLineMax-len(w.line))]...)
		rest = after
		if nl {
			w.last = string(w.line)
			w.log.Warn("journalctl says", "stderr", w.last)
			w.line = w.line[:0]
		}
	}
	return len(p), nil
}

// lastLine is the last line written (or the one being written).
func (w *stderrLog) lastLine() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.line) > 0 {
		return string(w.line)
	}
	return w.last
}
