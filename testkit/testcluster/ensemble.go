package testcluster

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicelogs/sluice/coordinator"
	"github.com/sluicelogs/sluice/coordinator/zkproto"
	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// StartEnsemble starts n coordinator members in-process on loopback as one
// ensemble (zoo.cfg with server.1..n and myid in each data directory) and
// returns their client addresses. They stop when the test ends.
func StartEnsemble(tb testing.TB, n int, tick time.Duration) []string {
	tb.Helper()
	var servers strings.Builder
	ports := make([]int, n)
	for i := range ports {
		fmt.Fprintf(&servers, "server.%d=127.0.0.1:%d:%d\n", i+1, testpeer.FreePort(tb), testpeer.FreePort(tb))
		ports[i] = testpeer.FreePort(tb)
	}
	addrs := make([]string, n)
	for i, port := range ports {
		dir := tb.TempDir()
		cfg := fmt.Sprintf("tickTime=%d\ninitLimit=10\nsyncLimit=5\ndataDir=%s\nclientPort=%d\nclientPortAddress=127.0.0.1\n4lw.commands.whitelist=*\n%s",
			tick.Milliseconds(), dir, port, servers.String())
		path := filepath.Join(dir, "zoo.cfg")
		if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "myid"), []byte(fmt.Sprint(i+1)), 0o644); err != nil {
			tb.Fatal(err)
		}
		c, _, err := coordinator.LoadConfig(path)
		if err != nil {
			tb.Fatal(err)
		}
		srv, err := coordinator.NewServer(c, Logger())
		if err != nil {
			tb.Fatal(err)
		}
		RunCoordinator(tb, srv)
		addrs[i] = fmt.Sprintf("127.0.0.1:%d", port)
	}
	// Ready once a leader is elected: every member then answers a mode.
	await.Eventually(tb, 30*time.Second, 50*time.Millisecond, func() error {
		leaders := 0
		for _, a := range addrs {
			out, err := zkproto.FourLetter(context.Background(), a, "srvr")
			if err != nil {
				return err
			}
			if zkproto.ModeFromSrvr(out) == "leader" {
				leaders++
			}
		}
		if leaders != 1 {
			return fmt.Errorf("%d leaders", leaders)
		}
		return nil
	})
	return addrs
}
