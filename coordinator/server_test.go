package coordinator_test

import (
	"testing"
	"time"

	"github.com/sluicelogs/sluice/testkit/conformance"
	"github.com/sluicelogs/sluice/testkit/testcluster"
)

// TestConformanceSluice runs the ZooKeeper conformance suite (which also
// passes against Apache ZooKeeper 3.8) against a standalone coordinator.
func TestConformanceSluice(t *testing.T) {
	m := testcluster.StartCoordinator(t, t.TempDir(), 2*time.Second)
	conformance.Run(t, conformance.Target{
		Name:     "sluice-standalone",
		Addrs:    []string{m.Addr()},
		TickTime: 2 * time.Second,
	})
}
