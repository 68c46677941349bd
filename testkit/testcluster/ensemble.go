package testcluster

import (
	"context"
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/sluicelogs/sluice/coordinator"
	"github.com/sluicelogs/sluice/coordinator/zkproto"
	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// EnsembleConfigs returns the configurations of an ensemble on loopback:
// voters members (ids 1..voters) and observers more (ids after them), on
// free peer and client ports, with tickTime tick, every four-letter word
// and each its own data directory; cfgs[i] is member i+1's.
func EnsembleConfigs(tb testing.TB, voters, observers int, tick time.Duration) []coordinator.Config {
	tb.Helper()
	servers := map[uint64]coordinator.Member{}
	for id := uint64(1); id <= uint64(voters+observers); id++ {
		servers[id] = coordinator.Member{ID: id, Host: "127.0.0.1", PeerPort: testpeer.FreePort(tb), ElectionPort: testpeer.FreePort(tb),
			Observer: id > uint64(voters)}
	}
	cfgs := make([]coordinator.Config, len(servers))
	for i := range cfgs {
		c := coordinator.Defaults()
		c.TickTime, c.DataDir = tick, tb.TempDir()
		c.ClientAddr = fmt.Sprintf("127.0.0.1:%d", testpeer.FreePort(tb))
		c.MinSessionTimeout, c.MaxSessionTimeout = 2*tick, 20*tick
		c.FourLetterWords = coordinator.AllFourLetterWords()
		c.MyID, c.Servers = uint64(i+1), maps.Clone(servers)
		if servers[c.MyID].Observer {
			c.PeerType = "observer"
		}
		cfgs[i] = c
	}
	return cfgs
}

// StartEnsemble starts n coordinator members in-process on loopback as one
// ensemble (EnsembleConfigs) and returns their client addresses. They stop
// when the test ends.
func StartEnsemble(tb testing.TB, n int, tick time.Duration) []string {
	tb.Helper()
	addrs := make([]string, n)
	for i, cfg := range EnsembleConfigs(tb, n, 0, tick) {
		if err := cfg.Validate(); err != nil {
			tb.Fatal(err)
		}
		srv, err := coordinator.NewServer(&cfg, Logger())
		if err != nil {
			tb.Fatal(err)
		}
		RunCoordinator(tb, srv)
		addrs[i] = cfg.ClientAddr
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
