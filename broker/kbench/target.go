package kbench

import (
	"context"
	"fmt"
	"github.com/sluicelogs/sluice/internal/kadmin"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"github.com/sluicelogs/sluice/coordinator/zkbench"
	"github.com/sluicelogs/sluice/internal/proc"
)

// The targets a comparison knows.
const (
	TargetSluice = "sluice"
	TargetKafka  = "kafka"
)

// Spec says how to start a target.
type Spec struct {
	Kind string // TargetSluice or TargetKafka
	Dir  string // data directories and process logs go under it

	Sluice     string // the sluice binary (runs `coordinator` and `broker`)
	Kafka      string // deploy/kafka/run.sh
	KafkaHeap  string // KAFKA_HEAP_OPTS for the Kafka JVM, e.g. "-Xms1g -Xmx1g"
	StartLimit time.Duration
}

// Target is a running broker: for sluice a broker process and its
// coordinator process, for Kafka one JVM (broker and KRaft controller).
type Target struct {
	Spec   Spec
	Addr   string           // bootstrap host:port
	Server *proc.Process    // the sluice broker or the Kafka JVM
	Coord  *zkbench.Cluster // the sluice coordinator; nil for Kafka
}

// Start starts spec's target on free loopback ports and waits until a
// Metadata request lists its broker. On error everything it started is
// stopped.
func Start(ctx context.Context, spec Spec) (*Target, error) {
	if spec.StartLimit <= 0 {
		spec.StartLimit = 2 * time.Minute
	}
	dir := filepath.Join(spec.Dir, spec.Kind)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	port, err := proc.FreePort()
	if err != nil {
		return nil, err
	}
	t := &Target{Spec: spec, Addr: "127.0.0.1:" + strconv.Itoa(port)}
	var cmd *exec.Cmd
	switch spec.Kind {
	case TargetSluice:
		t.Coord, err = zkbench.Start(ctx, zkbench.Spec{Kind: zkbench.TargetSluice, Members: 1, Dir: dir, Sluice: spec.Sluice, StartLimit: spec.StartLimit})
		if err != nil {
			return nil, fmt.Errorf("sluice coordinator: %w", err)
		}
		props, err := writeBrokerConfig(dir, port, t.Coord.Addrs()[0])
		if err != nil {
			t.Stop()
			return nil, err
		}
		cmd = exec.Command(spec.Sluice, "broker", "--config", props)
	case TargetKafka:
		cport, err := proc.FreePort()
		if err != nil {
			return nil, err
		}
		cmd = exec.Command("bash", spec.Kafka, "--port", strconv.Itoa(port), "--controller-port", strconv.Itoa(cport), "--data", filepath.Join(dir, "data"))
		// Provisioning is `make peers`' job; run.sh says what is missing.
		cmd.Env = append(os.Environ(), "KAFKA_PEER_NO_BUILD=1", "KAFKA_HEAP_OPTS="+spec.KafkaHeap)
	default:
		return nil, fmt.Errorf("kbench: unknown target %q (want %s or %s)", spec.Kind, TargetSluice, TargetKafka)
	}
	t.Server, err = proc.Start(spec.Kind+" broker", cmd, filepath.Join(dir, "broker.log"))
	if err != nil {
		t.Stop()
		return nil, fmt.Errorf("kbench: %w", err)
	}
	t.Server.Grace = 15 * time.Second
	ctx, cancel := context.WithTimeout(ctx, spec.StartLimit)
	defer cancel()
	if err := waitBroker(ctx, t.Addr, t.Server); err != nil {
		t.Stop()
		return nil, err
	}
	return t, nil
}

// writeBrokerConfig writes the server.properties of a sluice broker with id
// 1 listening on port and returns its path.
func writeBrokerConfig(dir string, port int, zk string) (string, error) {
	logs := filepath.Join(dir, "logs")
	if err := os.MkdirAll(logs, 0o755); err != nil {
		return "", err
	}
	props := fmt.Sprintf("broker.id=1\nlisteners=PLAINTEXT://127.0.0.1:%d\nlog.dirs=%s\nzookeeper.connect=%s\nnum.partitions=1\noffsets.topic.num.partitions=1\n", port, logs, zk)
	path := filepath.Join(dir, "server.properties")
	return path, os.WriteFile(path, []byte(props), 0o644)
}

// waitBroker polls addr with Metadata requests until one lists a broker,
// failing early if p exits.
func waitBroker(ctx context.Context, addr string, p *proc.Process) error {
	err := proc.WaitReady(ctx, 250*time.Millisecond, func(ctx context.Context) error { return kadmin.Ready(ctx, addr) }, p)
	if err != nil {
		return fmt.Errorf("%s at %s: %w\n%s", p.Name, addr, err, p.Tail(20))
	}
	return nil
}

// ServerRSS returns the resident memory of the broker process (the JVM for
// Kafka), in bytes.
func (t *Target) ServerRSS() (int64, error) {
	// run.sh execs java, so for Kafka the process started is the JVM once
	// the JVM runs.
	pid := t.Server.Pid()
	if t.Spec.Kind == TargetKafka {
		if c := proc.Comm(pid); c != "java" {
			return 0, fmt.Errorf("kafka process %d is %q, not java", pid, c)
		}
	}
	return proc.RSS(pid)
}

// CoordinatorRSS returns the resident memory of the sluice coordinator, or
// -1 for Kafka (its controller lives in the broker's JVM).
func (t *Target) CoordinatorRSS() (int64, error) {
	if t.Coord == nil {
		return -1, nil
	}
	rss, err := t.Coord.RSS()
	if err != nil {
		return 0, err
	}
	return rss[0], nil
}

// Stop stops the broker, then the coordinator. A nil Target is stopped.
func (t *Target) Stop() {
	if t == nil {
		return
	}
	if t.Server != nil {
		t.Server.Stop()
	}
	t.Coord.Stop()
}
