// Package agent is sluice's log shipper (the Filebeat of sluice): it tails
// files named by globs and produces every line, as an ECS-shaped JSON
// event, to Kafka topics — a sluice broker or any Kafka cluster.
//
// Delivery is at least once. Per file (keyed by input id, device and inode)
// the registry (package registry) holds the offset below which the brokers
// acknowledged every line; it is written atomically every registry.flush
// and at shutdown, and reading resumes there after a restart or a crash,
// so only lines whose batch was not acknowledged are sent twice. The
// producer's buffer is bounded by queue.mem.events: when the brokers are
// unreachable, reading stops until they take events again.
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
		in, err := newInput(ic, a.meta, a.reg, a.trackers, out, a.metrics, a.log)
		if err != nil {
			out.cl.Close()
			return fmt.Errorf("agent: input %s: %w", ic.ID, err)
		}
		if ic.Type == "journald" {
			inputs = append(inputs, newJournaldInput(in, a.trackers))
			continue
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
				a.log.Error("input stopped", "input", in.id(), "err", err)
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

// runner is an input of any type: files (input) or the journal
// (journaldInput).
type runner interface {
	Run(ctx context.Context) error
	id() string
}

// flushLoop writes the registry every registry.flush, or, when that is 0,
// as soon as an offset advanced (writes coalesce while one is under way).
func (a *Agent) flushLoop(ctx context.Context) {
	var tick <-chan time.Time
	var news <-chan struct{}
	if a.cfg.Registry.Flush > 0 {
		t := time.NewTicker(a.cfg.Registry.Flush)
		defer t.Stop()
		tick = t.C
	} else {
		news = a.trackers.news
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-news:
			if err := a.flush(); err != nil {
				a.log.Error("writing the registry", "err", err)
			}
		case <-tick:
			if err := a.flush(); err != nil {
				a.log.Error("writing the registry", "err", err)
			}
		}
	}
}

func (a *Agent) flush() error {
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
