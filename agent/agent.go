// Package agent is sluice's log shipper (the Filebeat of sluice): it tails
// files named by globs and produces every line, as an ECS-shaped JSON
// event, to Kafka topics — a sluice broker or any Kafka cluster.
//
// Delivery is at least once. Per file (keyed by input id and the file's
// identity, below) the registry (package registry) holds the offset below
// which the brokers acknowledged every line; it is written atomically at
// most registry.flush (default 1s) after an offset advanced, and at
// shutdown, and reading resumes there after a restart or a crash, so only
// lines whose batch was not acknowledged, or was in the last registry.flush
// before a crash, are sent twice (with the same event ids). The producer's buffer is bounded by queue.mem.events: when
// the brokers are unreachable, reading stops until they take events again.
//
// File identity (an input's file_identity, as Filebeat's):
//
//   - native (the default): device and inode. A copy of a file (logrotate's
//     copytruncate) is a new file: if the glob matches it, it is shipped
//     again from its start, so keep copies out of the glob.
//   - fingerprint: the SHA-256 of the file's bytes [offset, offset+length)
//     (prospector.scanner.fingerprint.offset, default 0, and .length,
//     default 1024, at least 64). A copy is the same file: it continues
//     from the offset acknowledged for the original, and a harvester whose
//     file is truncated stops (the entry stays for the copy); the truncated
//     file is another file once it has a fingerprint of its own. A file
//     shorter than offset+length has no identity yet and is not read until
//     it grows to it. Two files whose fingerprinted bytes are equal are one
//     file to the agent: logs that start with the same fixed header of
//     length bytes or more need an offset past the header (or native).
//     Renames keep both identities; compressed rotations (.gz) are not
//     recognised as anything: leave them out with the glob or
//     exclude_files.
//
// Fingerprint is not the default, unlike Filebeat 9: an existing install
// would stop shipping files shorter than 1 KiB until they grow. Changing
// file_identity reships nothing: when a scan finds a file whose entry is
// under the other identity's key, and it is that entry's file (same first
// bytes and same bytes before the offset), the entry moves to the new key.
//
// Truncation: a file whose size is below the offset, whose first bytes
// changed, or whose bytes before the offset differ from those read (a
// hash of the last line, up to 1 KiB, kept with every acknowledged offset
// and compared before every read) was truncated and is read from 0 — also
// when it was written again past the old offset with the same header.
//
// A `type: journald` input (journald.go) reads the journal through
// `journalctl -o export --follow` (package journal decodes the stream,
// bounded by max_bytes); its registry entry <id>/journald holds the cursor
// below which every entry was acknowledged, and an entry's event id comes
// from its cursor, so an entry read again after a crash keeps its id.
//
// Goroutines: Agent.Run owns the registry flusher and one goroutine per
// input; each file input owns its harvesters (package harvester), one per
// open file; each journald input owns its journalctl process. kgo owns its
// own and calls back on acknowledgement.
package agent

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sluicelogs/sluice/agent/registry"
	"github.com/sluicelogs/sluice/internal/dirlock"
)

// DrainTimeout bounds how long shutdown waits for in-flight events to be
// acknowledged.
const DrainTimeout = 10 * time.Second

// Agent ships the files of its inputs to Kafka topics.
type Agent struct {
	cfg      *Config
	log      *slog.Logger
	reg      *registry.Registry
	trackers *trackers
	metrics  *agentMetrics
	meta     meta

	// commits are the disk queues' Commit, run with each registry write.
	commitMu sync.Mutex
	commits  []func() error
}

// New prepares an agent: it opens the registry and reads (or creates) the
// agent's id. metrics may be nil.
func New(cfg *Config, version string, metrics prometheus.Registerer, log *slog.Logger) (*Agent, error) {
	reg, err := registry.Open(cfg.Registry.Path)
	if err != nil {
		return nil, fmt.Errorf("agent: %w", err)
	}
	id, err := agentID(cfg.Registry.Path)
	if err != nil {
		return nil, fmt.Errorf("agent: %w", err)
	}
	host, _ := os.Hostname()
	name := cfg.Name
	if name == "" {
		name = host
	}
	return &Agent{
		cfg: cfg, log: log.With("component", "agent"), reg: reg, trackers: newTrackers(), metrics: newMetrics(metrics),
		meta: meta{hostName: host, agentName: name, agentID: id, version: version},
	}, nil
}

