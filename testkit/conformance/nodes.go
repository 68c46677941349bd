package conformance

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/go-zookeeper/zk"
)

func testSession(e *env) {
	t := e.t
	a := e.connect()
	b := e.connect()
	if a.SessionID() == b.SessionID() {
		t.Fatalf("two clients got the same session id %#x", a.SessionID())
	}
	if a.State() != zk.StateHasSession {
		t.Fatalf("state %v; want %v", a.State(), zk.StateHasSession)
	}

	// ZooKeeper: the granted timeout is the requested one clamped to
	// [2, 20] × tickTime; the ConnectResponse is protocolVersion 0, timeOut,
	// a non-zero sessionId, a 16-byte password and the readOnly flag (a
	// 37-byte body) when the request carried the readOnly flag.
	tick := int32(e.target.TickTime / time.Millisecond)
	for _, c := range []struct{ ask, want int32 }{
		{1000, 2 * tick},
		{int32(sessionTimeout / time.Millisecond), max(int32(sessionTimeout/time.Millisecond), 2*tick)},
		{3 * tick, 3 * tick},
		{1000 * tick, 20 * tick},
	} {
		h, err := rawHandshake(e.target.Addrs[0], c.ask)
		if err != nil {
			t.Fatalf("handshake asking for %d ms: %v", c.ask, err)
		}
		if h.timeoutMs != c.want || h.protocolVersion != 0 || h.sessionID == 0 || h.passwdLen != 16 || h.frameLen != 37 {
			t.Fatalf("handshake asking for %d ms: got %+v; want timeout %d ms, protocol 0, session id != 0, 16-byte password, 37-byte response",
				c.ask, h, c.want)
		}
	}
}

func testCreate(e *env) {
	t := e.t
	c := e.setup()

	// Persistent node with data: create returns the path, data reads back.
	if got := c.mustCreate(e.p("persistent"), []byte("hello"), zk.FlagPersistent); got != e.p("persistent") {
		t.Fatalf("create returned %q; want %q", got, e.p("persistent"))
	}
	data, st, err := c.Get(e.p("persistent"))
	if err != nil || string(data) != "hello" || st.EphemeralOwner != 0 || st.DataLength != 5 {
		t.Fatalf("get persistent = %q, %+v, %v; want \"hello\", owner 0, length 5", data, st, err)
	}

	// ZooKeeper: a node created with null data (length -1 on the wire)
	// returns null data; one created with empty data returns empty data.
	c.mustCreate(e.p("nulldata"), nil, zk.FlagPersistent)
	if data, st, err := c.Get(e.p("nulldata")); err != nil || data != nil || st.DataLength != 0 {
		t.Fatalf("get node created with null data = %#v, length %d, %v; want nil, 0", data, st.DataLength, err)
	}
	c.mustCreate(e.p("emptydata"), []byte{}, zk.FlagPersistent)
	if data, st, err := c.Get(e.p("emptydata")); err != nil || data == nil || len(data) != 0 || st.DataLength != 0 {
		t.Fatalf("get node created with empty data = %#v, length %d, %v; want []byte{}, 0", data, st.DataLength, err)
	}

	// Ephemeral: owned by the creating session.
	c.mustCreate(e.p("ephemeral"), []byte("e"), zk.FlagEphemeral)
	if st := c.mustStat(e.p("ephemeral")); st.EphemeralOwner != c.SessionID() {
		t.Fatalf("ephemeral owner %#x; want session %#x", st.EphemeralOwner, c.SessionID())
	}

	// Container: created by its own opcode (19), an ordinary node otherwise.
	got, err := c.CreateContainer(e.p("container"), []byte("c"), zk.FlagContainer, worldAll)
	if err != nil || got != e.p("container") {
		t.Fatalf("create container = %q, %v; want %q", got, err, e.p("container"))
	}
	if st := c.mustStat(e.p("container")); st.EphemeralOwner != 0 || st.DataLength != 1 {
		t.Fatalf("container stat %+v; want owner 0, length 1", st)
	}
	c.mustCreate(e.p("container/child"), nil, zk.FlagPersistent)

	// Children of a persistent node, including data-less ones.
	children, _, err := c.Children(e.root)
	want := []string{"container", "emptydata", "ephemeral", "nulldata", "persistent"}
	if err != nil || !reflect.DeepEqual(sorted(children), want) {
		t.Fatalf("children of %s = %v, %v; want %v", e.root, children, err, want)
	}
}

