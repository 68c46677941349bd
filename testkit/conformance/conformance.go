// Package conformance is a conformance suite for servers that speak the
// Apache ZooKeeper client protocol. It drives a server through
// github.com/go-zookeeper/zk (plus a few raw frames and Apache ZooKeeper's own
// zkCli.sh) and asserts exact results.
//
// The suite is checked against the real Apache ZooKeeper 3.8 server
// (TestConformanceZooKeeper): every assertion states what ZooKeeper does, so
// a comment marked "ZooKeeper:" next to an assertion is a requirement for any
// other server run through the suite, such as the sluice coordinator.
//
// All subtests share one server and run in parallel. Each works below its own
// persistent node "/conf-<subtest>-<run>" and deletes it when it ends, so the
// suite needs nothing from the server but its client addresses.
package conformance

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// Target is a running server (or ensemble) the suite is run against.
type Target struct {
	// Name names the target in the subtest names, e.g. "zookeeper-3.8".
	Name string
	// Addrs are the host:port client addresses of the server(s).
	Addrs []string
	// TickTime is the server's tickTime; sessions are negotiated to between
	// 2 and 20 ticks. Zero means 2s, the tickTime of deploy/zookeeper/run.sh
	// and of the sample zoo.cfg.
	TickTime time.Duration
}

// sessionTimeout is what every client of the suite asks for. ZooKeeper
// clamps a requested timeout to [2, 20] × tickTime, so with tickTime=2000 this
// is also the smallest timeout a server grants (see testSession).
const sessionTimeout = 4 * time.Second

// Bounds of every wait in the suite.
const (
	connectWait = 15 * time.Second       // until a new client has a session
	eventWait   = 10 * time.Second       // until an expected watch event arrives
	absenceWait = 300 * time.Millisecond // a watch event that must not come
	pollEvery   = 20 * time.Millisecond
)

// area is one subtest of the suite.
type area struct {
	name string
	run  func(e *env)
}

var areas = []area{
	{"session", testSession},
	{"create", testCreate},
	{"create_errors", testCreateErrors},
	{"sequential", testSequential},
	{"stat", testStat},
	{"data", testData},
	{"delete", testDelete},
	{"children", testChildren},
	{"acl", testACL},
	{"multi_atomic", testMultiAtomic},
	{"multi_success", testMultiSuccess},
	{"watch_exists", testWatchExists},
	{"watch_data", testWatchData},
	{"watch_children", testWatchChildren},
	{"watch_once", testWatchOnce},
	{"watch_before_read", testWatchBeforeRead},
	{"watch_persistent", testPersistentWatches},
	{"watch_persistent_reconnect", testPersistentWatchesReconnect},
	{"watch_acl", testWatchACL},
	{"ephemeral_close", testEphemeralClose},
	{"ephemeral_expiry", testEphemeralExpiry},
	{"reconnect", testReconnect},
	{"sync", testSync},
	{"large_data", testLargeData},
	{"zkcli", testZkCli},
}

// Run runs the whole suite against target as one subtest named after it,
// with one parallel subtest per area.
func Run(t *testing.T, target Target) {
	t.Helper()
	if len(target.Addrs) == 0 {
		t.Fatalf("conformance: target %q has no addresses", target.Name)
	}
	if target.TickTime == 0 {
		target.TickTime = 2 * time.Second
	}
	name := target.Name
	if name == "" {
		name = "target"
	}
	run := fmt.Sprintf("%x", time.Now().UnixNano()&0xffffff)
	t.Run(name, func(t *testing.T) {
		for _, a := range areas {
			t.Run(a.name, func(t *testing.T) {
				t.Parallel()
				e := &env{t: t, target: target}
				e.root = "/conf-" + strings.ReplaceAll(a.name, "_", "-") + "-" + run
				a.run(e)
			})
		}
	})
	t.Run(name+"_cleaned_up", func(t *testing.T) {
		// Every subtest removed its nodes (the parallel subtests above have
		// all ended, cleanups included, when t.Run returns).
		c := (&env{t: t, target: target}).connect()
		children, _, err := c.Children("/")
		if err != nil {
			t.Fatalf("children of /: %v", err)
		}
		for _, ch := range children {
			if strings.HasPrefix(ch, "conf-") && strings.HasSuffix(ch, "-"+run) || ch == "magedu" {
				t.Errorf("node /%s is left over", ch)
			}
		}
	})
}
