package zkbench

import (
	"bufio"
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

	"github.com/sluicelogs/sluice/coordinator"
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
	Members []*Process
}

// Process is one member process, in its own process group.
type Process struct {
	ID         int
	ClientAddr string
	LogPath    string
	cmd        *exec.Cmd
	done       chan struct{}
	waitErr    error
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
			p, err := freePort()
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
		m, err := startProcess(cmd, id, "127.0.0.1:"+strconv.Itoa(p[0]), filepath.Join(dir, "member.log"))
		if err != nil {
			c.Stop()
			return nil, err
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

func startProcess(cmd *exec.Cmd, id int, addr, logPath string) (*Process, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("zkbench: start %s: %w", cmd.Path, err)
	}
	p := &Process{ID: id, ClientAddr: addr, LogPath: logPath, cmd: cmd, done: make(chan struct{})}
	go func() { // owned by p: ends when the process exits, which Stop ensures
		p.waitErr = cmd.Wait()
		logf.Close()
		close(p.done)
	}()
	return p, nil
}

func (c *Cluster) waitReady(ctx context.Context) error {
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		err := c.ready(ctx)
		if err == nil {
			return nil
		}
		for _, m := range c.Members {
			select {
			case <-m.done:
				return fmt.Errorf("%s member %d exited before it was ready: %v\n%s", c.Spec.Kind, m.ID, m.waitErr, m.Tail(20))
			default:
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s with %d members not ready: %w", c.Spec.Kind, c.Spec.Members, err)
		case <-tick.C:
		}
	}
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
		rss, err := ProcessRSS(c.Pid(i))
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
	pid := c.Members[i].cmd.Process.Pid
	if c.Spec.Kind == TargetZooKeeper {
		pid = findJava(pid)
	}
	return pid
}

// findJava returns pid if it is a java process, or else its first java
// descendant, or else pid.
func findJava(pid int) int {
	if isJava(pid) {
		return pid
	}
	kids, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
	for _, f := range strings.Fields(string(kids)) {
		if k, err := strconv.Atoi(f); err == nil {
			if j := findJava(k); isJava(j) {
				return j
			}
		}
	}
	return pid
}

func isJava(pid int) bool {
	comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	return strings.TrimSpace(string(comm)) == "java"
}

// ProcessRSS reads VmRSS from /proc/<pid>/status, in bytes.
func ProcessRSS(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("/proc/%d/status: VmRSS %q: %w", pid, v, err)
			}
			return kb * 1024, nil
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("/proc/%d/status: no VmRSS", pid)
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

// Stop stops the member's process group and waits for the process.
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
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(pgid, syscall.SIGKILL)
		<-p.done
	}
	_ = syscall.Kill(pgid, syscall.SIGKILL) // children that outlived the leader
}

// Tail returns the last n lines of the member's log.
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
		return 0, fmt.Errorf("zkbench: free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// BuildSluice builds ./cmd/sluice of the module at root into out.
func BuildSluice(ctx context.Context, root, out string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "./cmd/sluice")
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./cmd/sluice: %w\n%s", err, b)
	}
	return nil
}

// ModuleRoot returns the nearest directory at or above the working
// directory that holds go.mod.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("zkbench: go.mod not found above the working directory")
		}
		dir = parent
	}
}
