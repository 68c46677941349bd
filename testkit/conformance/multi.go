package conformance

import (
	"reflect"

	"github.com/go-zookeeper/zk"
)

// errRuntimeInconsistency is how go-zookeeper reports code -2, which it has
// no sentinel error for.
const errRuntimeInconsistency = "unknown error: -2"

func testMultiAtomic(e *env) {
	t := e.t
	c := e.setup()
	c.mustCreate(e.p("existing"), []byte("old"), zk.FlagPersistent)

	// A failing check in the middle: nothing of the multi happens.
	//
	// ZooKeeper answers with one result per op, in op order, every one an
	// error result (type -1): 0 for the ops before the failing one, the
	// failing op's own code (here BadVersion, -103), and
	// RuntimeInconsistency (-2) for the ops after it. The reply header's
	// err is 0; go-zookeeper returns the first non-zero result as Multi's
	// error. A create before the failure reports no path.
	res, err := c.Multi(
		&zk.CreateRequest{Path: e.p("first"), Data: []byte("1"), Acl: worldAll},
		&zk.SetDataRequest{Path: e.p("existing"), Data: []byte("new"), Version: -1},
		&zk.CheckVersionRequest{Path: e.p("existing"), Version: 7},
		&zk.CreateRequest{Path: e.p("last"), Acl: worldAll},
		&zk.DeleteRequest{Path: e.p("existing"), Version: -1},
	)
	wantErr(t, "multi with a failing check", err, zk.ErrBadVersion)
	if len(res) != 5 || res[0].Error != nil || res[0].String != "" || res[0].Stat != nil ||
		res[1].Error != nil || res[1].Stat != nil || res[2].Error != zk.ErrBadVersion ||
		res[3].Error == nil || res[3].Error.Error() != errRuntimeInconsistency ||
		res[4].Error == nil || res[4].Error.Error() != errRuntimeInconsistency {
		t.Fatalf("results of multi with a failing check: %+v; want [ok ok BadVersion -2 -2] as error results", res)
	}
	children, _, err := c.Children(e.root)
	if err != nil || !reflect.DeepEqual(children, []string{"existing"}) {
		t.Fatalf("children after failed multi = %v, %v; want [existing]", children, err)
	}
	if data, st, err := c.Get(e.p("existing")); err != nil || string(data) != "old" || st.Version != 0 {
		t.Fatalf("node after failed multi = %q, %+v, %v; want \"old\" at version 0", data, st, err)
	}

	// The first op fails: it gets its code, the rest -2.
	res, err = c.Multi(
		&zk.CreateRequest{Path: e.p("existing"), Acl: worldAll},
		&zk.CreateRequest{Path: e.p("other"), Acl: worldAll},
	)
	wantErr(t, "multi whose first op fails", err, zk.ErrNodeExists)
	if len(res) != 2 || res[0].Error != zk.ErrNodeExists || res[1].Error == nil || res[1].Error.Error() != errRuntimeInconsistency {
		t.Fatalf("results of multi whose first op fails: %+v; want [NodeExists -2]", res)
	}

	// The last op fails; ops see the effects of earlier ops of the same
	// multi (the child's parent is created by op 0), and still nothing is
	// applied.
	res, err = c.Multi(
		&zk.CreateRequest{Path: e.p("dir"), Acl: worldAll},
		&zk.CreateRequest{Path: e.p("dir/child"), Acl: worldAll},
		&zk.DeleteRequest{Path: e.p("missing"), Version: -1},
	)
	wantErr(t, "multi whose last op fails", err, zk.ErrNoNode)
	if len(res) != 3 || res[0].Error != nil || res[1].Error != nil || res[2].Error != zk.ErrNoNode {
		t.Fatalf("results of multi whose last op fails: %+v; want [ok ok NoNode]", res)
	}
	if ok, _, _ := c.Exists(e.p("dir")); ok {
		t.Fatalf("%s exists after a failed multi", e.p("dir"))
	}

	// A check of a missing node fails with NoNode; an ephemeral's child
	// with NoChildrenForEphemerals, as outside a multi.
	_, err = c.Multi(&zk.CheckVersionRequest{Path: e.p("missing"), Version: 0})
	wantErr(t, "multi checking a missing node", err, zk.ErrNoNode)
	_, err = c.Multi(
		&zk.CreateRequest{Path: e.p("eph"), Acl: worldAll, Flags: zk.FlagEphemeral},
		&zk.CreateRequest{Path: e.p("eph/child"), Acl: worldAll},
	)
	wantErr(t, "multi creating a child of an ephemeral", err, zk.ErrNoChildrenForEphemerals)
	children, _, _ = c.Children(e.root)
	if !reflect.DeepEqual(children, []string{"existing"}) {
		t.Fatalf("children after failed multis = %v; want [existing]", children)
	}
}

func testMultiSuccess(e *env) {
	t := e.t
	c := e.setup()
	c.mustCreate(e.p("keep"), []byte("k0"), zk.FlagPersistent)
	c.mustCreate(e.p("gone"), nil, zk.FlagPersistent)
	c.mustCreate(e.p("seq"), nil, zk.FlagPersistent)

	// ZooKeeper: one result per op in op order: create → its path (with
	// the sequence suffix), setData → the new stat, check and delete →
	// nothing. All ops are one transaction: they share one zxid.
	res, err := c.Multi(
		&zk.CreateRequest{Path: e.p("new"), Data: []byte("n"), Acl: worldAll},
		&zk.CreateRequest{Path: e.p("seq/s-"), Acl: worldAll, Flags: zk.FlagSequence},
		&zk.SetDataRequest{Path: e.p("keep"), Data: []byte("k1"), Version: 0},
		&zk.CheckVersionRequest{Path: e.p("keep"), Version: 1}, // sees the setData above
		&zk.DeleteRequest{Path: e.p("gone"), Version: 0},
	)
	if err != nil {
		t.Fatalf("multi: %v (results %+v)", err, res)
	}
	if len(res) != 5 || res[0].String != e.p("new") || res[1].String != e.p("seq/s-0000000000") ||
		res[2].Stat == nil || res[2].Stat.Version != 1 || res[2].Stat.DataLength != 2 ||
		res[3].String != "" || res[3].Stat != nil || res[4].String != "" || res[4].Stat != nil {
		t.Fatalf("multi results %+v; want [path, sequential path, stat version 1, -, -]", res)
	}
	for i, r := range res {
		if r.Error != nil {
			t.Fatalf("result %d has error %v", i, r.Error)
		}
	}
	created := c.mustStat(e.p("new"))
	if created.Czxid != res[2].Stat.Mzxid || c.mustStat(e.p("seq")).Pzxid != created.Czxid {
		t.Fatalf("multi ops have different zxids: create %d, setData %d", created.Czxid, res[2].Stat.Mzxid)
	}
	if st := c.mustStat(e.p("keep")); st != *res[2].Stat {
		t.Fatalf("stat %+v differs from the one multi returned %+v", st, *res[2].Stat)
	}
	if ok, _, _ := c.Exists(e.p("gone")); ok {
		t.Fatalf("%s survived the multi's delete", e.p("gone"))
	}
	children, _, _ := c.Children(e.root)
	if want := []string{"keep", "new", "seq"}; !reflect.DeepEqual(sorted(children), want) {
		t.Fatalf("children after multi = %v; want %v", children, want)
	}

	// An empty multi succeeds with no results.
	res, err = c.Multi()
	if err != nil || len(res) != 0 {
		t.Fatalf("empty multi = %+v, %v; want no results", res, err)
	}
}
