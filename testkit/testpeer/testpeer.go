// Package testpeer starts the real programs our tests are checked against
// (Elasticsearch, OpenSearch, Apache ZooKeeper, Apache Kafka, kcat, rsyslog) on free
// loopback ports with their own temporary data directories, waits until they
// are ready, and stops them when the test ends.
//
// It is also the one launcher of sluice and its anchors as processes, for
// tests and benchmarks alike: StartEnsemble (sluice coordinator members or
// Apache ZooKeeper), StartBrokers (sluice brokers with their coordinator,
// or Apache Kafka) and RunElasticsearch take a context and return an error,
// since benchmarks have no testing.TB; EnsembleFor, BrokersFor,
// StartZooKeeper, StartZooKeeperEnsemble and StartElasticsearch are their
// thin wrappers for tests. Sluice's
// components started inside the test process are testkit/testcluster's.
//
// The peers are provisioned by `make peers` (scripts/peers.sh) into the
// git-ignored folder .peers/ at the repository root and into system packages.
// A peer that is not provisioned fails the test that needs it: a missing peer
// is never a pass. Every peer a test starts is recorded in the file named by
// $SLUICE_PEER_REPORT, from which `make test` prints its per-peer summary.
package testpeer

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluicelogs/sluice/testkit/proc"
)

// ReportEnv names the environment variable holding the path of the peer
// report file that `make test` summarises.
const ReportEnv = "SLUICE_PEER_REPORT"

var reportMu sync.Mutex

// Used records that the test used the named peer.
func Used(tb testing.TB, peer, detail string) {
	tb.Helper()
	report(tb, peer, "used", detail)
}

// Skip skips the test, and records why in the report, whose summary at the
// end of `make test` lists every skipped test: a skip is never silent.
func Skip(tb testing.TB, format string, args ...any) {
	tb.Helper()
	why := fmt.Sprintf(format, args...)
	report(tb, "-", "skipped", why)
	tb.Skip(why)
}

func report(tb testing.TB, peer, what, detail string) {
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
	if _, err := fmt.Fprintf(f, "%s\t%s\t%s\t%s\n", peer, what, tb.Name(), line); err != nil {
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
	root, err := proc.ModuleRoot()
	if err != nil {
		return "", fmt.Errorf("testpeer: %w", err)
	}
	return root, nil
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(tb testing.TB) int {
	tb.Helper()
	port, err := proc.FreePort()
	if err != nil {
		tb.Fatalf("testpeer: %v", err)
	}
	return port
}

// Process is a peer program running in its own process group (Stop, Kill,
// Tail and the rest are proc.Process's).
type Process struct {
	*proc.Process
}

// Start runs cmd in its own process group with its output in a log file in a
// temporary directory, waits until ready returns nil (within timeout), and
// stops the whole group when the test ends. If the process exits before it
// is ready, or is not ready in time, the test fails showing the log's tail.
func Start(tb testing.TB, name string, cmd *exec.Cmd, timeout time.Duration, ready func(context.Context) error) *Process {
	tb.Helper()
	p := Launch(tb, name, cmd)
	p.AwaitReady(tb, timeout, ready)
	return p
}

// Launch is Start without the wait: it runs cmd and returns at once, so
// that a test can start several slow programs (JVMs) side by side and then
// wait for each with AwaitReady.
func Launch(tb testing.TB, name string, cmd *exec.Cmd) *Process {
	tb.Helper()
	logPath := filepath.Join(tb.TempDir(), name+".log")
	pr, err := proc.Start(name, cmd, logPath)
	if err != nil {
		tb.Fatalf("testpeer: %v", err)
	}
	p := &Process{Process: pr}
	tb.Cleanup(func() {
		p.Stop()
		if tb.Failed() {
			tb.Logf("last lines of %s:\n%s", logPath, p.Tail(40))
		}
	})
	return p
}

// AwaitReady waits until ready returns nil (within timeout); the test fails
// showing the log's tail if the process exits first or is not ready in
// time.
func (p *Process) AwaitReady(tb testing.TB, timeout time.Duration, ready func(context.Context) error) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := proc.WaitReady(ctx, 250*time.Millisecond, ready, p.Process); err != nil {
		tb.Fatalf("testpeer: %s not ready: %v\nlast lines of %s:\n%s", p.Name, err, p.LogPath, p.Tail(40))
	}
}

// startFor runs start (which waits at most limit, or two minutes if that is
// longer, for what it starts to be ready) for a test: the test fails if it
// fails, and what it started stops when the test ends, with logs' text in
// the test's log if the test failed.
func startFor[T interface{ Stop() }](tb testing.TB, limit time.Duration, start func(context.Context) (T, error), logs func(T) string) T {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), max(limit, 2*time.Minute))
	defer cancel()
	x, err := start(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		x.Stop()
		if tb.Failed() {
			tb.Logf("last lines of the logs:\n%s", logs(x))
		}
	})
	return x
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
