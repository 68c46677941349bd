package up

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sluicelogs/sluice/agent"
	"github.com/sluicelogs/sluice/broker"
	"github.com/sluicelogs/sluice/coordinator"
	"github.com/sluicelogs/sluice/indexer"
	"github.com/sluicelogs/sluice/internal/kadmin"
	"github.com/sluicelogs/sluice/internal/metrics"
)

// DeadLetterTopic receives the events Elasticsearch rejects.
const DeadLetterTopic = "sluice-dlq"

// Options are what the caller gives besides the configuration.
type Options struct {
	Version string
	Log     *slog.Logger // nil: no logging
	// Out receives the start message, the live line and the summary; nil
	// for none.
	Out io.Writer
	// Terminal redraws the live line in place every second; otherwise a
	// line is written every Every (none when 0).
	Terminal bool
	Every    time.Duration
}

// Run starts the coordinator, the broker, the indexer and the agent, in
// that order, and runs them until ctx ends or one of them fails. Then it
// stops them in the reverse order: the agent drains (every event it read
// is acknowledged by the broker, and its registry written), the indexer
// takes in what is left (up to ShutdownTimeout), finishes its batch and
// commits, then the broker and the coordinator close.
func Run(ctx context.Context, cfg *Config, opts Options) (err error) {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	log := opts.Log.With("component", "up")
	dirs := map[string]string{}
	for _, d := range []string{"coordinator", "broker", "agent"} {
		dirs[d] = filepath.Join(cfg.Data, d)
		if err := os.MkdirAll(dirs[d], 0o750); err != nil {
			return fmt.Errorf("up: %w", err)
		}
	}
	reg := metrics.NewRegistry()
	exited := make(chan *task, 8)
	var tasks []*task // in start order; stopped in reverse
	defer func() {
		for i := len(tasks) - 1; i >= 0; i-- {
			err = errors.Join(err, tasks[i].stop())
		}
	}()

	coord, err := newCoordinator(cfg, dirs["coordinator"], opts.Log)
	if err != nil {
		return err
	}
	reg.MustRegister(coord.Collectors()...)
	tasks = append(tasks, start(ctx, "coordinator", coord.Run, exited))

	b, err := newBroker(cfg, dirs["broker"], coord.Addr(), opts.Log)
	if err != nil {
		return err
	}
	reg.MustRegister(b.Collectors()...)
	tasks = append(tasks, start(ctx, "broker", b.Run, exited))

	ins := cfg.inputs()
	if err := createTopics(ctx, b.Addr(), cfg.Broker.Partitions, ins); err != nil {
		if ctx.Err() != nil {
			return nil // stopped while starting
		}
		return err
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addr()))
	if err != nil {
		return fmt.Errorf("up: admin client: %w", err)
	}
	defer cl.Close() // before the broker stops: defers run last in, first out
	adm := kadm.NewClient(cl)

	if cfg.Metrics != "" {
		srv, err := metrics.Listen(cfg.Metrics, reg, opts.Log)
		if err != nil {
			return err
		}
		tasks = append(tasks, start(ctx, "metrics", srv.Run, exited))
	}

	ix, err := indexer.New(cfg.indexerConfig(b.Addr()), opts.Log)
	if err != nil {
		return err
	}
	reg.MustRegister(ix.Collectors()...)
	indexerTask := start(ctx, "indexer", ix.Run, exited)
	tasks = append(tasks, indexerTask)

	acfg, err := cfg.agentConfig(b.Addr(), dirs["agent"])
	if err != nil {
		return err
	}
	ag, err := agent.New(acfg, opts.Version, reg, opts.Log)
	if err != nil {
		return err
	}
	agentTask := start(ctx, "agent", ag.Run, exited)
	tasks = append(tasks, agentTask)

	p := &progress{w: opts.Out, terminal: opts.Terminal, every: opts.Every}
	p.printf("%s", banner(cfg, coord.Addr(), b.Addr(), ins))
	log.Info("sluice up started", "coordinator", coord.Addr(), "broker", b.Addr(), "inputs", len(ins), "elasticsearch", cfg.Elasticsearch.Hosts)

	bg := context.WithoutCancel(ctx) // sampling goes on while stopping
	sample := func() Stats {
		s, err := counters(reg)
		if err != nil {
			log.Warn("reading the counters", "err", err)
		}
		if s.Lag, err = lag(bg, adm, ins); err != nil {
			log.Debug("consumer lag", "err", err)
		}
		return s
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var failed error
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case t := <-exited:
			failed = t.failure()
			log.Error("a component stopped; stopping the others", "err", failed)
			break loop
		case now := <-tick.C:
			p.sample(sample(), now)
		}
	}

	// Stop reading, and wait for the broker to acknowledge what was read.
	p.printf("stopping: the agent drains...\n")
	tasks = tasks[:len(tasks)-1]
	if err := agentTask.stop(); err != nil {
		failed = errors.Join(failed, err)
	}
	if failed == nil {
		drain(cfg.ShutdownTimeout, sample, p, log)
	}
	tasks = tasks[:len(tasks)-1]
	if err := indexerTask.stop(); err != nil {
		failed = errors.Join(failed, err)
	}
	final := sample()
	p.printf("sluice up stopped: %s\n", final.Line(-1))
	if final.Lag > 0 {
		p.printf("  %s events not indexed yet stay in the broker; they are indexed at the next start\n", group3(final.Lag))
	}
	if final.Unshipped > 0 {
		p.printf("  %s lines read as it stopped were not shipped; they are read again at the next start\n", group3(final.Unshipped))
	}
	log.Info("sluice up stopped", "read", final.Read, "shipped", final.Shipped, "indexed", final.Indexed, "lag", final.Lag)
	return failed
}

