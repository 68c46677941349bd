package testpeer

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluicelogs/sluice/broker"
	"github.com/sluicelogs/sluice/internal/kadmin"
	"github.com/sluicelogs/sluice/testkit/proc"
)

// BrokersSpec says which Kafka-protocol cluster StartBrokers starts.
type BrokersSpec struct {
	Kind        string // KindSluice or KindKafka
	Dir         string // data directories and process logs go under it
	Brokers     int    // broker processes (Kafka: KRaft JVMs), default 1
	Replication int    // default.replication.factor and the internal topics', default 1

	Sluice     string // the sluice binary (runs `coordinator` and `broker`)
	Kafka      string // deploy/kafka/run.sh
	KafkaHeap  string // KAFKA_HEAP_OPTS for each Kafka JVM, e.g. "-Xms1g -Xmx1g"
	GoMemLimit string // GOMEMLIMIT for each sluice broker process (its heap bound, as KafkaHeap's -Xmx), e.g. "132MiB"
	StartLimit time.Duration

	// KafkaProperties, if set, returns lines appended to the
	// server.properties of Kafka node (from 1) listening on port (its
	// PLAINTEXT listener, which the readiness check uses) with its
	// controller on controllerPort: keys given again win, e.g. listeners
	// with a SASL_SSL listener added. KafkaSCRAM are SCRAM credentials
	// created when formatting ('SCRAM-SHA-512=[name=alice,password=…]').
	KafkaProperties func(node, port, controllerPort int) string
	KafkaSCRAM      []string

	// Configure, if set, changes each sluice broker's configuration
	// (broker id, from 1) before it is written, e.g. to set limits.
	Configure func(id int, cfg *broker.Config)
}

// Brokers is a running Kafka-protocol cluster: for sluice the broker processes and their
// coordinator (standalone for one broker, a 3-member ensemble for more), for
// Kafka one JVM per broker, each a broker and a KRaft controller voter.
type Brokers struct {
	Spec    BrokersSpec
	Addr    string          // bootstrap host:port (the first broker)
	Addrs   []string        // every broker's host:port
	Servers []*proc.Process // the sluice brokers or the Kafka JVMs
	Coord   *Ensemble       // the sluice coordinator; nil for Kafka
}

// CoordinatorMembers is the size of the sluice coordinator that StartBrokers
// gives a cluster of brokers brokers: standalone for one broker, as a
// single-host install; an ensemble of three for a cluster, as
// deploy/cluster.sh runs.
func CoordinatorMembers(brokers int) int {
	if brokers > 1 {
		return 3
	}
	return 1
}