// Run ships until ctx ends, then stops reading, waits (up to DrainTimeout)
// for in-flight events to be acknowledged and writes the registry.
func (a *Agent) Run(ctx context.Context) error {
	// Two agents on one registry would each overwrite the other's offsets
	// (and ship every file twice): the second refuses to run, as Filebeat
	// refuses a data path another beat has locked.
	lock, err := dirlock.Take(a.cfg.Registry.Path)
	if err != nil {
		if errors.Is(err, dirlock.ErrHeld) {
			return fmt.Errorf("agent: registry.path: %w", err) // names the path
		}
		return fmt.Errorf("agent: %w", err)
	}
	defer lock.Release() // after the registry's last write
	out, err := newOutput(a.cfg.Output.Kafka, a.cfg.Queue.Mem.Events, a.log, a.metrics)
	if err != nil {
		return err
	}
	var inputs []runner
	for i := range a.cfg.Inputs {
		ic := &a.cfg.Inputs[i]
		if ic.Enabled != nil && !*ic.Enabled {
			continue
		}
		in, err := a.newRunner(ic, out)
		if err != nil {
			out.cl.Close()
			for _, in := range inputs {
				in.close()
			}
			return fmt.Errorf("agent: input %s: %w", ic.ID, err)
		}
		inputs = append(inputs, in)
	}
	a.log.Info("agent started", "inputs", len(inputs), "hosts", a.cfg.Output.Kafka.Hosts, "topic", a.cfg.Output.Kafka.Topic, "registry", a.cfg.Registry.Path)

	flushCtx, stopFlush := context.WithCancel(context.Background())
	var flusher sync.WaitGroup
	flusher.Add(1)
	go func() {
		defer flusher.Done()
		a.flushLoop(flushCtx)
	}()

	var wg sync.WaitGroup
	for _, in := range inputs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := in.Run(ctx); err != nil {
				a.log.Error("input stopped", "input", in.inputID(), "err", err)
			}
		}()
	}
	wg.Wait() // the inputs return once ctx ends and their harvesters stopped

	drainCtx, cancel := context.WithTimeout(context.Background(), DrainTimeout)
	derr := out.drain(drainCtx)
	cancel()
	if derr != nil {
		a.log.Warn("shutdown before every event was acknowledged; the rest is sent again at the next start", "err", derr)
	}
	stopFlush()
	flusher.Wait()
	if err := a.flush(); err != nil {
		return err
	}
	a.log.Info("agent stopped")
	return nil
}

// flushLoop writes the registry, and the disk queues' acknowledged
// positions, registry.flush after an offset advanced (the advances
// meanwhile go in the same write; Filebeat's registry.flush), or, when
// that is 0, as soon as it advanced (writes coalesce while one is under
// way). Nothing advanced, nothing is written.
func (a *Agent) flushLoop(ctx context.Context) {
	delay := time.Duration(0)
	if d := a.cfg.Registry.Flush; d != nil {
		delay = *d
	}
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	var due <-chan time.Time // the timer's channel while it runs
	for {
		select {
		case <-ctx.Done():
			return
		case <-a.trackers.news:
			if delay > 0 {
				if due == nil {
					timer.Reset(delay)
					due = timer.C
				}
				continue
			}
		case <-due:
			due = nil
		}
		if err := a.flush(); err != nil {
			a.log.Error("writing the registry", "err", err)
		}
	}
}

func (a *Agent) flush() error {
	a.commitMu.Lock()
	for _, c := range a.commits {
		if err := c(); err != nil {
			a.log.Error("writing a disk queue's acknowledged position", "err", err)
		}
	}
	a.commitMu.Unlock()
	a.trackers.syncAll()
	if err := a.reg.Flush(); err != nil {
		a.metrics.registryErrors.Inc()
		return err
	}
	a.metrics.registryWrites.Inc()
	return nil
}

// agentID reads the agent's id from <dir>/meta.json, creating it with a
// random UUID the first time.
func agentID(dir string) (string, error) {
	path := filepath.Join(dir, "meta.json")
	var m struct {
		UUID string `json:"uuid"`
	}
	b, err := os.ReadFile(path)
	if err == nil {
		if err := json.Unmarshal(b, &m); err != nil {
			return "", fmt.Errorf("%s: %w", path, err)
		}
		if m.UUID != "" {
			return m.UUID, nil
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	var u [16]byte
	if _, err := rand.Read(u[:]); err != nil {
		return "", err
	}
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	m.UUID = fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:])
	b, _ = json.Marshal(m)
	return m.UUID, registry.WriteAtomic(path, b)
}