// stallTimeout ends drain early when the lag stopped going down (e.g.
// Elasticsearch is unreachable).
const stallTimeout = 5 * time.Second

// drain waits, up to timeout, until the indexer has committed everything
// in the inputs' topics; it gives up sooner when the lag stops shrinking.
func drain(timeout time.Duration, sample func() Stats, p *progress, log *slog.Logger) {
	if timeout <= 0 {
		return
	}
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	p.printf("stopping: the indexer takes in what was shipped (up to %s)...\n", timeout)
	best, bestAt := int64(-1), time.Now()
	for now := range tick.C {
		s := sample()
		if s.Lag == 0 {
			return
		}
		p.sample(s, now)
		if s.Lag >= 0 && (best < 0 || s.Lag < best) {
			best, bestAt = s.Lag, now
		}
		if now.After(deadline) || now.Sub(bestAt) > stallTimeout {
			log.Warn("stopping with events not indexed yet; they stay in the broker and are indexed at the next start", "lag", s.Lag)
			return
		}
	}
}

// newCoordinator writes data/coordinator/zoo.cfg and opens a standalone
// coordinator from it.
func newCoordinator(cfg *Config, dir string, log *slog.Logger) (*coordinator.Server, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("up: %w", err)
	}
	host, port := splitAddr(cfg.Coordinator.Listen)
	text := fmt.Sprintf(`# Written by sluice up at each start from sluice.yml's coordinator section.
tickTime=%d
dataDir=%s
clientPort=%s
clientPortAddress=%s
autopurge.purgeInterval=1
4lw.commands.whitelist=ruok,srvr,stat,mntr,conf
`, cfg.Coordinator.TickTime.Milliseconds(), abs, nonZero(port), host)
	path := filepath.Join(dir, "zoo.cfg")
	if err := os.WriteFile(path, []byte(text), 0o640); err != nil {
		return nil, fmt.Errorf("up: %w", err)
	}
	zc, _, err := coordinator.LoadConfig(path)
	if err != nil {
		return nil, err
	}
	zc.ClientAddr = cfg.Coordinator.Listen // port 0 picks a free one
	return coordinator.NewServer(zc, log)
}

// newBroker writes data/broker/server.properties and opens the broker.
func newBroker(cfg *Config, dir, zk string, log *slog.Logger) (*broker.Broker, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("up: %w", err)
	}
	text := fmt.Sprintf(`# Written by sluice up at each start from sluice.yml's broker section.
broker.id=1
listeners=PLAINTEXT://%s
log.dirs=%s
zookeeper.connect=%s
num.partitions=%d
log.retention.hours=%d
offsets.topic.num.partitions=1
auto.create.topics.enable=true
`, cfg.Broker.Listen, filepath.Join(abs, "logs"), zk, cfg.Broker.Partitions, cfg.Broker.RetentionHours)
	path := filepath.Join(dir, "server.properties")
	if err := os.WriteFile(path, []byte(text), 0o640); err != nil {
		return nil, fmt.Errorf("up: %w", err)
	}
	bc, _, err := broker.LoadConfig(path)
	if err != nil {
		return nil, err
	}
	return broker.New(bc, log)
}

// createTopics waits for the broker and creates the inputs' topics and
// the dead-letter topic (those that exist are left as they are).
func createTopics(ctx context.Context, addr string, partitions int, ins []input) error {
	wait, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for {
		err := kadmin.Ready(wait, addr)
		if err == nil {
			break
		}
		select {
		case <-wait.Done():
			return fmt.Errorf("up: broker at %s not ready: %w", addr, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		return fmt.Errorf("up: %w", err)
	}
	defer cl.Close()
	if err := kadmin.CreateTopic(ctx, cl, DeadLetterTopic, 1); err != nil {
		return fmt.Errorf("up: %w", err)
	}
	for _, in := range ins {
		if err := kadmin.CreateTopic(ctx, cl, in.Topic, partitions); err != nil {
			return fmt.Errorf("up: input %s: %w", in.ID, err)
		}
	}
	return nil
}

// banner says what runs where.
func banner(cfg *Config, zk, kafka string, ins []input) string {
	var b strings.Builder
	fmt.Fprintf(&b, "sluice up: coordinator %s (ZooKeeper protocol), broker %s (Kafka protocol), data in %s\n", zk, kafka, cfg.Data)
	fmt.Fprintf(&b, "  indexing into %s, index %s\n", strings.Join(cfg.Elasticsearch.Hosts, ","), cfg.Elasticsearch.Index)
	for _, in := range ins {
		pl := "unchanged (no pipeline " + in.ID + ".yml)"
		if cfg.Pipelines == "" {
			pl = "unchanged"
		}
		if in.Pipeline != "" {
			pl = "pipeline " + in.Pipeline
		}
		fmt.Fprintf(&b, "  input %s: %s → topic %s → %s\n", in.ID, strings.Join(in.Paths, ", "), in.Topic, pl)
	}
	return b.String()
}

func splitAddr(addr string) (host, port string) {
	i := strings.LastIndexByte(addr, ':')
	return strings.Trim(addr[:i], "[]"), addr[i+1:]
}

// nonZero keeps zoo.cfg valid when the port is 0 (a free port, set on
// the loaded config afterwards).
func nonZero(port string) string {
	if port == "0" {
		return "1"
	}
	return port
}