func testCreateErrors(e *env) {
	t := e.t
	c := e.setup()

	c.mustCreate(e.p("a"), nil, zk.FlagPersistent)
	_, err := c.Create(e.p("a"), nil, zk.FlagPersistent, worldAll)
	wantErr(t, "create existing node", err, zk.ErrNodeExists)
	_, err = c.Create(e.p("missing/child"), nil, zk.FlagPersistent, worldAll)
	wantErr(t, "create below missing parent", err, zk.ErrNoNode)
	_, err = c.Create(e.p("missing/child-"), nil, zk.FlagSequence, worldAll)
	wantErr(t, "create sequential below missing parent", err, zk.ErrNoNode)

	c.mustCreate(e.p("eph"), nil, zk.FlagEphemeral)
	_, err = c.Create(e.p("eph/child"), nil, zk.FlagPersistent, worldAll)
	wantErr(t, "create child of ephemeral", err, zk.ErrNoChildrenForEphemerals)
	_, err = c.Create(e.p("eph/child-"), nil, zk.FlagEphemeralSequential, worldAll)
	wantErr(t, "create ephemeral sequential child of ephemeral", err, zk.ErrNoChildrenForEphemerals)

	// ZooKeeper: an empty ACL list is rejected with InvalidACL (-114).
	_, err = c.Create(e.p("noacl"), nil, zk.FlagPersistent, []zk.ACL{})
	wantErr(t, "create with empty ACL", err, zk.ErrInvalidACL)

	// ZooKeeper: the root exists; it cannot be deleted (BadArguments, -8);
	// neither can /zookeeper, which exists on every server.
	_, err = c.Create("/", nil, zk.FlagPersistent, worldAll)
	wantErr(t, "create /", err, zk.ErrNodeExists)
	wantErr(t, "delete /", c.Delete("/", -1), zk.ErrBadArguments)
	_, err = c.Create("/zookeeper", nil, zk.FlagPersistent, worldAll)
	wantErr(t, "create /zookeeper", err, zk.ErrNodeExists)
	wantErr(t, "delete /zookeeper", c.Delete("/zookeeper", -1), zk.ErrBadArguments)

	// go-zookeeper rejects malformed paths itself (nothing reaches the server).
	for _, p := range []string{"", "rel", e.root + "/", e.root + "//x", e.root + "/./x", e.root + "/..", e.root + "/a\x00b"} {
		_, err := c.Create(p, nil, zk.FlagPersistent, worldAll)
		wantErr(t, fmt.Sprintf("client-side check of create %q", p), err, zk.ErrInvalidPath)
	}
	// Multi does not validate paths in the client, so this is what reaches
	// the server. ZooKeeper: a malformed path fails with BadArguments (-8) -
	// but the parent is looked up first, so "<root>//x" (parent "<root>/"
	// missing) fails with NoNode (-101).
	for _, c2 := range []struct {
		path string
		want error
	}{
		{"rel", zk.ErrBadArguments},
		{e.root + "/", zk.ErrBadArguments},
		{e.root + "/.", zk.ErrBadArguments},
		{e.root + "/..", zk.ErrBadArguments},
		{e.root + "/a\x00b", zk.ErrBadArguments},
		{e.root + "//x", zk.ErrNoNode},
	} {
		res, err := c.Multi(&zk.CreateRequest{Path: c2.path, Acl: worldAll})
		wantErr(t, fmt.Sprintf("server-side check of create %q", c2.path), err, c2.want)
		if len(res) != 1 || !errors.Is(res[0].Error, c2.want) {
			t.Fatalf("server-side check of create %q: results %+v; want one result with %v", c2.path, res, c2.want)
		}
	}
	children, _, err := c.Children(e.root)
	if err != nil || !reflect.DeepEqual(sorted(children), []string{"a", "eph"}) {
		t.Fatalf("children after failed creates = %v, %v; want [a eph]", children, err)
	}
}

