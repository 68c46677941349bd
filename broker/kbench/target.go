package kbench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicelogs/sluice/coordinator/zkbench"
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
	Server *Process         // the sluice broker or the Kafka JVM
	Coord  *zkbench.Cluster // the sluice coordinator; nil for Kafka
}

// Process is one server process, in its own process group.
type Process struct {
	Name    string
	LogPath string
	cmd     *exec.Cmd
	done    chan struct{}
	waitErr error
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
	port, err := freePort()
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
		cport, err := freePort()
		if err != nil {
			return nil, err
		}
		cmd = exec.Command("bash", spec.Kafka, "--port", strconv.Itoa(port), "--controller-port", strconv.Itoa(cport), "--data", filepath.Join(dir, "data"))
		// Provisioning is `make peers`' job; run.sh says what is missing.
		cmd.Env = append(os.Environ(), "KAFKA_PEER_NO_BUILD=1", "KAFKA_HEAP_OPTS="+spec.KafkaHeap)
	default:
		return nil, fmt.Errorf("kbench: unknown target %q (want %s or %s)", spec.Kind, TargetSluice, TargetKafka)
	}
	t.Server, err = startProcess(cmd, spec.Kind+" broker", filepath.Join(dir, "broker.log"))
	if err != nil {
		t.Stop()
		return nil, err
	}
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

func startProcess(cmd *exec.Cmd, name, logPath string) (*Process, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("kbench: start %s: %w", cmd.Path, err)
	}
	p := &Process{Name: name, LogPath: logPath, cmd: cmd, done: make(chan struct{})}
	go func() { // owned by p: ends when the process exits, which Stop ensures
		p.waitErr = cmd.Wait()
		logf.Close()
		close(p.done)
	}()
	return p, nil
}

// waitBroker polls addr with Metadata requests until one lists a broker,
// failing early if p exits.
func waitBroker(ctx context.Context, addr string, p *Process) error {
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		err := metadataReady(ctx, addr)
		if err == nil {
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("%s exited before it was ready: %v\n%s", p.Name, p.waitErr, p.Tail(20))
		case <-ctx.Done():
			return fmt.Errorf("%s at %s not ready: %w", p.Name, addr, err)
		case <-tick.C:
		}
	}
}

func metadataReady(ctx context.Context, addr string) error {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	c.Close()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.RequestRetries(0))
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	resp, err := kmsg.NewPtrMetadataRequest().RequestWith(ctx, cl)
	if err != nil {
		return fmt.Errorf("metadata: %w", err)
	}
	if len(resp.Brokers) == 0 {
		return errors.New("metadata lists no brokers yet")
	}
	return nil
}

// Pid is the process id of the server process. run.sh execs java, so for
// Kafka it is the JVM's once the JVM runs.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// ServerRSS returns the resident memory of the broker process (the JVM for
// Kafka), in bytes.
func (t *Target) ServerRSS() (int64, error) {
	pid := t.Server.Pid()
	if t.Spec.Kind == TargetKafka {
		comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		if c := strings.TrimSpace(string(comm)); c != "java" {
			return 0, fmt.Errorf("kafka process %d is %q, not java", pid, c)
		}
	}
	return zkbench.ProcessRSS(pid)
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

// Stop stops the process group (SIGTERM, SIGKILL after 15 seconds) and
// waits for the process.
func (p *Process) Stop() {
	select {
	case <-p.done:
		return
	default:
	}
	pgid := -p.cmd.Process.Pid
	_ = syscall.Kill(pgid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		_ = syscall.Kill(pgid, syscall.SIGKILL)
		<-p.done
	}
	_ = syscall.Kill(pgid, syscall.SIGKILL) // children that outlived the leader
}

// Tail returns the last n lines of the process's log.
func (p *Process) Tail(n int) string {
	b, err := os.ReadFile(p.LogPath)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("kbench: free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
