package testpeer

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
	"testing"
	"time"

	"github.com/sluicelogs/sluice/coordinator"
	"github.com/sluicelogs/sluice/coordinator/zkproto"
	"github.com/sluicelogs/sluice/testkit/proc"
)

// The kinds of server StartEnsemble and StartBrokers run: sluice's own, or
// the Apache program it is compared with.
const (
	KindSluice    = "sluice"
	KindZooKeeper = "zookeeper"
	KindKafka     = "kafka"
)

// EnsembleSpec says which coordinator ensemble StartEnsemble starts.
type EnsembleSpec struct {
	Kind    string // KindSluice or KindZooKeeper
	Members int    // 1 for standalone, otherwise an ensemble of that many voters
	Dir     string // where the members' data directories and logs go

	Sluice     string // the sluice binary (runs `coordinator --config`)
	ZooKeeper  string // deploy/zookeeper/run.sh
	JavaOpts   string // ZK_JAVA_OPTS for the ZooKeeper JVMs
	GoMemLimit string // GOMEMLIMIT for each sluice member (its heap bound, as -Xmx in JavaOpts), e.g. "132MiB"
	StartLimit time.Duration

	// ZooKeeperConfig, if set, are lines added to each ZooKeeper member's
	// zoo.cfg (e.g. secureClientPort and the ssl.* keys).
	ZooKeeperConfig []string

	// Configure, if set, changes each sluice member's configuration
	// (member id, from 1) before it is written, e.g. to set limits.
	Configure func(id int, cfg *coordinator.Config)
}

// Ensemble is a running coordinator ensemble (or standalone member): one
// process per member.
type Ensemble struct {
	Spec    EnsembleSpec
	Members []*Member
}

// Member is one member process, in its own process group.
type Member struct {
	ID         int
	ClientAddr string
	PeerAddr   string // host:port of its peer (quorum) port; "" standalone
	*proc.Process
}

// StartEnsemble starts the members of spec on free loopback ports, each with its
// own data directory under spec.Dir, and waits until every member answers
// ruok with imok and, for an ensemble, srvr shows one leader and the others
// following. On error everything it started is stopped.
func StartEnsemble(ctx context.Context, spec EnsembleSpec) (*Ensemble, error) {
	if spec.Members < 1 {
		return nil, fmt.Errorf("testpeer: ensemble of %d members", spec.Members)
	}
	if spec.StartLimit <= 0 {
		spec.StartLimit = 2 * time.Minute
	}
	c := &Ensemble{Spec: spec}
	ports := make([][3]int, spec.Members) // client, peer, election
	for i := range ports {
		for j := range ports[i] {
			p, err := proc.FreePort()
			if err != nil {
				return nil, err
			}
			ports[i][j] = p
		}
	}
	var servers []string
	if spec.Members > 1 {
		for i, p := range ports {
			servers = append(servers, fmt.Sprintf("%d=127.0.0.1:%d:%d", i+1, p[1], p[2]))
		}
	}
	for i, p := range ports {
		id := i + 1
		dir := filepath.Join(spec.Dir, fmt.Sprintf("%s-%d-member%d", spec.Kind, spec.Members, id))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			c.Stop()
			return nil, err
		}
		var cmd *exec.Cmd
		switch spec.Kind {
		case KindSluice:
			cfg, err := CoordinatorConfig(dir, id, p[0], servers)
			if err == nil && spec.Configure != nil {
				spec.Configure(id, &cfg)
				err = cfg.Validate()
			}
			var path string
			if err == nil {
				path, err = WriteCoordinatorConfig(dir, cfg)
			}
			if err != nil {
				c.Stop()
				return nil, err
			}
			cmd = exec.Command(spec.Sluice, "coordinator", "--config", path)
			if spec.GoMemLimit != "" {
				cmd.Env = append(os.Environ(), "GOMEMLIMIT="+spec.GoMemLimit)
			}
		case KindZooKeeper:
			args := []string{spec.ZooKeeper, "--port", strconv.Itoa(p[0]), "--data", filepath.Join(dir, "data")}
			if len(servers) > 0 {
				args = append(args, "--id", strconv.Itoa(id), "--servers", strings.Join(servers, ","))
			}
			if len(spec.ZooKeeperConfig) > 0 {
				extra := filepath.Join(dir, "zoo.cfg.extra")
				if err := os.WriteFile(extra, []byte(strings.Join(spec.ZooKeeperConfig, "\n")+"\n"), 0o644); err != nil {
					c.Stop()
					return nil, err
				}
				args = append(args, "--extra", extra)
			}
			cmd = exec.Command("bash", args...)
			cmd.Env = append(os.Environ(), "ZK_JAVA_OPTS="+spec.JavaOpts)
		default:
			c.Stop()
			return nil, fmt.Errorf("testpeer: unknown ensemble kind %q (want %s or %s)", spec.Kind, KindSluice, KindZooKeeper)
		}
		pr, err := proc.Start(fmt.Sprintf("%s member %d", spec.Kind, id), cmd, filepath.Join(dir, "member.log"))
		if err != nil {
			c.Stop()
			return nil, fmt.Errorf("testpeer: %w", err)
		}
		m := &Member{ID: id, ClientAddr: "127.0.0.1:" + strconv.Itoa(p[0]), Process: pr}
		if len(servers) > 0 {
			m.PeerAddr = "127.0.0.1:" + strconv.Itoa(p[1])
		}
		c.Members = append(c.Members, m)
	}
	ctx, cancel := context.WithTimeout(ctx, spec.StartLimit)
	defer cancel()
	if err := c.waitReady(ctx); err != nil {
		c.Stop()
		return nil, err
	}
	return c, nil
}

