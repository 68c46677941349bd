// Package testpeer starts the real programs our tests are checked against
// (Elasticsearch, Apache ZooKeeper, Apache Kafka, kcat, rsyslog) on free
// loopback ports with their own temporary data directories, waits until they
// are ready, and stops them when the test ends.
//
// The peers are provisioned by `make peers` (scripts/peers.sh) into the
// git-ignored folder .peers/ at the repository root and into system packages.
// A peer that is not provisioned fails the test that needs it: a missing peer
// is never a pass. Every peer a test starts is recorded in the file named by
// $SLUICE_PEER_REPORT, from which `make test` prints its per-peer summary.
package testpeer

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// ReportEnv names the environment variable holding the path of the peer
// report file that `make test` summarises.
const ReportEnv = "SLUICE_PEER_REPORT"

var reportMu sync.Mutex

// Used records that the test used the named peer.
func Used(tb testing.TB, peer, detail string) {
	tb.Helper()
	path := os.Getenv(ReportEnv)
	if path == "" {
		return
	}
	reportMu.Lock()
	defer reportMu.Unlock()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		tb.Fatalf("testpeer: open report %s: %v", path, err)
	}
	defer f.Close()
	line := strings.NewReplacer("\t", " ", "\n", " ").Replace(detail)
	if _, err := fmt.Fprintf(f, "%s\tused\t%s\t%s\n", peer, tb.Name(), line); err != nil {
		tb.Fatalf("testpeer: write report %s: %v", path, err)
	}
}

// Missing fails the test because a peer is not provisioned.
func Missing(tb testing.TB, peer string, err error) {
	tb.Helper()
	tb.Fatalf("test peer %s is not available (run `make peers`): %v", peer, err)
}

// RepoRoot returns the repository root: the nearest parent of the working
// directory that holds go.mod.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("testpeer: getwd: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("testpeer: go.mod not found above the working directory")
		}
		dir = parent
	}
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(tb testing.TB) int {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("testpeer: free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Process is a peer program running in its own process group.
type Process struct {
	Name    string
	LogPath string
	cmd     *exec.Cmd
	done    chan struct{}
	waitErr error
}

// Start runs cmd in its own process group with its output in a log file in a
// temporary directory, waits until ready returns nil (within timeout), and
// stops the whole group when the test ends. If the process exits before it
// is ready, or is not ready in time, the test fails showing the log's tail.
func Start(tb testing.TB, name string, cmd *exec.Cmd, timeout time.Duration, ready func(context.Context) error) *Process {
	tb.Helper()
	logPath := filepath.Join(tb.TempDir(), name+".log")
	logf, err := os.Create(logPath)
	if err != nil {
		tb.Fatalf("testpeer: %s log: %v", name, err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		tb.Fatalf("testpeer: start %s (%s): %v", name, cmd.Path, err)
	}
	p := &Process{Name: name, LogPath: logPath, cmd: cmd, done: make(chan struct{})}
	go func() { // owned by p: ends when the process exits, which Stop ensures
		p.waitErr = cmd.Wait()
		logf.Close()
		close(p.done)
	}()
	tb.Cleanup(func() {
		p.Stop()
		if tb.Failed() {
			tb.Logf("last lines of %s:\n%s", logPath, p.Tail(40))
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	err = p.waitReady(ctx, ready)
	if err != nil {
		tb.Fatalf("testpeer: %s not ready: %v\nlast lines of %s:\n%s", name, err, logPath, p.Tail(40))
	}
	return p
}

// waitReady polls ready until it returns nil, the process exits (an
// immediate failure) or ctx ends.
func (p *Process) waitReady(ctx context.Context, ready func(context.Context) error) error {
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		err := ready(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("%s exited before it was ready: %v (last check: %v)", p.Name, p.waitErr, err)
		case <-ctx.Done():
			return fmt.Errorf("not ready in time: %w", err)
		case <-tick.C:
		}
	}
}

// Stop sends SIGTERM to the process group, then SIGKILL if it has not exited
// within ten seconds, and waits for it.
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

// Kill sends SIGKILL to the whole process group and waits for the leader.
func (p *Process) Kill() {
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	<-p.done
}

// Tail returns the last n lines of the process log.
func (p *Process) Tail(n int) string {
	f, err := os.Open(p.LogPath)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	return strings.Join(lines, "\n")
}

// DialReady is a readiness check that succeeds once addr accepts TCP.
func DialReady(addr string) func(context.Context) error {
	return func(ctx context.Context) error {
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return err
		}
		return c.Close()
	}
}