// StartBrokers starts spec's cluster on free loopback ports and waits until a
// Metadata request to every broker lists all of them. On error everything
// it started is stopped.
func StartBrokers(ctx context.Context, spec BrokersSpec) (*Brokers, error) {
	if spec.StartLimit <= 0 {
		spec.StartLimit = 2 * time.Minute
	}
	spec.Brokers, spec.Replication = max(spec.Brokers, 1), max(spec.Replication, 1)
	if spec.Replication > spec.Brokers {
		return nil, fmt.Errorf("testpeer: replication factor %d with %d brokers", spec.Replication, spec.Brokers)
	}
	dir := filepath.Join(spec.Dir, spec.Kind)
	if spec.Brokers > 1 {
		dir = filepath.Join(spec.Dir, fmt.Sprintf("%s-%dbrokers", spec.Kind, spec.Brokers))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	t := &Brokers{Spec: spec}
	cmds, err := t.commands(ctx, dir)
	if err != nil {
		t.Stop()
		return nil, err
	}
	t.Addr = t.Addrs[0]
	for i, cmd := range cmds {
		name := spec.Kind + " broker"
		log := filepath.Join(dir, "broker.log")
		if spec.Brokers > 1 {
			name = fmt.Sprintf("%s broker %d", spec.Kind, i+1)
			log = filepath.Join(dir, fmt.Sprintf("broker%d.log", i+1))
		}
		p, err := proc.Start(name, cmd, log)
		if err != nil {
			t.Stop()
			return nil, fmt.Errorf("testpeer: %w", err)
		}
		p.Grace = 15 * time.Second
		t.Servers = append(t.Servers, p)
	}
	ctx, cancel := context.WithTimeout(ctx, spec.StartLimit)
	defer cancel()
	for i, addr := range t.Addrs {
		err := proc.WaitReady(ctx, 250*time.Millisecond, func(ctx context.Context) error { return kadmin.ReadyBrokers(ctx, addr, spec.Brokers) }, t.Servers...)
		if err != nil {
			t.Stop()
			return nil, fmt.Errorf("%s at %s: %w\n%s", t.Servers[i].Name, addr, err, t.Tails(20))
		}
	}
	return t, nil
}

// commands starts the sluice coordinator if the cluster needs one, picks
// the brokers' ports (after the coordinator took its own, so the two cannot
// pick the same free port) into t.Addrs, and returns the commands of the
// broker processes.
func (t *Brokers) commands(ctx context.Context, dir string) ([]*exec.Cmd, error) {
	spec := t.Spec
	var cmds []*exec.Cmd
	if spec.Kind == KindSluice {
		var err error
		t.Coord, err = StartEnsemble(ctx, EnsembleSpec{Kind: KindSluice, Members: CoordinatorMembers(spec.Brokers), Dir: dir, Sluice: spec.Sluice, StartLimit: spec.StartLimit})
		if err != nil {
			return nil, fmt.Errorf("sluice coordinator: %w", err)
		}
	}
	ports := make([]int, spec.Brokers)
	for i := range ports {
		p, err := proc.FreePort()
		if err != nil {
			return nil, err
		}
		ports[i] = p
		t.Addrs = append(t.Addrs, "127.0.0.1:"+strconv.Itoa(p))
	}
	switch spec.Kind {
	case KindSluice:
		for i, port := range ports {
			bdir := dir
			if len(ports) > 1 {
				bdir = filepath.Join(dir, fmt.Sprintf("broker%d", i+1))
			}
			cfg, err := BrokerConfig(bdir, i+1, port, strings.Join(t.Coord.Addrs(), ","), spec.Replication)
			if err == nil && spec.Configure != nil {
				spec.Configure(i+1, &cfg)
				err = cfg.Validate()
			}
			var props string
			if err == nil {
				props, err = WriteBrokerConfig(bdir, cfg)
			}
			if err != nil {
				return nil, err
			}
			cmd := exec.Command(spec.Sluice, "broker", "--config", props)
			if spec.GoMemLimit != "" {
				cmd.Env = append(os.Environ(), "GOMEMLIMIT="+spec.GoMemLimit)
			}
			cmds = append(cmds, cmd)
		}
	case KindKafka:
		cports := make([]int, len(ports))
		var quorum []string
		for i := range cports {
			p, err := proc.FreePort()
			if err != nil {
				return nil, err
			}
			cports[i] = p
			quorum = append(quorum, fmt.Sprintf("%d@127.0.0.1:%d", i+1, p))
		}
		for i, port := range ports {
			data := filepath.Join(dir, "data")
			if len(ports) > 1 {
				data = filepath.Join(dir, fmt.Sprintf("data%d", i+1))
			}
			// run.sh derives default.replication.factor and the internal
			// topics' from the size of the quorum (at most 3).
			args := []string{spec.Kafka, "--port", strconv.Itoa(port), "--controller-port", strconv.Itoa(cports[i]),
				"--node-id", strconv.Itoa(i + 1), "--quorum", strings.Join(quorum, ","), "--data", data}
			if spec.KafkaProperties != nil {
				extra := filepath.Join(dir, fmt.Sprintf("extra%d.properties", i+1))
				if err := os.WriteFile(extra, []byte(spec.KafkaProperties(i+1, port, cports[i])), 0o600); err != nil {
					return nil, fmt.Errorf("testpeer: %w", err)
				}
				args = append(args, "--extra-properties", extra)
			}
			for _, s := range spec.KafkaSCRAM {
				args = append(args, "--add-scram", s)
			}
			cmd := exec.Command("bash", args...)
			// Provisioning is `make peers`' job; run.sh says what is missing.
			cmd.Env = append(os.Environ(), "KAFKA_PEER_NO_BUILD=1", "KAFKA_HEAP_OPTS="+spec.KafkaHeap)
			cmds = append(cmds, cmd)
		}
	default:
		return nil, fmt.Errorf("testpeer: unknown broker kind %q (want %s or %s)", spec.Kind, KindSluice, KindKafka)
	}
	return cmds, nil
}

// BrokerConfig is the configuration of sluice broker id listening on port
// with its logs under dir, against the coordinator at zk. Replication
// settings are Kafka's defaults, set explicitly so they match the Kafka
// peer's.
func BrokerConfig(dir string, id, port int, zk string, replication int) (broker.Config, error) {
	cfg := broker.Defaults()
	cfg.BrokerID = int32(id)
	cfg.SetListener("127.0.0.1", port)
	cfg.LogDirs = []string{filepath.Join(dir, "logs")}
	if err := cfg.SetZooKeeperConnect(zk); err != nil {
		return cfg, err
	}
	cfg.NumPartitions, cfg.OffsetsPartitions = 1, 1
	cfg.DefaultReplication, cfg.OffsetsReplication = int16(replication), int16(replication)
	cfg.MinInsyncReplicas = 1
	cfg.ReplicaLagTimeMax, cfg.ReplicaFetchWaitMax = 30*time.Second, 500*time.Millisecond
	return cfg, cfg.Validate()
}

// WriteBrokerConfig writes cfg as dir/server.properties for a broker
// process (creating its log directories) and returns the file's path.
func WriteBrokerConfig(dir string, cfg broker.Config) (string, error) {
	for _, d := range cfg.LogDirs {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return "", err
		}
	}
	path := filepath.Join(dir, "server.properties")
	return path, os.WriteFile(path, cfg.Render(), 0o644)
}