func testSequential(e *env) {
	t := e.t
	c := e.setup()
	q := e.p("q")
	c.mustCreate(q, nil, zk.FlagPersistent)

	// ZooKeeper: the suffix (%010d) is the number of children ever created
	// below the parent - of any kind, in multis too - not the cversion a
	// client sees. The cversion a client sees counts creates and deletes
	// (ZooKeeper stores the create count and reports 2·creates −
	// numChildren). Failed creates and failed multis count for neither.
	steps := []struct {
		op       string // create, delete, fail (a create that fails), multi (a failing multi)
		name     string
		flags    int32
		want     string // returned name, for creates
		cversion int32  // of the parent afterwards
	}{
		{"create", "s-", zk.FlagSequence, "s-0000000000", 1},
		{"create", "s-", zk.FlagSequence, "s-0000000001", 2},
		{"create", "plain", zk.FlagPersistent, "plain", 3},
		{"create", "e-", zk.FlagEphemeralSequential, "e-0000000003", 4},
		{"delete", "plain", 0, "", 5},
		{"create", "s-", zk.FlagSequence, "s-0000000004", 6},
		{"delete", "s-0000000000", 0, "", 7},
		{"delete", "s-0000000001", 0, "", 8},
		{"fail", "e-0000000003", zk.FlagPersistent, "", 8},
		{"multi", "m-", zk.FlagSequence, "", 8},
		{"create", "s-", zk.FlagSequence, "s-0000000005", 9},
		{"create", "", zk.FlagSequence, "0000000006", 10}, // "<parent>/" is a valid path with the sequence flag
	}
	for _, s := range steps {
		switch s.op {
		case "create":
			got, err := c.Create(q+"/"+s.name, nil, s.flags, worldAll)
			if err != nil || got != q+"/"+s.want {
				t.Fatalf("create %q (flags %d) = %q, %v; want %q", s.name, s.flags, got, err, q+"/"+s.want)
			}
		case "delete":
			if err := c.Delete(q+"/"+s.name, -1); err != nil {
				t.Fatalf("delete %s: %v", s.name, err)
			}
		case "fail":
			_, err := c.Create(q+"/"+s.name, nil, s.flags, worldAll)
			wantErr(t, "create of an existing child", err, zk.ErrNodeExists)
		case "multi":
			_, err := c.Multi(
				&zk.CreateRequest{Path: q + "/" + s.name, Acl: worldAll, Flags: s.flags},
				&zk.CheckVersionRequest{Path: q, Version: 99})
			wantErr(t, "multi with a sequential create and a failing check", err, zk.ErrBadVersion)
		}
		if st := c.mustStat(q); st.Cversion != s.cversion {
			t.Fatalf("after %s %q: parent cversion %d; want %d", s.op, s.name, st.Cversion, s.cversion)
		}
	}
	if st := c.mustStat(q + "/e-0000000003"); st.EphemeralOwner != c.SessionID() {
		t.Fatalf("ephemeral sequential owner %#x; want %#x", st.EphemeralOwner, c.SessionID())
	}

	// Sequential creates inside one multi number consecutively and see the
	// multi's own earlier creates and deletes.
	res, err := c.Multi(
		&zk.CreateRequest{Path: q + "/m-", Acl: worldAll, Flags: zk.FlagSequence},
		&zk.CreateRequest{Path: q + "/m-", Acl: worldAll, Flags: zk.FlagSequence},
		&zk.DeleteRequest{Path: q + "/m-0000000007", Version: -1},
		&zk.CreateRequest{Path: q + "/m-", Acl: worldAll, Flags: zk.FlagSequence},
	)
	if err != nil || len(res) != 4 || res[0].String != q+"/m-0000000007" || res[1].String != q+"/m-0000000008" ||
		res[3].String != q+"/m-0000000009" {
		t.Fatalf("multi of sequential creates = %+v, %v; want m-0000000007, m-0000000008, -, m-0000000009", res, err)
	}
	children, st, err := c.Children(q)
	want := []string{"0000000006", "e-0000000003", "m-0000000008", "m-0000000009", "s-0000000004", "s-0000000005"}
	if err != nil || !reflect.DeepEqual(sorted(children), want) || st.Cversion != 14 {
		t.Fatalf("children = %v, %+v, %v; want %v and cversion 14", children, st, err, want)
	}
}

