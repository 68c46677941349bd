package crashtest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/sluicelogs/sluice/internal/testpeer"
)

// sluiceBin is the sluice binary TestMain built for this run; buildErr
// says why there is none (the tests that need it fail with it, the others
// still run).
var (
	sluiceBin string
	buildErr  error
)

func TestMain(m *testing.M) { os.Exit(runMain(m)) }

// binEnv names a prebuilt sluice binary to use instead of building one
// (e.g. one built with -race).
const binEnv = "SLUICE_CRASHTEST_BIN"

func runMain(m *testing.M) int {
	if bin := os.Getenv(binEnv); bin != "" {
		sluiceBin = bin
		return m.Run()
	}
	root, err := testpeer.RepoRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "crashtest:", err)
		return 1
	}
	dir, err := os.MkdirTemp("", "sluice-crashtest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "crashtest:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	goTool, err := exec.LookPath("go")
	if err != nil {
		fmt.Fprintln(os.Stderr, "crashtest: the go command is needed to build sluice:", err)
		return 1
	}
	sluiceBin = filepath.Join(dir, "sluice")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goTool, "build", "-o", sluiceBin, "./cmd/sluice")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		buildErr = fmt.Errorf("go build ./cmd/sluice: %v\n%s", err, out)
	}
	return m.Run()
}
