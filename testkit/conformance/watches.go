package conformance

import (
	"fmt"

	"github.com/go-zookeeper/zk"

	"github.com/sluicelogs/sluice/internal/await"
)

func testWatchExists(e *env) {
	t := e.t
	a := e.setup()
	b := e.connect()
	p := e.p("x")

	ok, _, ch, err := a.ExistsW(p)
	if err != nil || ok {
		t.Fatalf("existsW of missing node = %v, %v", ok, err)
	}
	b.mustCreate(p, []byte("1"), zk.FlagPersistent)
	expectEvent(t, "exists watch on a missing node", ch, zk.EventNodeCreated, p)

	// An exists watch on an existing node is a data watch.
	ok, _, ch, err = a.ExistsW(p)
	if err != nil || !ok {
		t.Fatalf("existsW of existing node = %v, %v", ok, err)
	}
	b.mustSet(p, []byte("2"), -1)
	expectEvent(t, "exists watch, setData", ch, zk.EventNodeDataChanged, p)
	_, _, ch, _ = a.ExistsW(p)
	if err := b.Delete(p, -1); err != nil {
		t.Fatal(err)
	}
	expectEvent(t, "exists watch, delete", ch, zk.EventNodeDeleted, p)
}

func testWatchData(e *env) {
	t := e.t
	a := e.setup()
	b := e.connect()
	p := e.p("d")
	a.mustCreate(p, []byte("1"), zk.FlagPersistent)
	a.mustCreate(p+"/child", nil, zk.FlagPersistent)

	_, _, ch, err := a.GetW(p)
	if err != nil {
		t.Fatal(err)
	}
	mark := a.rec.mark()
	// Child changes do not trigger a data watch.
	b.mustCreate(p+"/other", nil, zk.FlagPersistent)
	if _, _, err := a.Children(p); err != nil {
		t.Fatal(err)
	}
	a.expectNoEvent("data watch after a child create", mark, p)

	b.mustSet(p, []byte("2"), -1)
	expectEvent(t, "data watch, setData", ch, zk.EventNodeDataChanged, p)

	// A session's own change fires its own watch too.
	_, _, ch, _ = a.GetW(p)
	a.mustSet(p, []byte("3"), -1)
	expectEvent(t, "data watch, own setData", ch, zk.EventNodeDataChanged, p)

	_, _, ch, _ = a.GetW(p)
	for _, c := range []string{"/child", "/other"} {
		if err := b.Delete(p+c, -1); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Delete(p, -1); err != nil {
		t.Fatal(err)
	}
	expectEvent(t, "data watch, delete", ch, zk.EventNodeDeleted, p)

	// getData with a watch on a missing node fails and sets no watch.
	_, _, _, err = a.GetW(p)
	wantErr(t, "getW of missing node", err, zk.ErrNoNode)
	mark = a.rec.mark()
	b.mustCreate(p, nil, zk.FlagPersistent)
	a.mustStat(p)
	a.expectNoEvent("create after a failed getW", mark, p)
}

func testWatchChildren(e *env) {
	t := e.t
	a := e.setup()
	b := e.connect()
	p := e.p("dir")
	a.mustCreate(p, nil, zk.FlagPersistent)

	_, _, ch, err := a.ChildrenW(p)
	if err != nil {
		t.Fatal(err)
	}
	mark := a.rec.mark()
	// setData on the parent does not trigger a child watch.
	b.mustSet(p, []byte("x"), -1)
	a.mustStat(p)
	a.expectNoEvent("child watch after setData of the parent", mark, p)

	b.mustCreate(p+"/c1", nil, zk.FlagPersistent)
	expectEvent(t, "child watch, child create", ch, zk.EventNodeChildrenChanged, p)

	// Changing a child's data is not a change of the children list.
	_, _, ch, _ = a.ChildrenW(p)
	mark = a.rec.mark()
	b.mustSet(p+"/c1", []byte("y"), -1)
	a.mustStat(p + "/c1")
	a.expectNoEvent("child watch after setData of a child", mark, p)

	if err := b.Delete(p+"/c1", -1); err != nil {
		t.Fatal(err)
	}
	expectEvent(t, "child watch, child delete", ch, zk.EventNodeChildrenChanged, p)

	// Deleting the watched node itself fires NodeDeleted on its child watch.
	_, _, ch, _ = a.ChildrenW(p)
	if err := b.Delete(p, -1); err != nil {
		t.Fatal(err)
	}
	expectEvent(t, "child watch, delete of the node", ch, zk.EventNodeDeleted, p)
}

func testWatchOnce(e *env) {
	t := e.t
	a := e.setup()
	b := e.connect()
	d, dir, missing := e.p("d"), e.p("dir"), e.p("missing")
	a.mustCreate(d, nil, zk.FlagPersistent)
	a.mustCreate(dir, nil, zk.FlagPersistent)

	mark := a.rec.mark()
	_, _, dch, _ := a.GetW(d)
	_, _, cch, _ := a.ChildrenW(dir)
	_, _, ech, _ := a.ExistsW(missing)
	// Two watches of one kind on one path from one session are one watch:
	// a single notification.
	_, _, dch2, _ := a.GetW(d)

	b.mustSet(d, []byte("1"), -1)
	b.mustCreate(dir+"/c1", nil, zk.FlagPersistent)
	b.mustCreate(missing, nil, zk.FlagPersistent)
	expectEvent(t, "data watch", dch, zk.EventNodeDataChanged, d)
	expectEvent(t, "second data watch on the same path", dch2, zk.EventNodeDataChanged, d)
	expectEvent(t, "child watch", cch, zk.EventNodeChildrenChanged, dir)
	expectEvent(t, "exists watch", ech, zk.EventNodeCreated, missing)

	// Second changes with no watch re-armed: no notifications. Reading
	// through a first (ZooKeeper sends a session's notifications before
	// any later reply to it) means a wrongly sent event is already here.
	b.mustSet(d, []byte("2"), -1)
	b.mustCreate(dir+"/c2", nil, zk.FlagPersistent)
	b.mustSet(missing, []byte("x"), -1)
	if err := b.Delete(missing, -1); err != nil {
		t.Fatal(err)
	}
	if data, _, err := a.Get(d); err != nil || string(data) != "2" {
		t.Fatalf("get = %q, %v", data, err)
	}
	a.expectNoEvent("changes after the watches fired", a.rec.mark(), d, dir, missing)
	for _, c := range []struct {
		typ zk.EventType
		p   string
	}{{zk.EventNodeDataChanged, d}, {zk.EventNodeChildrenChanged, dir}, {zk.EventNodeCreated, missing}} {
		if n := a.rec.count(mark, c.typ, c.p); n != 1 {
			t.Fatalf("%d %v notifications for %s; want exactly 1 (events: %+v)", n, c.typ, c.p, a.rec.since(mark))
		}
	}
	if n := len(a.rec.since(mark)); n != 3 {
		t.Fatalf("%d notifications in all; want 3: %+v", n, a.rec.since(mark))
	}
}

func testWatchBeforeRead(e *env) {
	t := e.t
	a := e.setup()
	b := e.connect()
	p := e.p("n")
	a.mustCreate(p, []byte("old"), zk.FlagPersistent)

	for i := range 3 {
		want := fmt.Sprintf("new-%d", i)
		_, _, ch, err := a.GetW(p)
		if err != nil {
			t.Fatal(err)
		}
		b.mustSet(p, []byte(want), -1)
		// ZooKeeper: a client sees the notification of a change before it
		// sees the changed data. Once a read through a returns the new
		// value, the event must already be in the watch channel.
		await.Eventually(t, eventWait, pollEvery, func() error {
			data, _, err := a.Get(p)
			if err != nil {
				return err
			}
			if string(data) != want {
				return fmt.Errorf("read %q, waiting for %q", data, want)
			}
			select {
			case ev := <-ch:
				if ev.Type != zk.EventNodeDataChanged || ev.Path != p {
					t.Fatalf("event %+v; want %v on %s", ev, zk.EventNodeDataChanged, p)
				}
			default:
				t.Fatalf("round %d: read returned the new data %q before the watch event arrived", i, data)
			}
			return nil
		})
	}
}
