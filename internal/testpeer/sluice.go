package testpeer

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// BinEnv names a prebuilt sluice binary that SluiceBinary returns instead
// of building one.
const BinEnv = "SLUICE_BIN"

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// SluiceBinary returns the path of a sluice binary built from this checkout
// (once per test process, into a temporary directory removed at exit by
// the OS's temp cleaning; tests run it as a separate process to kill -9 it).
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
		dir, err := os.MkdirTemp("", "sluice-bin-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "sluice")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "go", "build", "-o", binPath, "./cmd/sluice")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			binErr = fmt.Errorf("go build ./cmd/sluice: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		tb.Fatal(binErr)
	}
	return binPath
}