func testStat(e *env) {
	t := e.t
	c := e.setup()
	plausible := func(what string, ms int64) {
		t.Helper()
		if d := time.Since(time.UnixMilli(ms)); d < -time.Minute || d > time.Minute {
			t.Fatalf("%s %d (%s) is not within a minute of now", what, ms, time.UnixMilli(ms))
		}
	}

	c.mustCreate(e.p("n"), []byte("abc"), zk.FlagPersistent)
	st0 := c.mustStat(e.p("n"))
	// ZooKeeper: at create czxid == mzxid == pzxid, ctime == mtime, all
	// versions 0, owner 0 for a persistent node.
	if st0.Czxid == 0 || st0.Czxid != st0.Mzxid || st0.Pzxid != st0.Czxid || st0.Ctime != st0.Mtime ||
		st0.Version != 0 || st0.Cversion != 0 || st0.Aversion != 0 || st0.EphemeralOwner != 0 ||
		st0.DataLength != 3 || st0.NumChildren != 0 {
		t.Fatalf("stat after create: %+v", st0)
	}
	plausible("ctime", st0.Ctime)
	if _, st, _ := c.Get(e.p("n")); *st != st0 {
		t.Fatalf("getData stat %+v differs from exists stat %+v", *st, st0)
	}

	// setData: mzxid and version move, nothing about children does; the
	// stat setData returns is the node's new stat.
	st1 := c.mustSet(e.p("n"), []byte("abcdef"), 0)
	if st1.Czxid != st0.Czxid || st1.Mzxid <= st0.Mzxid || st1.Pzxid != st0.Pzxid || st1.Ctime != st0.Ctime ||
		st1.Mtime < st0.Mtime || st1.Version != 1 || st1.Cversion != 0 || st1.Aversion != 0 || st1.DataLength != 6 {
		t.Fatalf("stat after setData: %+v (before %+v)", st1, st0)
	}
	plausible("mtime", st1.Mtime)
	if st := c.mustStat(e.p("n")); st != st1 {
		t.Fatalf("stat %+v differs from the one setData returned %+v", st, st1)
	}

	// Child create: cversion and numChildren move; pzxid is the child's
	// czxid; mzxid, version and mtime do not move.
	c.mustCreate(e.p("n/child"), nil, zk.FlagPersistent)
	child := c.mustStat(e.p("n/child"))
	st2 := c.mustStat(e.p("n"))
	if st2.Cversion != 1 || st2.NumChildren != 1 || st2.Pzxid != child.Czxid || st2.Mzxid != st1.Mzxid ||
		st2.Version != 1 || st2.Mtime != st1.Mtime || child.Czxid <= st1.Mzxid {
		t.Fatalf("parent stat after child create: %+v (child %+v)", st2, child)
	}

	// Child delete: cversion moves again, pzxid becomes the delete's zxid.
	if err := c.Delete(e.p("n/child"), 0); err != nil {
		t.Fatalf("delete child: %v", err)
	}
	st3 := c.mustStat(e.p("n"))
	c.mustCreate(e.p("later"), nil, zk.FlagPersistent)
	later := c.mustStat(e.p("later"))
	if st3.Cversion != 2 || st3.NumChildren != 0 || st3.Pzxid <= st2.Pzxid || st3.Pzxid >= later.Czxid ||
		st3.Mzxid != st1.Mzxid || st3.Version != 1 {
		t.Fatalf("parent stat after child delete: %+v (before %+v, next zxid %d)", st3, st2, later.Czxid)
	}

	// Ephemeral: owner is the session id.
	c.mustCreate(e.p("eph"), nil, zk.FlagEphemeral)
	if st := c.mustStat(e.p("eph")); st.EphemeralOwner != c.SessionID() || st.Czxid != st.Mzxid {
		t.Fatalf("ephemeral stat %+v; want owner %#x", st, c.SessionID())
	}
}

