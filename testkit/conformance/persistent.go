package conformance

import (
	"github.com/go-zookeeper/zk"

	zp "github.com/sluicelogs/sluice/coordinator/zkproto"
)

// testPersistentWatches: addWatch (ZooKeeper 3.6) in both modes, and
// checkWatches/removeWatches, over raw frames.
func testPersistentWatches(e *env) {
	c := e.setup()
	r := e.rawConnect()
	p, rec := e.p("p"), e.p("r")
	ev := func(t zp.EventType, path string) zp.WatcherEvent { return zp.WatcherEvent{Type: t, Path: path} }
	add := func(path string, mode zp.AddWatchMode) {
		e.t.Helper()
		code, body := r.call(&zp.AddWatchRequest{Path: path, Mode: mode})
		// ZooKeeper answers with an ErrorResponse record holding 0.
		if code != zp.ErrOK || len(body) != 4 || string(body) != "\x00\x00\x00\x00" {
			e.t.Fatalf("addWatch %s: %v, body % x", path, code, body)
		}
	}
	add(p, zp.AddWatchPersistent)
	add(rec, zp.AddWatchPersistentRecursive)

	// PERSISTENT: the path's data and child events, again and again, and
	// after its node is deleted.
	c.mustCreate(p, nil, 0)
	c.mustSet(p, []byte("1"), -1)
	c.mustSet(p, []byte("2"), -1)
	c.mustCreate(p+"/x", nil, 0)
	c.mustSet(p+"/x", []byte("not seen"), -1)
	if err := c.Delete(p+"/x", -1); err != nil {
		e.t.Fatal(err)
	}
	if err := c.Delete(p, -1); err != nil {
		e.t.Fatal(err)
	}
	c.mustCreate(p, nil, 0)
	r.expect("persistent watch",
		ev(zp.EventNodeCreated, p), ev(zp.EventNodeDataChanged, p), ev(zp.EventNodeDataChanged, p),
		ev(zp.EventNodeChildrenChanged, p), ev(zp.EventNodeChildrenChanged, p),
		ev(zp.EventNodeDeleted, p), ev(zp.EventNodeCreated, p))

	// PERSISTENT_RECURSIVE: data events of the path and everything below
	// it, never a child event.
	c.mustCreate(rec, nil, 0)
	c.mustCreate(rec+"/a", nil, 0)
	c.mustSet(rec+"/a", []byte("1"), -1)
	c.mustCreate(rec+"/a/b", nil, 0)
	if err := c.Delete(rec+"/a/b", -1); err != nil {
		e.t.Fatal(err)
	}
	c.mustSet(rec, []byte("1"), -1)
	r.expect("recursive watch",
		ev(zp.EventNodeCreated, rec), ev(zp.EventNodeCreated, rec+"/a"), ev(zp.EventNodeDataChanged, rec+"/a"),
		ev(zp.EventNodeCreated, rec+"/a/b"), ev(zp.EventNodeDeleted, rec+"/a/b"), ev(zp.EventNodeDataChanged, rec))

	// checkWatches and removeWatches: NoWatcher where there is none.
	if code, _ := r.call(&zp.CheckWatchesRequest{RemoveWatchesRequest: zp.RemoveWatchesRequest{Path: p, Type: zp.WatcherAny}}); code != zp.ErrOK {
		e.t.Fatalf("checkWatches on a watched path: %v", code)
	}
	if code, _ := r.call(&zp.CheckWatchesRequest{RemoveWatchesRequest: zp.RemoveWatchesRequest{Path: e.p("none"), Type: zp.WatcherAny}}); code != zp.ErrNoWatcher {
		e.t.Fatalf("checkWatches on an unwatched path: %v, want NoWatcher", code)
	}
	// Removing the child side leaves the data side.
	if code, _ := r.call(&zp.RemoveWatchesRequest{Path: p, Type: zp.WatcherChildren}); code != zp.ErrOK {
		e.t.Fatalf("removeWatches children: %v", code)
	}
	c.mustCreate(p+"/y", nil, 0)
	c.mustSet(p, []byte("3"), -1)
	r.expect("persistent watch without its child side", ev(zp.EventNodeDataChanged, p))
	if code, _ := r.call(&zp.RemoveWatchesRequest{Path: p, Type: zp.WatcherAny}); code != zp.ErrOK {
		e.t.Fatalf("removeWatches any: %v", code)
	}
	if code, _ := r.call(&zp.RemoveWatchesRequest{Path: p, Type: zp.WatcherAny}); code != zp.ErrNoWatcher {
		e.t.Fatalf("removeWatches again: %v, want NoWatcher", code)
	}
	c.mustSet(p, []byte("4"), -1)
	c.mustSet(rec, []byte("2"), -1) // still watched: the next event
	r.expect("after removeWatches", ev(zp.EventNodeDataChanged, rec))
	// A recursive watch has a child side too, which sees deletions only.
	if code, _ := r.call(&zp.RemoveWatchesRequest{Path: rec, Type: zp.WatcherData}); code != zp.ErrOK {
		e.t.Fatalf("removeWatches data on the recursive watch: %v", code)
	}
	check := func(t zp.WatcherType, want zp.Err) {
		e.t.Helper()
		if code, _ := r.call(&zp.CheckWatchesRequest{RemoveWatchesRequest: zp.RemoveWatchesRequest{Path: rec, Type: t}}); code != want {
			e.t.Fatalf("checkWatches type %d on the recursive watch: %v, want %v", t, code, want)
		}
	}
	check(zp.WatcherData, zp.ErrNoWatcher)
	check(zp.WatcherChildren, zp.ErrOK)
	check(zp.WatcherAny, zp.ErrOK)
	c.mustSet(rec+"/a", []byte("2"), -1)
	c.mustCreate(rec+"/a/c", nil, 0)
	if err := c.Delete(rec+"/a/c", -1); err != nil {
		e.t.Fatal(err)
	}
	r.expect("recursive watch without its data side", ev(zp.EventNodeDeleted, rec+"/a/c"))
	if code, _ := r.call(&zp.RemoveWatchesRequest{Path: rec, Type: zp.WatcherChildren}); code != zp.ErrOK {
		e.t.Fatalf("removeWatches children on the recursive watch: %v", code)
	}
	check(zp.WatcherAny, zp.ErrNoWatcher)
	if len(r.events) > 0 {
		e.t.Fatalf("unexpected notifications:%s", evs(r.events))
	}
}

