package coordinator_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/sluicelogs/sluice/coordinator"
	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/testkit/conformance"
	"github.com/sluicelogs/sluice/testkit/testcluster"
)

// ensemble is a set of coordinator members on loopback, in-process.
type ensemble struct {
	t       *testing.T
	cfgs    map[uint64]*coordinator.Config
	members map[uint64]*testcluster.CoordinatorServer
	tick    time.Duration
}

// startEnsemble starts voters members (ids 1..voters) and observers more
// (ids after them) naming them all, after the options changed each
// member's configuration.
func startEnsemble(t *testing.T, voters, observers int, tick time.Duration, options ...func(*coordinator.Config)) *ensemble {
	t.Helper()
	e := &ensemble{t: t, cfgs: map[uint64]*coordinator.Config{}, members: map[uint64]*testcluster.CoordinatorServer{}, tick: tick}
	for _, cfg := range testcluster.EnsembleConfigs(t, voters, observers, tick) {
		for _, o := range options {
			o(&cfg)
		}
		if err := cfg.Validate(); err != nil {
			t.Fatal(err)
		}
		e.cfgs[cfg.MyID] = &cfg
		e.start(cfg.MyID)
	}
	return e
}

// start (re)starts member id from its data directory.
func (e *ensemble) start(id uint64) {
	e.t.Helper()
	log := testcluster.Logger()
	var srv *coordinator.Server
	// The peer port may still be held a moment by the member's last run.
	await.Eventually(e.t, 10*time.Second, 50*time.Millisecond, func() error {
		var err error
		srv, err = coordinator.NewServer(e.cfgs[id], log)
		return err
	})
	e.members[id] = testcluster.RunCoordinator(e.t, srv)
}

func (e *ensemble) addrs() []string {
	var out []string
	for _, m := range e.members {
		out = append(out, m.Addr())
	}
	return out
}

// leader waits until exactly one running member leads and returns its id.
func (e *ensemble) leader() uint64 {
	e.t.Helper()
	var lead uint64
	await.Eventually(e.t, 20*time.Second, 20*time.Millisecond, func() error {
		lead = 0
		n := 0
		for id, m := range e.members {
			if m.Mode() == "leader" {
				lead, n = id, n+1
			}
		}
		if n != 1 {
			return fmt.Errorf("%d leaders", n)
		}
		return nil
	})
	return lead
}

