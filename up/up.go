package up

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sluicelogs/sluice/agent"
	"github.com/sluicelogs/sluice/broker"
	"github.com/sluicelogs/sluice/coordinator"
	"github.com/sluicelogs/sluice/indexer"
	"github.com/sluicelogs/sluice/internal/clientsec"
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
		// A taken metrics port is retried in the background (metrics.Serve),
		// never a reason not to collect and index.
		serve := func(ctx context.Context) error { return metrics.Serve(ctx, cfg.Metrics, reg, opts.Log, nil) }
		tasks = append(tasks, start(ctx, "metrics", serve, exited))
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
	log.Info("sluice up started", "coordinator", coord.Addr(), "broker", b.Addr(), "inputs", len(ins), "elasticsearch", clientsec.RedactURLs(cfg.Elasticsearch.Hosts))

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

// newCoordinator opens the standalone coordinator of coordinatorConfig.
func newCoordinator(cfg *Config, dir string, log *slog.Logger) (*coordinator.Server, error) {
	zc, err := cfg.coordinatorConfig(dir)
	if err != nil {
		return nil, err
	}
	return coordinator.NewServer(zc, log)
}

// coordinatorConfig builds the coordinator's configuration from
// sluice.yml's coordinator section, with its data in dir, and writes it to
// dir/zoo.cfg for people to read.
func (c *Config) coordinatorConfig(dir string) (*coordinator.Config, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("up: %w", err)
	}
	zc := coordinator.Defaults()
	zc.TickTime, zc.DataDir = c.Coordinator.TickTime, abs
	zc.MinSessionTimeout, zc.MaxSessionTimeout = 2*zc.TickTime, 20*zc.TickTime
	zc.ClientAddr = c.Coordinator.Listen // port 0 picks a free one
	zc.PurgeInterval = time.Hour
	zc.FourLetterWords = map[string]bool{"ruok": true, "srvr": true, "stat": true, "mntr": true, "conf": true}
	if err := zc.Validate(); err != nil {
		return nil, fmt.Errorf("up: coordinator: %w", err)
	}
	if err := writeConfig(dir, "zoo.cfg", "coordinator", zc.Render()); err != nil {
		return nil, err
	}
	return &zc, nil
}

// newBroker opens the broker of brokerConfig.
func newBroker(cfg *Config, dir, zk string, log *slog.Logger) (*broker.Broker, error) {
	bc, err := cfg.brokerConfig(dir, zk)
	if err != nil {
		return nil, err
	}
	return broker.New(bc, log)
}

// brokerConfig builds the broker's configuration from sluice.yml's broker
// section, against the coordinator at zk, with its logs in dir/logs, and
// writes it to dir/server.properties for people to read.
func (c *Config) brokerConfig(dir, zk string) (*broker.Config, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("up: %w", err)
	}
	bc := broker.Defaults()
	bc.BrokerID = 1
	host, port := splitAddr(c.Broker.Listen)
	n, err := strconv.Atoi(port)
	if err != nil {
		return nil, fmt.Errorf("up: broker.listen %q: %w", c.Broker.Listen, err) // validated
	}
	bc.SetListener(host, n)
	bc.LogDirs = []string{filepath.Join(abs, "logs")}
	if err := bc.SetZooKeeperConnect(zk); err != nil {
		return nil, fmt.Errorf("up: broker: %w", err)
	}
	bc.NumPartitions = int32(c.Broker.Partitions)
	bc.RetentionMs = -1
	if h := c.Broker.RetentionHours; h > 0 {
		bc.RetentionMs = int64(h) * int64(time.Hour/time.Millisecond)
	}
	bc.OffsetsPartitions, bc.OffsetsReplication = 1, 1 // one broker
	bc.AutoCreateTopics = true
	if err := bc.Validate(); err != nil {
		return nil, fmt.Errorf("up: broker: %w", err)
	}
	if err := writeConfig(dir, "server.properties", "broker", bc.Render()); err != nil {
		return nil, err
	}
	return &bc, nil
}

// writeConfig writes a component's configuration into its folder, for
// people to read: sluice up does not read it.
func writeConfig(dir, name, section string, text []byte) error {
	header := fmt.Sprintf("# Written by sluice up at each start from sluice.yml's %s section; edit that instead.\n", section)
	if err := os.WriteFile(filepath.Join(dir, name), append([]byte(header), text...), 0o640); err != nil {
		return fmt.Errorf("up: %w", err)
	}
	return nil
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
	fmt.Fprintf(&b, "  indexing into %s, index %s\n", strings.Join(clientsec.RedactURLs(cfg.Elasticsearch.Hosts), ","), cfg.Elasticsearch.Index)
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
