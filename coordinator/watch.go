package coordinator

import (
	"sync"

	"github.com/sluicelogs/sluice/coordinator/tree"
	zk "github.com/sluicelogs/sluice/coordinator/zkproto"
)

// watcher is whoever receives watch notifications: a client connection.
type watcher interface {
	notify(ev zk.WatcherEvent)
}

// watches holds this member's one-shot watches (they are not replicated:
// each member keeps those of its own clients). Data watches are set by
// exists and getData, child watches by getChildren; a watch fires once and
// is gone.
type watches struct {
	mu    sync.Mutex
	data  map[string]map[watcher]struct{}
	child map[string]map[watcher]struct{}
}

func newWatches() *watches {
	return &watches{data: map[string]map[watcher]struct{}{}, child: map[string]map[watcher]struct{}{}}
}

func (ws *watches) add(set map[string]map[watcher]struct{}, path string, w watcher) {
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

// fire delivers the notifications that tree events trigger, in order:
//
//	NodeCreated(p)         data watches on p
//	NodeDataChanged(p)     data watches on p
//	NodeDeleted(p)         data and child watches on p
//	NodeChildrenChanged(p) child watches on p
func (ws *watches) fire(events []tree.Event) {
	if len(events) == 0 {
		return
	}
	ws.mu.Lock()
	defer ws.mu.Unlock()
	for _, e := range events {
		ev := zk.WatcherEvent{Type: e.Type, State: zk.StateSyncConnected, Path: e.Path}
		fired := map[watcher]struct{}{}
		take := func(set map[string]map[watcher]struct{}) {
			for w := range set[e.Path] {
				if _, dup := fired[w]; !dup {
					fired[w] = struct{}{}
					w.notify(ev)
				}
			}
			delete(set, e.Path)
		}
		switch e.Type {
		case zk.EventNodeCreated, zk.EventNodeDataChanged:
			take(ws.data)
		case zk.EventNodeDeleted:
			take(ws.data)
			take(ws.child)
		case zk.EventNodeChildrenChanged:
			take(ws.child)
		}
	}
}

// remove drops every watch of w (its connection closed).
func (ws *watches) remove(w watcher) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	for _, set := range []map[string]map[watcher]struct{}{ws.data, ws.child} {
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
	for _, set := range []map[string]map[watcher]struct{}{ws.data, ws.child} {
		paths += len(set)
		for _, m := range set {
			total += len(m)
		}
	}
	return paths, total
}
