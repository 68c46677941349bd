package conformance

import (
	"fmt"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/sluicelogs/sluice/internal/await"
)

func testEphemeralClose(e *env) {
	t := e.t
	b := e.setup()
	a := e.connect()
	p := e.p("eph")
	a.mustCreate(p, []byte("a"), zk.FlagEphemeral)
	seq := a.mustCreate(e.p("eseq-"), nil, zk.FlagEphemeralSequential)

	ok, st, ch, err := b.ExistsW(p)
	if err != nil || !ok || st.EphemeralOwner != a.SessionID() {
		t.Fatalf("existsW from another session = %v, %+v, %v; want owner %#x", ok, st, err, a.SessionID())
	}
	_, _, cch, err := b.ChildrenW(e.root)
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	expectEvent(t, "ephemeral after its session closed", ch, zk.EventNodeDeleted, p)
	expectEvent(t, "parent of ephemerals after their session closed", cch, zk.EventNodeChildrenChanged, e.root)
	for _, q := range []string{p, seq} {
		if ok, _, err := b.Exists(q); ok || err != nil {
			t.Fatalf("exists %s after its session closed = %v, %v; want false", q, ok, err)
		}
	}
}

func testEphemeralExpiry(e *env) {
	t := e.t
	b := e.setup()
	a := e.connect()
	p := e.p("eph")
	a.mustCreate(p, nil, zk.FlagEphemeral)
	ok, _, ch, err := b.ExistsW(p)
	if err != nil || !ok {
		t.Fatalf("existsW = %v, %v", ok, err)
	}
	old := a.SessionID()

	// Cut a's connection and keep it from reconnecting: the server hears
	// nothing more from the session and must expire it.
	mark := a.rec.mark()
	cut := time.Now()
	a.cut.cutAndBlock()
	a.waitState(mark, zk.StateDisconnected)
	bound := sessionTimeout + 2*e.target.TickTime + 5*time.Second
	select {
	case ev := <-ch:
		if ev.Type != zk.EventNodeDeleted || ev.Path != p {
			t.Fatalf("event %+v; want %v on %s", ev, zk.EventNodeDeleted, p)
		}
	case <-time.After(bound):
		t.Fatalf("ephemeral %s still there %s after its session lost its connection", p, bound)
	}
	// The server last heard from the client at most a third of the timeout
	// (go-zookeeper's ping interval) before the cut, so an expiry much
	// earlier than that is a server expiring sessions too soon.
	if d := time.Since(cut); d < sessionTimeout/2 {
		t.Fatalf("session expired %s after the cut; the timeout is %s", d, sessionTimeout)
	}
	if ok, _, err := b.Exists(p); ok || err != nil {
		t.Fatalf("exists after expiry = %v, %v; want false", ok, err)
	}

	// ZooKeeper: reconnecting with an expired session gets a
	// ConnectResponse with session id 0 (go-zookeeper: StateExpired); the
	// client then starts a new session.
	mark = a.rec.mark()
	a.cut.unblock()
	a.waitState(mark, zk.StateExpired)
	a.waitState(mark, zk.StateHasSession)
	if a.SessionID() == old || a.SessionID() == 0 {
		t.Fatalf("session id after expiry %#x; want a new one (old %#x)", a.SessionID(), old)
	}
	if ok, _, err := a.Exists(p); ok || err != nil {
		t.Fatalf("exists through the new session = %v, %v; want false", ok, err)
	}
}

func testReconnect(e *env) {
	t := e.t
	b := e.setup()
	a := e.connect()
	session := a.SessionID()
	eph := e.p("eph")
	a.mustCreate(eph, nil, zk.FlagEphemeral)
	early, late, dir, born := e.p("early"), e.p("late"), e.p("dir"), e.p("born")
	for _, p := range []string{early, late, dir} {
		a.mustCreate(p, nil, zk.FlagPersistent)
	}
	_, _, earlyCh, _ := a.GetW(early)
	_, _, lateCh, _ := a.GetW(late)
	_, _, dirCh, _ := a.ChildrenW(dir)
	_, _, bornCh, _ := a.ExistsW(born)

	// Cut the connection for less than the session timeout. While a is
	// disconnected, change two watched nodes.
	mark := a.rec.mark()
	a.cut.cutAndBlock()
	a.waitState(mark, zk.StateDisconnected)
	b.mustSet(early, []byte("changed while disconnected"), -1)
	b.mustCreate(born, nil, zk.FlagPersistent)
	a.cut.unblock()
	a.waitState(mark, zk.StateHasSession)
	if a.SessionID() != session {
		t.Fatalf("session after reconnect %#x; want the same %#x", a.SessionID(), session)
	}
	for _, ev := range a.rec.since(mark) {
		if ev.State == zk.StateExpired {
			t.Fatalf("session expired during a short disconnect: %+v", a.rec.since(mark))
		}
	}

	// ZooKeeper: setWatches (sent with the last zxid the client saw)
	// re-arms the watches and fires at once those whose node changed
	// while the client was away.
	expectEvent(t, "data watch whose node changed during the disconnect", earlyCh, zk.EventNodeDataChanged, early)
	expectEvent(t, "exists watch whose node was created during the disconnect", bornCh, zk.EventNodeCreated, born)

	// Watches on unchanged nodes are re-armed and fire later.
	b.mustSet(late, []byte("changed after reconnect"), -1)
	expectEvent(t, "data watch set before the disconnect", lateCh, zk.EventNodeDataChanged, late)
	b.mustCreate(dir+"/c", nil, zk.FlagPersistent)
	expectEvent(t, "child watch set before the disconnect", dirCh, zk.EventNodeChildrenChanged, dir)

	// The ephemeral survived and still belongs to the session.
	if st := b.mustStat(eph); st.EphemeralOwner != session {
		t.Fatalf("ephemeral owner after reconnect %#x; want %#x", st.EphemeralOwner, session)
	}
	// And the session is still usable and still owns it after the
	// timeout has passed since the cut.
	await.Eventually(t, connectWait, pollEvery, func() error {
		if a.State() != zk.StateHasSession {
			return fmt.Errorf("state %v", a.State())
		}
		_, err := a.Sync(eph)
		return err
	})
}
