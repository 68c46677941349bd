package dirlock

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestTakeRelease: a directory taken once refuses a second Take (in this
// process too: flock locks an open file), naming the directory; released,
// it can be taken again.
func TestTakeRelease(t *testing.T) {
	dir := t.TempDir()
	l, err := Take(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Take(dir)
	if !errors.Is(err, ErrHeld) || !strings.Contains(err.Error(), dir) {
		t.Fatalf("second Take: %v, want ErrHeld naming %s", err, dir)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	l2, err := Take(dir)
	if err != nil {
		t.Fatalf("Take after Release: %v", err)
	}
	defer l2.Release()
	if err := (*Lock)(nil).Release(); err != nil {
		t.Fatal(err)
	}
}

// TestHeldByAnotherProcess: a lock held by another process (flock(1)
// holding <dir>/.lock) refuses Take; once it is killed with SIGKILL the
// kernel has released it and Take succeeds.
func TestHeldByAnotherProcess(t *testing.T) {
	flock, err := exec.LookPath("flock")
	if err != nil {
		t.Fatalf("flock(1) (util-linux) not found: %v", err)
	}
	dir := t.TempDir()
	// --close: only flock holds the lock (its command does not inherit
	// the descriptor), so the lock goes when flock has exited.
	cmd := exec.Command(flock, "--exclusive", "--close", filepath.Join(dir, Name), "sh", "-c", "echo held; exec sleep 600")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	kill := func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); _ = cmd.Wait() }
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer kill()
	buf := make([]byte, 5)
	if _, err := out.Read(buf); err != nil || string(buf[:4]) != "held" {
		t.Fatalf("flock did not say it holds the lock: %q %v", buf, err)
	}
	if _, err := Take(dir); !errors.Is(err, ErrHeld) {
		t.Fatalf("Take while another process holds it: %v", err)
	}
	kill()
	l, err := Take(dir)
	if err != nil {
		t.Fatalf("Take after the holder was killed: %v", err)
	}
	l.Release()
}

// TestMissingDirectory: Take does not create the directory it locks.
func TestMissingDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "gone")
	if _, err := Take(dir); err == nil || errors.Is(err, ErrHeld) || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Take of a missing directory: %v", err)
	}
}
