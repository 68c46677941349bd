package tree

import (
	"errors"
	"reflect"
	"sort"
	"testing"

	zk "github.com/sluicelogs/sluice/coordinator/zkproto"
)

// clock hands out increasing Txns for one session.
type clock struct{ zxid int64 }

func (c *clock) tx(session int64) Txn {
	c.zxid++
	return Txn{Zxid: c.zxid, Time: 1000 + c.zxid, Session: session}
}

func mustCreate(t *testing.T, tr *Tree, c *clock, path string, mode zk.CreateMode, session int64) string {
	t.Helper()
	p, _, _, err := tr.Create(c.tx(session), CreateArgs{Path: path, Data: []byte("d"), ACL: OpenACL(), Mode: mode})
	if err != nil {
		t.Fatalf("create %s: %v", path, err)
	}
	return p
}

func TestCreateDeleteStats(t *testing.T) {
	tr, c := New(), &clock{}
	if kids, _, _ := tr.Children("/"); !reflect.DeepEqual(kids, []string{"zookeeper"}) {
		t.Fatalf("children of / in a new tree = %v", kids)
	}
	tx := c.tx(0)
	p, st, ev, err := tr.Create(tx, CreateArgs{Path: "/magedu", Data: []byte("hi"), ACL: OpenACL()})
	if err != nil || p != "/magedu" {
		t.Fatal(p, err)
	}
	want := zk.Stat{Czxid: tx.Zxid, Mzxid: tx.Zxid, Pzxid: tx.Zxid, Ctime: tx.Time, Mtime: tx.Time, DataLength: 2}
	if st != want {
		t.Fatalf("stat = %+v, want %+v", st, want)
	}
	if !reflect.DeepEqual(ev, []Event{{zk.EventNodeCreated, "/magedu", OpenACL()}, {zk.EventNodeChildrenChanged, "/", OpenACL()}}) {
		t.Fatalf("events = %v", ev)
	}
	mustCreate(t, tr, c, "/magedu/linux", zk.ModePersistent, 0)
	_, parent, _ := tr.Children("/magedu")
	if parent.NumChildren != 1 || parent.Cversion != 1 || parent.Pzxid != c.zxid {
		t.Fatalf("parent stat after create = %+v", parent)
	}

	for _, tc := range []struct {
		path string
		want error
	}{
		{"/magedu", zk.ErrNodeExists},
		{"/nope/child", zk.ErrNoNode},
		{"relative", zk.ErrBadArguments},
		{"/magedu/", zk.ErrBadArguments},
		{"/magedu//b", zk.ErrNoNode}, // ZooKeeper looks the parent ("/magedu/") up first
		{"/magedu/.", zk.ErrBadArguments},
		{"/", zk.ErrNodeExists},
	} {
		if _, _, _, err := tr.Create(c.tx(0), CreateArgs{Path: tc.path, ACL: OpenACL()}); !errors.Is(err, tc.want) {
			t.Errorf("create %q: %v, want %v", tc.path, err, tc.want)
		}
	}
	if _, _, _, err := tr.Create(c.tx(0), CreateArgs{Path: "/noacl"}); !errors.Is(err, zk.ErrInvalidACL) {
		t.Errorf("create without ACL: %v", err)
	}

	if _, err := tr.Delete(c.tx(0), "/magedu", -1); !errors.Is(err, zk.ErrNotEmpty) {
		t.Fatalf("delete non-empty: %v", err)
	}
	if _, err := tr.Delete(c.tx(0), "/magedu/linux", 3); !errors.Is(err, zk.ErrBadVersion) {
		t.Fatalf("delete bad version: %v", err)
	}
	if _, err := tr.Delete(c.tx(0), "/magedu/linux", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Exists("/magedu/linux"); !errors.Is(err, zk.ErrNoNode) {
		t.Fatalf("exists after delete: %v", err)
	}
	_, parent, _ = tr.Children("/magedu")
	if parent.NumChildren != 0 || parent.Cversion != 2 {
		t.Fatalf("parent stat after delete = %+v", parent)
	}
	if _, err := tr.Delete(c.tx(0), "/zookeeper", -1); !errors.Is(err, zk.ErrBadArguments) {
		t.Fatalf("delete /zookeeper: %v", err)
	}
}

func TestSetDataVersions(t *testing.T) {
	tr, c := New(), &clock{}
	mustCreate(t, tr, c, "/n", zk.ModePersistent, 0)
	st, ev, err := tr.SetData(c.tx(0), "/n", []byte("120"), 0)
	if err != nil || st.Version != 1 || st.DataLength != 3 || st.Mzxid != c.zxid || st.Czxid == st.Mzxid {
		t.Fatalf("setData: %+v %v", st, err)
	}
	if !reflect.DeepEqual(ev, []Event{{zk.EventNodeDataChanged, "/n", OpenACL()}}) {
		t.Fatalf("events = %v", ev)
	}
	if _, _, err := tr.SetData(c.tx(0), "/n", nil, 0); !errors.Is(err, zk.ErrBadVersion) {
		t.Fatalf("stale version: %v", err)
	}
	if data, _, _ := tr.Get("/n"); string(data) != "120" {
		t.Fatalf("data = %q", data)
	}
	st, err = tr.SetACL(c.tx(0), "/n", []zk.ACL{{Perms: zk.PermRead, ID: zk.ID{Scheme: "world", ID: "anyone"}}}, 0)
	if err != nil || st.Aversion != 1 {
		t.Fatalf("setACL: %+v %v", st, err)
	}
}

func TestSequentialAndEphemeral(t *testing.T) {
	tr, c := New(), &clock{}
	mustCreate(t, tr, c, "/q", zk.ModePersistent, 0)
	if err := tr.CreateSession(c.tx(7), 10000); err != nil {
		t.Fatal(err)
	}
	a := mustCreate(t, tr, c, "/q/item-", zk.ModeEphemeralSequential, 7)
	b := mustCreate(t, tr, c, "/q/item-", zk.ModePersistentSequential, 0)
	if a != "/q/item-0000000000" || b != "/q/item-0000000001" {
		t.Fatalf("sequential names %s %s", a, b)
	}
	if _, _, _, err := tr.Create(c.tx(7), CreateArgs{Path: a + "/child", ACL: OpenACL()}); !errors.Is(err, zk.ErrNoChildrenForEphemerals) {
		t.Fatalf("child of ephemeral: %v", err)
	}
	if _, _, _, err := tr.Create(c.tx(99), CreateArgs{Path: "/e", ACL: OpenACL(), Mode: zk.ModeEphemeral}); !errors.Is(err, zk.ErrSessionExpired) {
		t.Fatalf("ephemeral of unknown session: %v", err)
	}
	if got := tr.Ephemerals(7, "/"); !reflect.DeepEqual(got, []string{a}) {
		t.Fatalf("ephemerals = %v", got)
	}
	ev, err := tr.CloseSession(c.tx(7))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ev, []Event{{zk.EventNodeDeleted, a, OpenACL()}, {zk.EventNodeChildrenChanged, "/q", OpenACL()}}) {
		t.Fatalf("close events = %v", ev)
	}
	if kids, _, _ := tr.Children("/q"); !reflect.DeepEqual(kids, []string{"item-0000000001"}) {
		t.Fatalf("children after close = %v", kids)
	}
	if _, ok := tr.Session(7); ok {
		t.Fatal("session still live after close")
	}
}

