package coordinator_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/sluicelogs/sluice/coordinator"
	"github.com/sluicelogs/sluice/coordinator/zkproto"
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
//
// On a loaded machine the leader can lose its quorum for a moment (tickTime
// is 200 ms here) and the members close their clients' connections, as
// ZooKeeper's do: the clients retry as ZooKeeper clients must (see
// createRetrying), and the waits on the catching-up follower are bounded
// by its progress, not by a budget a busy machine exceeds.
func TestFollowerCatchesUpFromSnapshot(t *testing.T) {
	e := startEnsemble(t, 3, 0, 200*time.Millisecond, func(c *coordinator.Config) { c.SnapCount = 500 })
	lead := e.leader()
	down := lead%3 + 1
	e.members[down].Stop()
	delete(e.members, down)

	c := connect(t, e.members[lead].Addr())
	if err := createRetrying(c, "/snap"); err != nil {
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
				if err := createRetrying(c, fmt.Sprintf("/snap/w%02d-%04d", w, i)); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		out, merr := zkproto.FourLetter(context.Background(), e.members[lead].Addr(), "mntr")
		t.Fatalf("%v; member %d then: %q %v", err, lead, out, merr)
	}

	e.start(down)
	addr := e.members[down].Addr()
	// The restarted member refuses clients until it knows the leader, and
	// answers them once it has restored the snapshot and applied what
	// follows: go-zookeeper reconnects meanwhile, and a request fails with
	// a connection loss while it cannot connect. The wait fails only when
	// the member's zxid stops moving.
	cd, _, err := zk.Connect([]string{addr}, 4*time.Second, zk.WithLogInfo(false))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cd.Close)
	await.Progress(t, time.Minute, 10*time.Minute, 100*time.Millisecond, func() (int64, error) {
		zxid, err := lastZxid(addr)
		if err != nil {
			return 0, err
		}
		if _, err := cd.Sync("/snap"); err != nil {
			return zxid, err
		}
		_, st, err := cd.Exists("/snap")
		if err != nil {
			return zxid, err
		}
		if st.NumChildren != writers*each {
			return zxid, fmt.Errorf("the follower has %d of %d znodes", st.NumChildren, writers*each)
		}
		return zxid, nil
	})
	var data []byte
	last := fmt.Sprintf("/snap/w%02d-%04d", writers-1, each-1)
	err = retryOnLoss(func() error {
		data, _, err = cd.Get(last)
		return err
	})
	if err != nil || len(data) != 0 {
		t.Fatalf("last znode on the follower: %q, %v", data, err)
	}
}

// lastZxid is the zxid a member has applied, from its srvr (ZooKeeper's
// mntr has no zxid).
func lastZxid(addr string) (int64, error) {
	out, err := zkproto.FourLetter(context.Background(), addr, "srvr")
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(out) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "Zxid: "); ok {
			return strconv.ParseInt(v, 0, 64)
		}
	}
	return 0, fmt.Errorf("no Zxid in srvr: %q", out)
}

// connectionLoss reports whether err is what a ZooKeeper client sees when
// its connection is lost (the member closed it: its leader changed, or it
// refused a client while it had none) or its session expired meanwhile:
// go-zookeeper connects again by itself, and the operation may be retried.
func connectionLoss(err error) bool {
	return errors.Is(err, zk.ErrConnectionClosed) || errors.Is(err, zk.ErrNoServer) || errors.Is(err, zk.ErrSessionExpired)
}

// maxLosses bounds the connection losses in a row an operation is retried
// through, so that a member that never serves again ends the test. Each
// loss costs at least a reconnection (go-zookeeper waits a second before
// trying the one address again).
const maxLosses = 100

// retryOnLoss runs op, an operation that may be repeated (a read), again
// after each connection loss.
func retryOnLoss(op func() error) error {
	start := time.Now()
	for losses := 0; ; losses++ {
		err := op()
		switch {
		case !connectionLoss(err):
			return err
		case losses == maxLosses:
			return fmt.Errorf("%w (%d connection losses in a row over %s)", err, losses+1, time.Since(start).Round(time.Millisecond))
		}
	}
}

// createRetrying creates a persistent znode at path as a ZooKeeper client
// must when its connection is lost: the create may or may not have been
// applied, so it is sent again, and NodeExists after a loss means that an
// earlier attempt was (nothing else creates these paths).
func createRetrying(c *zk.Conn, path string) error {
	lost := false
	return retryOnLoss(func() error {
		_, err := c.Create(path, nil, 0, zk.WorldACL(zk.PermAll))
		switch {
		case connectionLoss(err):
			lost = true
		case errors.Is(err, zk.ErrNodeExists) && lost:
			return nil
		}
		return err
	})
}

// TestHandshakeClosedWhenLeaderLost: a client that connects while the
// leader is losing its quorum gets its connection closed, as a write in
// flight does, and connects again; it used to wait for a session whose
// creation no leader would ever apply, until its own connect timeout (and
// the member's goroutine waited for good). Seen as "no session" on the
// restarted follower of TestFollowerCatchesUpFromSnapshot on a loaded
// machine.
func TestHandshakeClosedWhenLeaderLost(t *testing.T) {
	e := startEnsemble(t, 3, 0, 200*time.Millisecond)
	lead := e.leader()
	for id, m := range e.members {
		if id != lead {
			m.Stop()
		}
	}
	// The leader has no quorum now: the session's creation cannot be
	// committed. It steps down within an election timeout (CheckQuorum);
	// a handshake still waiting then must end. (If it has stepped down
	// before the handshake, it refuses the client at once: closed too.)
	nc, err := net.Dial("tcp", e.members[lead].Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if _, err := nc.Write(connectRequest(4000)); err != nil {
		t.Fatal(err)
	}
	// A bound only so that the test ends if the connection hangs.
	_ = nc.SetReadDeadline(time.Now().Add(2 * time.Minute))
	n, err := io.Copy(io.Discard, nc)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatal("the handshake still waits for a session no leader can create")
	}
	if n != 0 {
		t.Fatalf("got %d bytes: a session without a quorum", n)
	}
}
