// Package proc runs programs as child processes for the benchmarks
// (bench/...) and the tests (testkit/testpeer, which the benchmarks use too):
// each in its own process group with its output in a log file, waited for
// until a readiness check passes, stopped with SIGTERM and then SIGKILL of
// the whole group. It also reads a process's resident memory from /proc and
// builds the sluice binary the others run.
//
// Nothing here takes a testing.TB: errors are returned, and testpeer wraps
// them into test failures. It is a test and bench harness: no product
// package imports it (layering_test.go).
package proc

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// DefaultGrace is how long Stop waits after SIGTERM before it sends SIGKILL,
// unless Process.Grace says otherwise.
const DefaultGrace = 10 * time.Second

// Process is a program running in its own process group.
type Process struct {
	Name    string
	LogPath string
	// Grace is how long Stop waits after SIGTERM before SIGKILL; 0 means
	// DefaultGrace.
	Grace time.Duration

	cmd     *exec.Cmd
	done    chan struct{}
	waitErr error
}

// Start starts cmd in its own process group (killed with this process, on
// Linux) with its stdout and stderr in a new file at logPath. The caller
// owns the process and must Stop or Kill it.
func Start(name string, cmd *exec.Cmd, logPath string) (*Process, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("%s log: %w", name, err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s (%s): %w", name, cmd.Path, err)
	}
	p := &Process{Name: name, LogPath: logPath, cmd: cmd, done: make(chan struct{})}
	go func() { // owned by p: ends when the process exits, which Stop and Kill ensure
		p.waitErr = cmd.Wait()
		logf.Close()
		close(p.done)
	}()
	return p, nil
}

// Pid is the process id of the program started (the group's leader).
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Exited reports whether the process has exited, and if so how.
func (p *Process) Exited() (bool, error) {
	select {
	case <-p.done:
		return true, p.waitErr
	default:
		return false, nil
	}
}

// ExitedError says a process exited before its readiness check passed.
type ExitedError struct {
	Name  string
	Err   error // how it exited (from Wait)
	Check error // the readiness check's last error
}

func (e *ExitedError) Error() string {
	return fmt.Sprintf("%s exited before it was ready: %v (last check: %v)", e.Name, e.Err, e.Check)
}

// WaitReady calls ready every interval until it returns nil. It fails early
// with an *ExitedError if one of procs exits first, and with ready's last
// error (wrapped) when ctx ends.
func WaitReady(ctx context.Context, interval time.Duration, ready func(context.Context) error, procs ...*Process) error {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		err := ready(ctx)
		if err == nil {
			return nil
		}
		for _, p := range procs {
			if exited, how := p.Exited(); exited {
				return &ExitedError{Name: p.Name, Err: how, Check: err}
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("not ready in time: %w", err)
		case <-tick.C:
		}
	}
}

// Stop sends SIGTERM to the process group, then SIGKILL if the process has
// not exited within its Grace, and waits for it. Stopping an exited process
// does nothing.
func (p *Process) Stop() {
	select {
	case <-p.done:
		return
	default:
	}
	grace := p.Grace
	if grace <= 0 {
		grace = DefaultGrace
	}
	pgid := -p.Pid()
	_ = syscall.Kill(pgid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		_ = syscall.Kill(pgid, syscall.SIGKILL)
		<-p.done
	}
	_ = syscall.Kill(pgid, syscall.SIGKILL) // children that outlived the leader
}

// Kill sends SIGKILL to the whole process group and waits for the leader.
func (p *Process) Kill() {
	_ = syscall.Kill(-p.Pid(), syscall.SIGKILL)
	<-p.done
}

// Tail returns the last n lines of the process's log.
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

// RSS reads the resident memory (VmRSS) of process pid from
// /proc/<pid>/status, in bytes.
func RSS(pid int) (int64, error) { return StatusBytes(pid, "VmRSS") }

// StatusBytes reads a line of /proc/<pid>/status given in kB (VmRSS,
// VmHWM, VmSize, …), in bytes.
func StatusBytes(pid int, key string) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), key+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("/proc/%d/status: %s %q: %w", pid, key, v, err)
			}
			return kb * 1024, nil
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("/proc/%d/status: no %s", pid, key)
}

// Comm returns the command name of process pid (/proc/<pid>/comm), or ""
// if it cannot be read.
func Comm(pid int) string {
	comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	return strings.TrimSpace(string(comm))
}

// FindComm returns pid if its command name is comm, or else its first
// descendant with that name, or else pid. It finds the JVM below a wrapper
// script that did not exec it.
func FindComm(pid int, comm string) int {
	if Comm(pid) == comm {
		return pid
	}
	kids, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
	for _, f := range strings.Fields(string(kids)) {
		if k, err := strconv.Atoi(f); err == nil {
			if j := FindComm(k, comm); Comm(j) == comm {
				return j
			}
		}
	}
	return pid
}

// ModuleRoot returns the nearest directory at or above the working
// directory that holds go.mod.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("getwd: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above the working directory")
		}
		dir = parent
	}
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
