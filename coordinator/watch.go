package coordinator

import (
	"path"
	"sync"

	"github.com/sluicelogs/sluice/coordinator/tree"
	zk "github.com/sluicelogs/sluice/coordinator/zkproto"
)

// watcher is whoever receives watch notifications: a client connection.
type watcher interface {
	notify(ev zk.WatcherEvent)
	ids() []zk.ID // who it is, for the ACL check before a notification
}

// watchSet is the watchers of each path of one kind of watch.
type watchSet map[string]map[watcher]struct{}

// watches holds this member's watches (they are not replicated: each
// member keeps those of its own clients). One-shot watches: data watches
// are set by exists and getData, child watches by getChildren; one fires
// once and is gone. Persistent watches (addWatch, ZooKeeper 3.6) stay until
// removed: PERSISTENT sees the data and child events of its path,
// PERSISTENT_RECURSIVE the data events (created, changed, deleted) of its
// path and of every path below it. As in ZooKeeper, a persistent watch has
// a data side and a child side, which removeWatches removes separately; a
// recursive watch's child side sees only deletions.
type watches struct {
	mu     sync.Mutex
	data   watchSet
	child  watchSet
	pdata  watchSet // PERSISTENT, its data side
	pchild watchSet // PERSISTENT, its child side
	rdata  watchSet // PERSISTENT_RECURSIVE, its data side
	rchild watchSet // PERSISTENT_RECURSIVE, its child side
}

func newWatches() *watches {
	return &watches{data: watchSet{}, child: watchSet{}, pdata: watchSet{}, pchild: watchSet{}, rdata: watchSet{}, rchild: watchSet{}}
}

func (ws *watches) all() []watchSet {
	return []watchSet{ws.data, ws.child, ws.pdata, ws.pchild, ws.rdata, ws.rchild}
}

// of returns the sets a removeWatches or checkWatches of type t looks in.
func (ws *watches) of(t zk.WatcherType) []watchSet {
	switch t {
	case zk.WatcherChildren:
		return []watchSet{ws.child, ws.pchild, ws.rchild}
	case zk.WatcherData:
		return []watchSet{ws.data, ws.pdata, ws.rdata}
	case zk.WatcherAny:
		return ws.all()
	}
	return nil
}

func (ws *watches) add(set watchSet, path string, w watcher) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	m := set[path]
	if m == nil {
		m = map[watcher]struct{}{}
		set[path] = m
	}
	m[w] = struct{}{}
}

func (ws *watches) addData(path string, w watcher)  { ws.add(ws.data, path, w) }
func (ws *watches) addChild(path string, w watcher) { ws.add(ws.child, path, w) }

// addPersistent sets a persistent watch (addWatch).
func (ws *watches) addPersistent(path string, mode zk.AddWatchMode, w watcher) {
	if mode == zk.AddWatchPersistentRecursive {
		ws.add(ws.rdata, path, w)
		ws.add(ws.rchild, path, w)
		return
	}
	ws.add(ws.pdata, path, w)
	ws.add(ws.pchild, path, w)
}

// removeOf removes w's watches of type t on path (removeWatches) and
// reports whether it had any; with check set, it only reports
// (checkWatches).
func (ws *watches) removeOf(path string, t zk.WatcherType, w watcher, check bool) bool {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	found := false
	for _, set := range ws.of(t) {
		if _, ok := set[path][w]; !ok {
			continue
		}
		found = true
		if !check {
			delete(set[path], w)
			if len(set[path]) == 0 {
				delete(set, path)
			}
		}
	}
	return found
}

// fire delivers the notifications that tree events trigger, in order, at
// most one per watcher and event:
//
//	NodeCreated(p)         data watches on p
//	NodeDataChanged(p)     data watches on p
//	NodeDeleted(p)         data and child watches on p
//	NodeChildrenChanged(p) child watches on p
//
// where persistent watches count as data and child watches, and recursive
// ones as data watches on p and every path below it. A watcher not allowed
// to read the node an event is about (its parent, for NodeChildrenChanged)
// is not told; a one-shot watch is used up all the same (as in ZooKeeper).
func (ws *watches) fire(events []tree.Event) {
	if len(events) == 0 {
		return
	}
	ws.mu.Lock()
	defer ws.mu.Unlock()
	for _, e := range events {
		ev := zk.WatcherEvent{Type: e.Type, State: zk.StateSyncConnected, Path: e.Path}
		fired := map[watcher]struct{}{}
		send := func(set watchSet, p string, once bool) {
			for w := range set[p] {
				if _, dup := fired[w]; !dup {
					fired[w] = struct{}{}
					if e.ACL == nil || tree.Permits(e.ACL, zk.PermRead, w.ids()) {
						w.notify(ev)
					}
				}
			}
			if once {
				delete(set, p)
			}
		}
		recursive := func(set watchSet) {
			if len(set) == 0 {
				return
			}
			for p := e.Path; ; p = path.Dir(p) {
				send(set, p, false)
				if p == "/" {
					return
				}
			}
		}
		dataSide := func() {
			send(ws.data, e.Path, true)
			send(ws.pdata, e.Path, false)
			recursive(ws.rdata)
		}
		childSide := func() {
			send(ws.child, e.Path, true)
			send(ws.pchild, e.Path, false)
		}
		switch e.Type {
		case zk.EventNodeCreated, zk.EventNodeDataChanged:
			dataSide()
		case zk.EventNodeDeleted:
			dataSide()
			childSide()
			recursive(ws.rchild)
		case zk.EventNodeChildrenChanged:
			childSide()
		}
	}
}

// remove drops every watch of w (its connection closed).
func (ws *watches) remove(w watcher) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	for _, set := range ws.all() {
		for p, m := range set {
			delete(m, w)
			if len(m) == 0 {
				delete(set, p)
			}
		}
	}
}

// count returns how many watches are set, for the wchs four-letter word.
func (ws *watches) count() (paths, total int) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	for _, set := range ws.all() {
		paths += len(set)
		for _, m := range set {
			total += len(m)
		}
	}
	return paths, total
}

// byPath returns every watched path with its watchers, over all kinds of
// watch (wchp and wchc).
func (ws *watches) byPath() map[string][]watcher {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	out := map[string][]watcher{}
	for _, set := range ws.all() {
		for p, m := range set {
			for w := range m {
				out[p] = append(out[p], w)
			}
		}
	}
	return out
}
