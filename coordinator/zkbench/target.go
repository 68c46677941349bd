package zkbench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/sluicelogs/sluice/coordinator"
	"github.com/sluicelogs/sluice/internal/proc"
)

// The targets a comparison knows.
const (
	TargetSluice    = "sluice"
	TargetZooKeeper = "zookeeper"
)

// Spec says how to start a target.
type Spec struct {
	Kind    string // TargetSluice or TargetZooKeeper
	Members int    // 1 for standalone, otherwise an ensemble of that many voters
	Dir     string // where the members' data directories and logs go

	Sluice     string // the sluice binary (runs `coordinator --config`)
	ZooKeeper  string // deploy/zookeeper/run.sh
	JavaOpts   string // ZK_JAVA_OPTS for the ZooKeeper JVMs
	StartLimit time.Duration
}

// Cluster is a running target: one process per member.
type Cluster struct {
	Spec    Spec
	Members []*Member
}

// Member is one member process, in its own process group.
type Member struct {
	ID         int
	ClientAddr string
	*proc.Process
}

// Start starts the members of spec on free loopback ports, each with its
// own data directory under spec.Dir, and waits until every member answers
// ruok with imok and, for an ensemble, srvr shows one leader and the others
// following. On error everything it started is stopped.
func Start(ctx context.Context, spec Spec) (*Cluster, error) {
	if spec.Members < 1 {
		return nil, fmt.Errorf("zkbench: %d members", spec.Members)
	}
	if spec.StartLimit <= 0 {
		spec.StartLimit = 2 * time.Minute
	}
	c := &Cluster{Spec: spec}
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
		case TargetSluice:
			cfg, err := writeSluiceConfig(dir, id, p[0], servers)
			if err != nil {
				c.Stop()
				return nil, err
			}
			cmd = exec.Command(spec.Sluice, "coordinator", "--config", cfg)
		case TargetZooKeeper:
			args := []string{spec.ZooKeeper, "--port", strconv.Itoa(p[0]), "--data", filepath.Join(dir, "data")}
			if len(servers) > 0 {
				args = append(args, "--id", strconv.Itoa(id), "--servers", strings.Join(servers, ","))
			}
			cmd = exec.Command("bash", args...)
			cmd.Env = append(os.Environ(), "ZK_JAVA_OPTS="+spec.JavaOpts)
		default:
			c.Stop()
			return nil, fmt.Errorf("zkbench: unknown target %q (want %s or %s)", spec.Kind, TargetSluice, TargetZooKeeper)
		}
		pr, err := proc.Start(fmt.Sprintf("%s member %d", spec.Kind, id), cmd, filepath.Join(dir, "member.log"))
		if err != nil {
			c.Stop()
			return nil, fmt.Errorf("zkbench: %w", err)
		}
		c.Members = append(c.Members, &Member{ID: id, ClientAddr: "127.0.0.1:" + strconv.Itoa(p[0]), Process: pr})
	}
	ctx, cancel := context.WithTimeout(ctx, spec.StartLimit)
	defer cancel()
	if err := c.waitReady(ctx); err != nil {
		c.Stop()
		return nil, err
	}
	return c, nil
}

// writeSluiceConfig writes a member's zoo.cfg (and myid in an ensemble)
// with the keys run.sh gives ZooKeeper, and returns its path.
func writeSluiceConfig(dir string, id, clientPort int, servers []string) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "tickTime=2000\ninitLimit=10\nsyncLimit=5\ndataDir=%s\nclientPort=%d\nclientPortAddress=127.0.0.1\nmaxClientCnxns=0\n4lw.commands.whitelist=*\n",
		filepath.Join(dir, "data"), clientPort)
	for _, s := range servers {
		n, addr, _ := strings.Cut(s, "=")
		fmt.Fprintf(&b, "server.%s=%s\n", n, addr)
	}
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o755); err != nil {
		return "", err
	}
	if len(servers) > 0 {
		if err := os.WriteFile(filepath.Join(dir, "data", "myid"), []byte(strconv.Itoa(id)+"\n"), 0o644); err != nil {
			return "", err
		}
	}
	path := filepath.Join(dir, "zoo.cfg")
	return path, os.WriteFile(path, []byte(b.String()), 0o644)
}

func (c *Cluster) waitReady(ctx context.Context) error {
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
func (c *Cluster) member(name string) *Member {
	for _, m := range c.Members {
		if m.Name == name {
			return m
		}
	}
	return nil
}

// ready checks ruok on every member, and srvr modes in an ensemble.
func (c *Cluster) ready(ctx context.Context) error {
	leaders := 0
	for _, m := range c.Members {
		out, err := coordinator.FourLetter(ctx, m.ClientAddr, "ruok")
		if err != nil {
			return err
		}
		if out != "imok" {
			return fmt.Errorf("member %d: ruok answered %q", m.ID, out)
		}
		if len(c.Members) == 1 {
			continue
		}
		out, err = coordinator.FourLetter(ctx, m.ClientAddr, "srvr")
		if err != nil {
			return err
		}
		switch mode := coordinator.ModeFromSrvr(out); mode {
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
func (c *Cluster) Addrs() []string {
	out := make([]string, len(c.Members))
	for i, m := range c.Members {
		out[i] = m.ClientAddr
	}
	return out
}

// RSS returns the resident memory of each member's server process, in
// bytes.
func (c *Cluster) RSS() ([]int64, error) {
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
func (c *Cluster) Pid(i int) int {
	pid := c.Members[i].Pid()
	if c.Spec.Kind == TargetZooKeeper {
		pid = proc.FindComm(pid, "java")
	}
	return pid
}

// Stop stops every member: SIGTERM to its process group, SIGKILL after ten
// seconds, and waits for it. A nil Cluster is already stopped.
func (c *Cluster) Stop() {
	if c == nil {
		return
	}
	for _, m := range c.Members {
		m.Stop()
	}
}

// BuildSluice builds ./cmd/sluice of the module at root into out (see
// proc.BuildSluice; kept for cmd/sluice).
func BuildSluice(ctx context.Context, root, out string) error {
	return proc.BuildSluice(ctx, root, out)
}

// ModuleRoot returns the nearest directory at or above the working
// directory that holds go.mod (see proc.ModuleRoot; kept for cmd/sluice).
func ModuleRoot() (string, error) {
	root, err := proc.ModuleRoot()
	if err != nil {
		return "", fmt.Errorf("zkbench: %w", err)
	}
	return root, nil
}