func TestMultiIsAtomic(t *testing.T) {
	tr, c := New(), &clock{}
	mustCreate(t, tr, c, "/m", zk.ModePersistent, 0)
	before := frozenByPath(tr)
	ops := []zk.MultiOp{
		&zk.CreateRequest{Path: "/m/a", ACL: OpenACL()},
		&zk.SetDataRequest{Path: "/m", Data: []byte("x"), Version: 0},
		&zk.CheckVersionRequest{Path: "/m", Version: 0}, // fails: setData made it 1
		&zk.DeleteRequest{Path: "/m/a", Version: -1},
	}
	res, ev, err := tr.Multi(c.tx(0), ops)
	if !errors.Is(err, zk.ErrBadVersion) || ev != nil {
		t.Fatalf("multi: %v %v", err, ev)
	}
	wantErrs := []zk.Err{zk.ErrOK, zk.ErrOK, zk.ErrBadVersion, zk.ErrRuntimeInconsistency}
	for i, r := range res {
		if r.Type != zk.OpError || r.Err != wantErrs[i] {
			t.Fatalf("result %d = %+v, want error %v", i, r, wantErrs[i])
		}
	}
	after := frozenByPath(tr)
	// Only the zxid differs: nothing of the failed multi is left.
	before.zxid = after.zxid
	if !reflect.DeepEqual(before, after) {
		t.Fatal("failed multi changed the tree")
	}

	ops[2] = &zk.CheckVersionRequest{Path: "/m", Version: 1}
	res, ev, err = tr.Multi(c.tx(0), ops)
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Type != zk.OpCreate || res[0].Path != "/m/a" || res[1].Stat.Version != 1 || res[3].Type != zk.OpDelete {
		t.Fatalf("results = %+v", res)
	}
	if len(ev) != 5 {
		t.Fatalf("events = %v", ev)
	}
}

