package testpeer

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sluicelogs/sluice/testkit/proc"
)

// BinEnv names a prebuilt sluice binary that SluiceBinary returns instead
// of building one.
const BinEnv = "SLUICE_BIN"

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// SluiceBinary returns the path of a sluice binary: $SLUICE_BIN (make test
// sets it to bin/sluice, which it has just built), else one built from
// this checkout once per test process. Tests run it as a separate process
// to kill -9 it.
//
// Built ones go to <tmp>/sluice-test-bin/sluice-<pid>; each build first
// removes those of processes that have ended, since nothing else would
// (50 MB per test process, hundreds of them over a day of go test runs).
func SluiceBinary(tb testing.TB) string {
	tb.Helper()
	binOnce.Do(func() {
		if p := os.Getenv(BinEnv); p != "" {
			binPath = p
			return
		}
		root, err := RepoRoot()
		if err != nil {
			binErr = err
			return
		}
		dir := filepath.Join(os.TempDir(), "sluice-test-bin")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			binErr = err
			return
		}
		removeEndedBuilds(dir)
		binPath = filepath.Join(dir, fmt.Sprintf("sluice-%d", os.Getpid()))
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		binErr = proc.BuildSluice(ctx, root, binPath)
	})
	if binErr != nil {
		tb.Fatal(binErr)
	}
	return binPath
}

// removeEndedBuilds removes the sluice-<pid> binaries in dir whose process
// no longer runs.
func removeEndedBuilds(dir string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		pid, err := strconv.Atoi(strings.TrimPrefix(e.Name(), "sluice-"))
		if err != nil || pid <= 0 || syscall.Kill(pid, 0) != syscall.ESRCH {
			continue
		}
		_ = os.Remove(filepath.Join(dir, e.Name()))
	}
}