// CoordinatorConfig is the configuration of sluice coordinator member id
// with its data under dir and its client port clientPort, in the ensemble
// servers ("N=host:peerPort:electionPort" each; none: standalone), with
// the keys deploy/zookeeper/run.sh gives ZooKeeper.
func CoordinatorConfig(dir string, id, clientPort int, servers []string) (coordinator.Config, error) {
	cfg := coordinator.Defaults()
	cfg.DataDir = filepath.Join(dir, "data")
	cfg.ClientAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(clientPort))
	cfg.MaxClientCnxns = 0
	cfg.FourLetterWords = coordinator.AllFourLetterWords()
	if len(servers) > 0 {
		cfg.MyID, cfg.Servers = uint64(id), map[uint64]coordinator.Member{}
	}
	for _, s := range servers {
		n, addr, _ := strings.Cut(s, "=")
		parts := strings.Split(addr, ":")
		mid, err := strconv.ParseUint(n, 10, 64)
		if err != nil || len(parts) != 3 {
			return cfg, fmt.Errorf("testpeer: server %q: want N=host:peerPort:electionPort", s)
		}
		m := coordinator.Member{ID: mid, Host: parts[0]}
		if m.PeerPort, err = strconv.Atoi(parts[1]); err != nil {
			return cfg, fmt.Errorf("testpeer: server %q: %w", s, err)
		}
		if m.ElectionPort, err = strconv.Atoi(parts[2]); err != nil {
			return cfg, fmt.Errorf("testpeer: server %q: %w", s, err)
		}
		cfg.Servers[mid] = m
	}
	return cfg, cfg.Validate()
}

// WriteCoordinatorConfig writes cfg as dir/zoo.cfg (and its myid in an
// ensemble) for a coordinator process, and returns the file's path.
func WriteCoordinatorConfig(dir string, cfg coordinator.Config) (string, error) {
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return "", err
	}
	if !cfg.Standalone() {
		if err := os.WriteFile(filepath.Join(cfg.DataDir, "myid"), []byte(strconv.FormatUint(cfg.MyID, 10)+"\n"), 0o644); err != nil {
			return "", err
		}
	}
	path := filepath.Join(dir, "zoo.cfg")
	return path, os.WriteFile(path, cfg.Render(), 0o644)
}

