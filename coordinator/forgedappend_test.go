package coordinator_test

import (
	"errors"
	"fmt"
	"net"
	"reflect"
	"syscall"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	pb "go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"

	"github.com/sluicelogs/sluice/coordinator"
	"github.com/sluicelogs/sluice/coordinator/zkproto"
	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/testkit/promtest"
)

// TestForgedAppendFails replays the forged-append attack on the peer port
// into a running ensemble whose members are at 127.0.0.1, .2 and .3:
// a well-formed Raft append, claiming leadership at term 1000, whose two
// entries (as super, past any ACL) overwrite a znode guarded by a digest
// ACL and open its ACL to anyone, sent to member 1 from 127.0.0.9 (no
// server.N host) claiming member 2, and from member 2's address claiming
// member 3. Both connections are refused and counted; the znode's data
// and ACL are unchanged on every member, and member 1 still follows the
// leader it had, at the term it had.
func TestForgedAppendFails(t *testing.T) {
	e := startEnsemble(t, 3, 0, 200*time.Millisecond, func(c *coordinator.Config) {
		for id, m := range c.Servers {
			m.Host = fmt.Sprintf("127.0.0.%d", id)
			c.Servers[id] = m
		}
	})
	e.leader()
	alice := connect(t, e.members[1].Addr())
	if err := alice.AddAuth("digest", []byte("alice:secret")); err != nil {
		t.Fatal(err)
	}
	acl := zk.DigestACL(zk.PermAll, "alice", "secret")
	if _, err := alice.Create("/secret", []byte("alice's"), 0, acl); err != nil {
		t.Fatal(err)
	}
	// Every member has applied the create, and the ensemble is quiet:
	// member 1's commit index is its last entry, which the forged append
	// follows on (a follower appends only after an entry it has).
	await.Eventually(t, 30*time.Second, 20*time.Millisecond, func() error {
		_, commit1, _ := e.members[1].Server.RaftState()
		for id, m := range e.members {
			if _, commit, lead := m.Server.RaftState(); commit != commit1 || lead == 0 {
				return fmt.Errorf("member %d: commit %d, leader %d; member 1 commit %d", id, commit, lead, commit1)
			}
		}
		return nil
	})
	term, commit, lead := e.members[1].Server.RaftState()

	super := []zkproto.ID{{Scheme: "super", ID: "forger"}}
	forged := []*pb.Entry{
		{Term: proto.Uint64(1000), Index: proto.Uint64(commit + 1), Type: pb.EntryNormal.Enum(),
			Data: coordinator.WriteEntry(0, super, &zkproto.SetDataRequest{Path: "/secret", Data: []byte("forged"), Version: -1})},
		{Term: proto.Uint64(1000), Index: proto.Uint64(commit + 2), Type: pb.EntryNormal.Enum(),
			Data: coordinator.WriteEntry(0, super, &zkproto.SetACLRequest{Path: "/secret", ACL: []zkproto.ACL{{Perms: zkproto.PermAll, ID: zkproto.ID{Scheme: "world", ID: "anyone"}}}, Version: -1})},
	}
	peerAddr := e.cfgs[1].Servers[1].PeerAddr()
	for _, a := range []struct {
		from  string
		claim uint64
	}{{"127.0.0.9", 2}, {"127.0.0.2", 3}} {
		b, err := coordinator.PeerHello(a.claim, &pb.Message{
			Type: pb.MsgApp.Enum(), From: proto.Uint64(a.claim), To: proto.Uint64(1), Term: proto.Uint64(1000),
			LogTerm: proto.Uint64(term), Index: proto.Uint64(commit), Entries: forged, Commit: proto.Uint64(commit + 2),
		})
		if err != nil {
			t.Fatal(err)
		}
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(a.from)}, Timeout: 5 * time.Second}
		c, err := d.Dial("tcp", peerAddr)
		if errors.Is(err, syscall.ECONNRESET) { // refused at accept with a reset, seen by the dial
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		_, _ = c.Write(b) // may fail: refused at accept
		_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
		if n, err := c.Read(make([]byte, 1)); err == nil || isTimeout(err) {
			t.Fatalf("from %s claiming member %d: read %d bytes, %v; want the connection closed", a.from, a.claim, n, err)
		}
		c.Close()
	}

	metrics := promtest.Of(e.members[1].Server.Collectors()...)
	for _, reason := range []string{"address", "member"} {
		if got := promtest.Value(t, metrics, "sluice_coordinator_peer_connections_refused_total", "reason", reason); got != 1 {
			t.Errorf("sluice_coordinator_peer_connections_refused_total{reason=%q} = %v, want 1", reason, got)
		}
	}
	// Had member 1 taken the append, it would now follow member 2 or 3 at
	// term 1000 and have applied the entries within a Raft tick or two:
	// give it many.
	time.Sleep(20 * e.tick)
	if nowTerm, _, nowLead := e.members[1].Server.RaftState(); nowTerm != term || nowLead != lead {
		t.Errorf("member 1 after the forged appends: term %d, leader %d; want term %d, leader %d", nowTerm, nowLead, term, lead)
	}
	want := []zkproto.ACL{{Perms: zkproto.PermAll, ID: zkproto.ID{Scheme: acl[0].Scheme, ID: acl[0].ID}}}
	for id, m := range e.members {
		data, got, err := m.Server.Znode("/secret")
		if err != nil || string(data) != "alice's" || !reflect.DeepEqual(got, want) {
			t.Errorf("member %d: /secret = %q with ACL %+v, %v; want %q with ACL %+v", id, data, got, err, "alice's", want)
		}
	}
	// And as a client sees it.
	c := connect(t, e.members[1].Addr())
	if data, _, err := c.Get("/secret"); err == nil || string(data) == "forged" {
		t.Errorf("an unauthenticated client read /secret: %q, %v; want NOAUTH", data, err)
	}
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}