func testData(e *env) {
	t := e.t
	c := e.setup()
	c.mustCreate(e.p("d"), []byte("v0"), zk.FlagPersistent)

	c.mustSet(e.p("d"), []byte("v1"), 0)
	_, err := c.Set(e.p("d"), []byte("stale"), 0)
	wantErr(t, "setData with stale version", err, zk.ErrBadVersion)
	_, err = c.Set(e.p("d"), []byte("future"), 5)
	wantErr(t, "setData with future version", err, zk.ErrBadVersion)
	if st := c.mustSet(e.p("d"), []byte("v2"), -1); st.Version != 2 {
		t.Fatalf("setData with version -1: version %d; want 2", st.Version)
	}
	// ZooKeeper: the data version counts setData calls, even ones that
	// write the same bytes.
	if st := c.mustSet(e.p("d"), []byte("v2"), 2); st.Version != 3 {
		t.Fatalf("setData of identical data: version %d; want 3", st.Version)
	}
	if data, st, err := c.Get(e.p("d")); err != nil || string(data) != "v2" || st.Version != 3 {
		t.Fatalf("get = %q, %+v, %v; want \"v2\" version 3", data, st, err)
	}

	_, _, err = c.Get(e.p("missing"))
	wantErr(t, "getData of missing node", err, zk.ErrNoNode)
	_, err = c.Set(e.p("missing"), nil, -1)
	wantErr(t, "setData of missing node", err, zk.ErrNoNode)
	// exists on a missing node is not an error: false and (in go-zookeeper)
	// an all-zero stat.
	ok, st, err := c.Exists(e.p("missing"))
	if err != nil || ok || (st != nil && *st != zk.Stat{}) {
		t.Fatalf("exists of missing node = %v, %+v, %v; want false, zero stat, nil", ok, st, err)
	}
}

func testDelete(e *env) {
	t := e.t
	c := e.setup()
	c.mustCreate(e.p("leaf"), nil, zk.FlagPersistent)
	c.mustSet(e.p("leaf"), []byte("x"), 0)

	wantErr(t, "delete with wrong version", c.Delete(e.p("leaf"), 0), zk.ErrBadVersion)
	if err := c.Delete(e.p("leaf"), 1); err != nil {
		t.Fatalf("delete with the right version: %v", err)
	}
	wantErr(t, "delete of missing node", c.Delete(e.p("leaf"), -1), zk.ErrNoNode)

	c.mustCreate(e.p("parent"), nil, zk.FlagPersistent)
	c.mustCreate(e.p("parent/child"), nil, zk.FlagPersistent)
	wantErr(t, "delete of node with children", c.Delete(e.p("parent"), -1), zk.ErrNotEmpty)
	// ZooKeeper: the version is checked before emptiness.
	wantErr(t, "delete of node with children and wrong version", c.Delete(e.p("parent"), 7), zk.ErrBadVersion)
	if err := c.Delete(e.p("parent/child"), -1); err != nil {
		t.Fatalf("delete child: %v", err)
	}
	if err := c.Delete(e.p("parent"), 0); err != nil {
		t.Fatalf("delete emptied parent: %v", err)
	}
	if ok, _, err := c.Exists(e.p("parent")); ok || err != nil {
		t.Fatalf("exists after delete = %v, %v; want false", ok, err)
	}
}

func testChildren(e *env) {
	t := e.t
	c := e.setup()
	c.mustCreate(e.p("dir"), nil, zk.FlagPersistent)
	children, st, err := c.Children(e.p("dir"))
	if err != nil || len(children) != 0 || st.NumChildren != 0 {
		t.Fatalf("children of empty node = %v, %+v, %v; want none", children, st, err)
	}
	want := []string{"a", "b", "c-0000000002", "z"}
	c.mustCreate(e.p("dir/z"), nil, zk.FlagPersistent)
	c.mustCreate(e.p("dir/a"), nil, zk.FlagEphemeral)
	c.mustCreate(e.p("dir/c-"), nil, zk.FlagSequence)
	c.mustCreate(e.p("dir/b"), []byte("data"), zk.FlagPersistent)
	c.mustCreate(e.p("dir/b/grandchild"), nil, zk.FlagPersistent)
	children, st, err = c.Children(e.p("dir"))
	// ZooKeeper returns children in no particular order (a hash set).
	if err != nil || !reflect.DeepEqual(sorted(children), want) {
		t.Fatalf("children = %v, %v; want (any order) %v", children, err, want)
	}
	if st.NumChildren != 4 || st.Cversion != 4 {
		t.Fatalf("getChildren2 stat %+v; want numChildren 4, cversion 4", st)
	}
	_, _, err = c.Children(e.p("missing"))
	wantErr(t, "children of missing node", err, zk.ErrNoNode)
}