func (c *Ensemble) waitReady(ctx context.Context) error {
	procs := make([]*proc.Process, len(c.Members))
	for i, m := range c.Members {
		procs[i] = m.Process
	}
	err := proc.WaitReady(ctx, 200*time.Millisecond, c.ready, procs...)
	var exited *proc.ExitedError
	switch {
	case errors.As(err, &exited):
		return fmt.Errorf("%w\n%s", err, c.member(exited.Name).Tail(20))
	case err != nil:
		return fmt.Errorf("%s with %d members: %w", c.Spec.Kind, c.Spec.Members, err)
	}
	return nil
}

// member returns the member whose process is called name.
func (c *Ensemble) member(name string) *Member {
	for _, m := range c.Members {
		if m.Name == name {
			return m
		}
	}
	return nil
}

// ready checks ruok on every member, and srvr modes in an ensemble.
func (c *Ensemble) ready(ctx context.Context) error {
	leaders := 0
	for _, m := range c.Members {
		out, err := zkproto.FourLetter(ctx, m.ClientAddr, "ruok")
		if err != nil {
			return err
		}
		if out != "imok" {
			return fmt.Errorf("member %d: ruok answered %q", m.ID, out)
		}
		if len(c.Members) == 1 {
			continue
		}
		out, err = zkproto.FourLetter(ctx, m.ClientAddr, "srvr")
		if err != nil {
			return err
		}
		switch mode := zkproto.ModeFromSrvr(out); mode {
		case "leader":
			leaders++
		case "follower":
		default:
			return fmt.Errorf("member %d: mode %s", m.ID, mode)
		}
	}
	if len(c.Members) > 1 && leaders != 1 {
		return fmt.Errorf("%d leaders", leaders)
	}
	return nil
}

// Addrs returns the client addresses of the members.
func (c *Ensemble) Addrs() []string {
	out := make([]string, len(c.Members))
	for i, m := range c.Members {
		out[i] = m.ClientAddr
	}
	return out
}

// RSS returns the resident memory of each member's server process, in
// bytes.
func (c *Ensemble) RSS() ([]int64, error) {
	out := make([]int64, len(c.Members))
	for i, m := range c.Members {
		rss, err := proc.RSS(c.Pid(i))
		if err != nil {
			return nil, fmt.Errorf("member %d: %w", m.ID, err)
		}
		out[i] = rss
	}
	return out, nil
}

// Pid is the process id of member i's server: the sluice process, or for
// ZooKeeper the JVM (run.sh execs java, so normally the process started).
func (c *Ensemble) Pid(i int) int {
	pid := c.Members[i].Pid()
	if c.Spec.Kind == KindZooKeeper {
		pid = proc.FindComm(pid, "java")
	}
	return pid
}

// Stop stops every member: SIGTERM to its process group, SIGKILL after ten
// seconds, and waits for it. A nil Ensemble is already stopped.
func (c *Ensemble) Stop() {
	if c == nil {
		return
	}
	for _, m := range c.Members {
		m.Stop()
	}
}

// EnsembleFor is StartEnsemble for a test: the members' directories go
// under a temporary directory unless spec.Dir is set, the test fails if
// they do not start, and they stop when the test ends (printing the last
// lines of each member's log if the test failed).
func EnsembleFor(tb testing.TB, spec EnsembleSpec) *Ensemble {
	tb.Helper()
	if spec.Dir == "" {
		spec.Dir = tb.TempDir()
	}
	return startFor(tb, spec.StartLimit, func(ctx context.Context) (*Ensemble, error) { return StartEnsemble(ctx, spec) }, func(e *Ensemble) string {
		var b strings.Builder
		for _, m := range e.Members {
			fmt.Fprintf(&b, "%s (%s):\n%s\n", m.Name, m.LogPath, m.Tail(40))
		}
		return b.String()
	})
}
