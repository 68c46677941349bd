package coordinator_test

import (
	"fmt"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/sluicelogs/sluice/coordinator"
	zp "github.com/sluicelogs/sluice/coordinator/zkproto"
	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/testkit/promtest"
	"github.com/sluicelogs/sluice/testkit/testcluster"
)

// TestIdleSessionCostsLittle: a connection that holds a session open and
// sends nothing (sluice-bench attack's zk-many-addrs: maxCnxns of them)
// keeps little of the member's heap once its replies are written: its
// write buffer goes back to the pool and its queue of calls is as large
// as what waits in it. With a 64 KiB writer and a 4,096-slot channel
// (32 KiB of pointers, scanned by every collection) per connection, 300
// of them made the collector run without pause under GOMEMLIMIT, and the
// member's CPU went from 58 to 65 % with the normal client's p99 tripled.
func TestIdleSessionCostsLittle(t *testing.T) {
	const (
		conns = 100
		most  = 24 << 10 // the heap an idle session's connection may keep (bench/attack's zkConnBytes counts on it)
	)
	// A 2s tick: sessions of up to 40s, so none expires while the others open.
	m := testcluster.StartCoordinator(t, t.TempDir(), 2*time.Second, func(c *coordinator.Config) { c.MaxClientCnxns = 0 })
	metrics := promtest.Of(m.Server.Collectors()...)
	live := func() int64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return int64(ms.HeapAlloc)
	}
	// One session first, so that what the member makes once (pools, the
	// first reply buffers) is not counted for the others.
	open := func(i int) error {
		nc, err := net.DialTimeout("tcp", m.Addr(), 10*time.Second)
		if err != nil {
			return err
		}
		t.Cleanup(func() { nc.Close() })
		_ = nc.SetDeadline(time.Now().Add(time.Minute))
		enc := zp.NewEncoder(nil)
		at := enc.BeginPacket()
		(&zp.ConnectRequest{TimeOut: 30000, Passwd: make([]byte, 16)}).Encode(enc)
		enc.EndPacket(at)
		// A write: its call goes through the connection's queue to answer.
		at = enc.BeginPacket()
		(&zp.RequestHeader{Xid: 1, Type: zp.OpCreate}).Encode(enc)
		(&zp.CreateRequest{Path: fmt.Sprintf("/idle-%d", i), Data: make([]byte, 100), ACL: []zp.ACL{{Perms: zp.PermAll, ID: zp.ID{Scheme: "world", ID: "anyone"}}}, Flags: 1}).Encode(enc)
		enc.EndPacket(at)
		if _, err := nc.Write(enc.Bytes()); err != nil {
			return err
		}
		for k := range 2 { // the connect reply, the create's
			if _, err := zp.ReadPacket(nc, nil, 1<<20); err != nil {
				return fmt.Errorf("session %d, reply %d: %w", i, k, err)
			}
		}
		return nil
	}
	// Refused (closed) until the member has elected itself.
	await.Eventually(t, time.Minute, 50*time.Millisecond, func() error { return open(-1) })
	base := live()
	for i := range conns {
		if err := open(i); err != nil {
			t.Fatal(err)
		}
	}
	if got := promtest.Value(t, metrics, "sluice_coordinator_sessions"); got < conns+1 {
		t.Fatalf("%v sessions, want %d", got, conns+1)
	}
	each := (live() - base) / conns
	t.Logf("%d idle sessions: %d KiB of live heap each", conns, each>>10)
	if each > most {
		t.Fatalf("an idle session's connection keeps %d KiB of the member's heap, want at most %d KiB", each>>10, most>>10)
	}
}