func testACL(e *env) {
	t := e.t
	c := e.setup()
	c.mustCreate(e.p("n"), []byte("x"), zk.FlagPersistent)

	acl, st, err := c.GetACL(e.p("n"))
	want := []zk.ACL{{Perms: 31, Scheme: "world", ID: "anyone"}}
	if err != nil || !reflect.DeepEqual(acl, want) || st.Aversion != 0 {
		t.Fatalf("getACL = %+v, %+v, %v; want %+v, aversion 0", acl, st, err, want)
	}
	_, err = c.SetACL(e.p("n"), zk.WorldACL(zk.PermRead), 3)
	wantErr(t, "setACL with wrong version", err, zk.ErrBadVersion)

	newACL := zk.WorldACL(zk.PermRead | zk.PermCreate | zk.PermDelete)
	st2, err := c.SetACL(e.p("n"), newACL, 0)
	if err != nil || st2.Aversion != 1 || st2.Version != 0 || st2.Mzxid != st.Mzxid {
		t.Fatalf("setACL = %+v, %v; want aversion 1 and data untouched", st2, err)
	}
	acl, st, err = c.GetACL(e.p("n"))
	want = []zk.ACL{{Perms: zk.PermRead | zk.PermCreate | zk.PermDelete, Scheme: "world", ID: "anyone"}}
	if err != nil || !reflect.DeepEqual(acl, want) || st.Aversion != 1 {
		t.Fatalf("getACL after setACL = %+v, %+v, %v; want %+v, aversion 1", acl, st, err, want)
	}
	// ZooKeeper enforces the ACL, and checks it before the version.
	_, err = c.Set(e.p("n"), []byte("y"), -1)
	wantErr(t, "setData without WRITE permission", err, zk.ErrNoAuth)
	_, err = c.Set(e.p("n"), []byte("y"), 42)
	wantErr(t, "setData without WRITE permission and wrong version", err, zk.ErrNoAuth)
	if data, _, err := c.Get(e.p("n")); err != nil || string(data) != "x" {
		t.Fatalf("get with READ permission = %q, %v", data, err)
	}
	_, _, err = c.GetACL(e.p("missing"))
	wantErr(t, "getACL of missing node", err, zk.ErrNoNode)
}

func testSync(e *env) {
	t := e.t
	c := e.setup()
	c.mustCreate(e.p("s"), nil, zk.FlagPersistent)
	for _, p := range []string{e.p("s"), "/", e.p("missing")} {
		// ZooKeeper: sync answers with the path it was given, even for a
		// node that does not exist.
		got, err := c.Sync(p)
		if err != nil || got != p {
			t.Fatalf("sync %s = %q, %v; want %q", p, got, err, p)
		}
	}
}

// maxFrame is ZooKeeper's default jute.maxbuffer (0xfffff): the largest
// request frame (the length prefix's value) the server accepts.
const maxFrame = 1<<20 - 1

func testLargeData(e *env) {
	t := e.t
	c := e.setup()
	p := e.p("big")
	c.mustCreate(p, nil, zk.FlagPersistent)

	// A setData frame is: xid 4 + type 4 + path (4 + len) + data (4 + len)
	// + version 4 bytes.
	fits := maxFrame - (4 + 4 + 4 + len(p) + 4 + 4)
	data := bytes.Repeat([]byte("z"), fits)
	st := c.mustSet(p, data, -1)
	if st.DataLength != int32(fits) {
		t.Fatalf("dataLength %d; want %d", st.DataLength, fits)
	}
	// The reply (header + data + stat) is larger than maxFrame: ZooKeeper
	// limits what it reads, not what it writes.
	got, _, err := c.Get(p)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("get of %d-byte value: %d bytes, %v", fits, len(got), err)
	}

	// ZooKeeper: a frame over jute.maxbuffer gets no error reply: the
	// server logs "Len error" and closes the connection. The session
	// survives; go-zookeeper reconnects to it and reports
	// ErrConnectionClosed for the request. Nothing is written.
	session := c.SessionID()
	for _, size := range []int{fits + 1, 1 << 20, 1<<20 + 1} {
		mark := c.rec.mark()
		_, err := c.Set(p, bytes.Repeat([]byte("y"), size), -1)
		wantErr(t, fmt.Sprintf("setData of %d bytes (frame %d)", size, size+maxFrame-fits), err, zk.ErrConnectionClosed)
		c.waitState(mark, zk.StateHasSession)
		if c.SessionID() != session {
			t.Fatalf("session changed from %#x to %#x after the oversized request", session, c.SessionID())
		}
	}
	if _, st, err := c.Get(p); err != nil || st.DataLength != int32(fits) || st.Version != 1 {
		t.Fatalf("after oversized writes: %+v, %v; want the %d-byte value at version 1", st, err, fits)
	}
}