func TestSnapshotRoundTrip(t *testing.T) {
	tr, c := New(), &clock{}
	if err := tr.CreateSession(c.tx(5), 4000); err != nil {
		t.Fatal(err)
	}
	mustCreate(t, tr, c, "/a", zk.ModePersistent, 0)
	mustCreate(t, tr, c, "/a/b", zk.ModePersistent, 0)
	mustCreate(t, tr, c, "/a/e", zk.ModeEphemeral, 5)
	mustCreate(t, tr, c, "/c", zk.ModeContainer, 0)
	snap := tr.Snapshot()
	other := New()
	if err := other.Restore(snap); err != nil {
		t.Fatal(err)
	}
	if a, b := frozenByPath(tr), frozenByPath(other); !reflect.DeepEqual(a, b) {
		t.Fatalf("restored tree differs:\n%+v\n%+v", a, b)
	}
	if got := other.Ephemerals(5, "/a"); !reflect.DeepEqual(got, []string{"/a/e"}) {
		t.Fatalf("restored ephemerals = %v", got)
	}
	if other.LastZxid() != c.zxid {
		t.Fatalf("restored zxid %d, want %d", other.LastZxid(), c.zxid)
	}
	for cut := 0; cut < len(snap); cut += 7 {
		if err := New().Restore(snap[:cut]); err == nil {
			t.Fatalf("restore of %d of %d bytes succeeded", cut, len(snap))
		}
	}
}

func TestContainersAndTTL(t *testing.T) {
	tr, c := New(), &clock{}
	mustCreate(t, tr, c, "/c", zk.ModeContainer, 0)
	if got := tr.Removable(0); len(got) != 0 {
		t.Fatalf("a container that never had a child is removable: %v", got)
	}
	mustCreate(t, tr, c, "/c/x", zk.ModePersistent, 0)
	if _, err := tr.Delete(c.tx(0), "/c/x", -1); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := tr.Create(c.tx(0), CreateArgs{Path: "/t", ACL: OpenACL(), Mode: zk.ModePersistentWithTTL, TTL: 100}); err != nil {
		t.Fatal(err)
	}
	_, st, _ := tr.Get("/t")
	if got := tr.Removable(st.Mtime + 50); !reflect.DeepEqual(got, []string{"/c"}) {
		t.Fatalf("removable before the TTL = %v", got)
	}
	if got := tr.Removable(st.Mtime + 101); !reflect.DeepEqual(got, []string{"/c", "/t"}) {
		t.Fatalf("removable after the TTL = %v", got)
	}
}

func TestZxidMustGrow(t *testing.T) {
	tr := New()
	if _, _, _, err := tr.Create(Txn{Zxid: 5}, CreateArgs{Path: "/a", ACL: OpenACL()}); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := tr.Create(Txn{Zxid: 5}, CreateArgs{Path: "/b", ACL: OpenACL()}); err == nil {
		t.Fatal("a repeated zxid was applied")
	}
}

// frozenByPath is t's frozen state with its nodes in path order, to compare
// (a snapshot's order within a depth is the map's).
func frozenByPath(t *Tree) *Frozen {
	f := t.Freeze()
	sort.Slice(f.nodes, func(i, j int) bool { return f.nodes[i].path < f.nodes[j].path })
	return f
}
