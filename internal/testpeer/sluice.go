package testpeer

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/sluicelogs/sluice/internal/proc"
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
		binErr = proc.BuildSluice(ctx, root, binPath)
	})
	if binErr != nil {
		tb.Fatal(binErr)
	}
	return binPath
}