// testPersistentWatchesReconnect: a client that reconnects to its session
// sets its persistent watches again with setWatches2, and they fire.
func testPersistentWatchesReconnect(e *env) {
	c := e.setup()
	p, rec := e.p("p"), e.p("r")
	c.mustCreate(p, nil, 0)
	c.mustCreate(rec, nil, 0)
	first := e.rawConnect()
	first.conn.Close() // the connection, not the session

	r := e.rawResume(first.session, first.passwd)
	// Reconnecting alone sets no watch: this change is not seen.
	c.mustSet(p, []byte("unseen"), -1)
	zxid := c.mustStat(p).Mzxid
	// Empty lists, not null ones (ZooKeeper's server fails on a null list;
	// its client never sends one).
	code, _ := r.callXid(zp.XidSetWatches, &zp.SetWatches2{RelativeZxid: zxid,
		DataWatches: []string{}, ExistWatches: []string{}, ChildWatches: []string{},
		PersistentWatches: []string{p}, PersistentRecursiveWatches: []string{rec}})
	if code != zp.ErrOK {
		e.t.Fatalf("setWatches2: %v", code)
	}
	c.mustSet(p, []byte("1"), -1)
	c.mustCreate(rec+"/a", nil, 0)
	c.mustCreate(p+"/x", nil, 0)
	ev := func(t zp.EventType, path string) zp.WatcherEvent { return zp.WatcherEvent{Type: t, Path: path} }
	r.expect("persistent watches set again",
		ev(zp.EventNodeDataChanged, p), ev(zp.EventNodeCreated, rec+"/a"), ev(zp.EventNodeChildrenChanged, p))
}

// testWatchACL: a notification about a node goes only to watchers allowed
// to read it (its parent, for a children event) — ZooKeeper 3.8.4's fix of
// CVE-2024-23944, where a recursive watch on a readable parent revealed
// the paths of unreadable children. A one-shot watch whose event is held
// back is used up all the same.
func testWatchACL(e *env) {
	c := e.setup()
	if err := c.AddAuth("digest", []byte("owner:secret")); err != nil {
		e.t.Fatal(err)
	}
	ownerOnly := zk.DigestACL(zk.PermAll, "owner", "secret")
	r := e.rawConnect() // not authenticated: world only
	rec, later := e.p("r"), e.p("later")
	ev := func(t zp.EventType, path string) zp.WatcherEvent { return zp.WatcherEvent{Type: t, Path: path} }
	if code, _ := r.call(&zp.AddWatchRequest{Path: rec, Mode: zp.AddWatchPersistentRecursive}); code != zp.ErrOK {
		e.t.Fatalf("addWatch %s: %v", rec, code)
	}
	if code, _ := r.call(&zp.ExistsRequest{Path: later, Watch: true}); code != zp.ErrNoNode {
		e.t.Fatalf("exists %s: %v, want NoNode", later, code)
	}
	c.mustCreate(rec, nil, 0)
	if _, err := c.Create(rec+"/secret", nil, 0, ownerOnly); err != nil {
		e.t.Fatal(err)
	}
	c.mustSet(rec+"/secret", []byte("1"), -1)
	c.mustCreate(rec+"/public", nil, 0)
	if err := c.Delete(rec+"/secret", -1); err != nil {
		e.t.Fatal(err)
	}
	if _, err := c.Create(later, nil, 0, ownerOnly); err != nil {
		e.t.Fatal(err)
	}
	if _, err := c.SetACL(later, worldAll, -1); err != nil {
		e.t.Fatal(err)
	}
	c.mustSet(later, []byte("1"), -1) // the exists watch fired (unseen) on create
	c.mustSet(rec+"/public", []byte("1"), -1)
	// A read after the writes: every notification they caused is in before
	// its reply.
	if code, _ := r.call(&zp.ExistsRequest{Path: rec}); code != zp.ErrOK {
		e.t.Fatalf("exists %s: %v", rec, code)
	}
	r.expect("recursive watch over an unreadable child",
		ev(zp.EventNodeCreated, rec), ev(zp.EventNodeCreated, rec+"/public"), ev(zp.EventNodeDataChanged, rec+"/public"))
	if len(r.events) > 0 {
		e.t.Fatalf("notifications about nodes the watcher may not read:%s", evs(r.events))
	}
}