func TestEnsembleReplicatesAndFailsOver(t *testing.T) {
	e := startEnsemble(t, 3, 1, 200*time.Millisecond)
	lead := e.leader()
	if mode := e.members[4].Mode(); mode != "observer" {
		t.Fatalf("member 4 is %s, want observer", mode)
	}

	// Writes through one member are read through every other.
	c1 := connect(t, e.members[1].Addr())
	if _, err := c1.Create("/magedu", []byte("x"), 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	for id := uint64(2); id <= 4; id++ {
		c := connect(t, e.members[id].Addr())
		if _, err := c.Sync("/magedu"); err != nil {
			t.Fatalf("sync on member %d: %v", id, err)
		}
		if data, _, err := c.Get("/magedu"); err != nil || string(data) != "x" {
			t.Fatalf("get on member %d = %q, %v", id, data, err)
		}
	}

	// A client of the leader with an ephemeral, and acknowledged writes.
	cl := connect(t, e.members[lead].Addr())
	if _, err := cl.Create("/magedu/eph", nil, zk.FlagEphemeral, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	const n = 100
	for i := 0; i < n; i++ {
		if _, err := c1.Create(fmt.Sprintf("/magedu/w%03d", i), nil, 0, zk.WorldACL(zk.PermAll)); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	// A client that can reach every member keeps its session when its
	// member goes away.
	roaming, _, err := zk.Connect(e.addrs(), 4*time.Second, zk.WithLogInfo(false))
	if err != nil {
		t.Fatal(err)
	}
	defer roaming.Close()
	if _, err := roaming.Create("/magedu/roam", nil, zk.FlagEphemeral, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	session := roaming.SessionID()

	e.members[lead].Stop()
	delete(e.members, lead)
	newLead := e.leader()
	if newLead == lead {
		t.Fatal("the stopped leader still leads")
	}
	var other uint64
	for id := range e.members {
		if id != 4 {
			other = id
		}
	}
	c := connect(t, e.members[other].Addr())
	kids, _, err := c.Children("/magedu")
	if err != nil {
		t.Fatal(err)
	}
	count := 0
	for _, k := range kids {
		if strings.HasPrefix(k, "w") {
			count++
		}
	}
	if count != n {
		t.Fatalf("%d of %d acknowledged writes after failover", count, n)
	}
	if _, err := c.Create("/magedu/after", nil, 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatalf("write after failover: %v", err)
	}
	// The old leader's client lost its member; its ephemeral goes with its
	// session's expiry. The roaming client keeps its session.
	await.Eventually(t, 20*time.Second, 50*time.Millisecond, func() error {
		if ok, _, err := c.Exists("/magedu/eph"); err != nil || ok {
			return fmt.Errorf("ephemeral of the dead member's client still there (%v)", err)
		}
		return nil
	})
	if ok, _, err := c.Exists("/magedu/roam"); err != nil || !ok {
		t.Fatalf("the roaming client's ephemeral is gone (%v)", err)
	}
	if roaming.SessionID() != session {
		t.Fatalf("roaming session changed %#x → %#x", session, roaming.SessionID())
	}

	// The old leader comes back and catches up.
	e.start(lead)
	cb := connect(t, e.members[lead].Addr())
	await.Eventually(t, 20*time.Second, 50*time.Millisecond, func() error {
		if ok, _, err := cb.Exists("/magedu/after"); err != nil || !ok {
			return fmt.Errorf("restarted member has not caught up (%v)", err)
		}
		return nil
	})
}

// TestConformanceEnsemble runs the ZooKeeper conformance suite against a
// follower of a three-member ensemble: every write it makes travels to the
// leader and back. The suite's clients all use that one member because it
// reads one client's writes through another without sync, which ZooKeeper
// guarantees only within one server (reads are sequentially consistent).
func TestConformanceEnsemble(t *testing.T) {
	e := startEnsemble(t, 3, 0, 2*time.Second)
	lead := e.leader()
	follower := lead%3 + 1
	conformance.Run(t, conformance.Target{
		Name:     "sluice-ensemble-follower",
		Addrs:    []string{e.members[follower].Addr()},
		TickTime: 2 * time.Second,
	})
}

// TestFollowerCatchesUpFromSnapshot: while a follower is down, the others
// write more entries than a member keeps in its log after a snapshot
// (wal.DefaultKeepEntries), so the follower can only catch up from the
// leader's snapshot, which the leader reads back from its file to send.
func TestFollowerCatchesUpFromSnapshot(t *testing.T) {
	e := startEnsemble(t, 3, 0, 200*time.Millisecond, func(c *coordinator.Config) { c.SnapCount = 500 })
	lead := e.leader()
	down := lead%3 + 1
	e.members[down].Stop()
	delete(e.members, down)

	c := connect(t, e.members[lead].Addr())
	if _, err := c.Create("/snap", nil, 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	const writers, each = 16, 700 // 11,200 entries: > wal.DefaultKeepEntries + snapCount
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if _, err := c.Create(fmt.Sprintf("/snap/w%02d-%04d", w, i), nil, 0, zk.WorldACL(zk.PermAll)); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	e.start(down)
	cd := connect(t, e.members[down].Addr())
	await.Eventually(t, 60*time.Second, 100*time.Millisecond, func() error {
		if _, err := cd.Sync("/snap"); err != nil {
			return err
		}
		_, st, err := cd.Exists("/snap")
		if err != nil {
			return err
		}
		if st.NumChildren != writers*each {
			return fmt.Errorf("the follower has %d of %d znodes", st.NumChildren, writers*each)
		}
		return nil
	})
	if data, _, err := cd.Get(fmt.Sprintf("/snap/w%02d-%04d", writers-1, each-1)); err != nil || len(data) != 0 {
		t.Fatalf("last znode on the follower: %q, %v", data, err)
	}
}
