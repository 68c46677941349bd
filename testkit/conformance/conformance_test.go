package conformance_test

import (
	"testing"
	"time"

	"github.com/sluicelogs/sluice/testkit/conformance"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// TestConformanceZooKeeper runs the suite against the real Apache ZooKeeper
// 3.8 server, which proves the suite itself.
func TestConformanceZooKeeper(t *testing.T) {
	zk := testpeer.StartZooKeeper(t)
	conformance.Run(t, conformance.Target{
		Name:     "zookeeper-3.8",
		Addrs:    []string{zk.Addr},
		TickTime: 2 * time.Second, // deploy/zookeeper/run.sh
	})
}