// Tails returns the last n lines of every broker's log.
func (t *Brokers) Tails(n int) string {
	var b strings.Builder
	for _, p := range t.Servers {
		fmt.Fprintf(&b, "%s:\n%s\n", p.Name, p.Tail(n))
	}
	return b.String()
}

// ServerRSS returns the resident memory of the broker processes (the JVMs
// for Kafka) together, in bytes.
func (t *Brokers) ServerRSS() (int64, error) {
	var sum int64
	for _, p := range t.Servers {
		// run.sh execs java, so for Kafka the process started is the JVM
		// once the JVM runs.
		pid := p.Pid()
		if t.Spec.Kind == KindKafka {
			if c := proc.Comm(pid); c != "java" {
				return 0, fmt.Errorf("kafka process %d is %q, not java", pid, c)
			}
		}
		rss, err := proc.RSS(pid)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", p.Name, err)
		}
		sum += rss
	}
	return sum, nil
}

// CoordinatorRSS returns the resident memory of the sluice coordinator's
// members together, or -1 for Kafka (its controllers live in the brokers'
// JVMs).
func (t *Brokers) CoordinatorRSS() (int64, error) {
	if t.Coord == nil {
		return -1, nil
	}
	rss, err := t.Coord.RSS()
	if err != nil {
		return 0, err
	}
	var sum int64
	for _, r := range rss {
		sum += r
	}
	return sum, nil
}

// Stop stops the brokers (all at once, so none waits for a follower that is
// already gone), then the coordinator. A nil Brokers is stopped.
func (t *Brokers) Stop() {
	if t == nil {
		return
	}
	done := make(chan struct{}, len(t.Servers))
	for _, p := range t.Servers {
		go func() { // owned by Stop, which waits for it below
			p.Stop()
			done <- struct{}{}
		}()
	}
	for range t.Servers {
		<-done
	}
	t.Coord.Stop()
}

// BrokersFor is StartBrokers for a test: the cluster's directories go under
// a temporary directory unless spec.Dir is set, the test fails if it does
// not start, and it stops when the test ends (printing the last lines of
// each broker's log if the test failed).
func BrokersFor(tb testing.TB, spec BrokersSpec) *Brokers {
	tb.Helper()
	if spec.Dir == "" {
		spec.Dir = tb.TempDir()
	}
	return startFor(tb, spec.StartLimit, func(ctx context.Context) (*Brokers, error) { return StartBrokers(ctx, spec) }, func(b *Brokers) string { return b.Tails(40) })
}
