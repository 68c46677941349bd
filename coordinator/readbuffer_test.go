package coordinator_test

import (
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/sluicelogs/sluice/coordinator"
	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/testkit/proc"
	"github.com/sluicelogs/sluice/testkit/promtest"
	"github.com/sluicelogs/sluice/testkit/testcluster"
)

// TestHeldPacketCostsLittleMore: connections held in the middle of a
// large connect packet (zk-huge-connect in sluice-bench attack) hold
// their packet, charged to largeRequestMaxBytes, off the Go heap
// (largerequests.go), and little more on it: the connection's read
// buffer is small, the packet's body going straight into the packet's
// own buffer. With a 64 KiB read buffer each held connection allocated
// 64 KiB beyond its packet, which no budget counts (up to maxCnxns of
// them); with the packets on the heap, the collector ran without pause
// under GOMEMLIMIT once the budget was full.
func TestHeldPacketCostsLittleMore(t *testing.T) {
	const (
		size  = 1<<20 - 1 // the largest packet (jute.maxbuffer)
		sent  = 128 << 10 // of it, by each connection
		conns = 40
		most  = 24 << 10 // what a held connection may allocate beyond its packet
	)
	m := testcluster.StartCoordinator(t, t.TempDir(), 200*time.Millisecond, func(c *coordinator.Config) {
		c.LargeRequestMaxBytes = 2 * conns * size
	})
	metrics := promtest.Of(m.Server.Collectors()...)
	part := binary.BigEndian.AppendUint32(make([]byte, 0, 4+sent), size)
	part = part[:4+sent]
	held := make([]net.Conn, 0, conns)
	t.Cleanup(func() {
		for _, nc := range held {
			nc.Close()
		}
	})
	// Allocated bytes, not the heap's growth: what earlier tests leave to
	// the collector cannot hide an allocation.
	allocated := func() int64 {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return int64(ms.TotalAlloc)
	}
	base := allocated()
	rss0, err := proc.RSS(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	for range conns {
		nc, err := net.Dial("tcp", m.Addr())
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, nc)
		if _, err := nc.Write(part); err != nil {
			t.Fatal(err)
		}
	}
	// Charged once the header arrived; then the packet's buffer is mapped
	// and the body read into it: the bytes the server has read off the
	// connections say the bodies arrived.
	await.Eventually(t, time.Minute, 10*time.Millisecond, func() error {
		if got := promtest.Value(t, metrics, "sluice_coordinator_large_request_bytes"); got != conns*size {
			return fmt.Errorf("%v bytes charged, want %d (conns %v, refused %v)", got, conns*size, promtest.Value(t, metrics, "sluice_coordinator_client_connections"), promtest.Value(t, metrics, "sluice_coordinator_large_requests_rejected_total"))
		}
		return nil
	})
	// The bodies: read into the mapped buffers, whose pages the process's
	// resident memory gains (and the heap does not).
	await.Eventually(t, time.Minute, 10*time.Millisecond, func() error {
		rss, err := proc.RSS(os.Getpid())
		if err == nil && rss-rss0 < conns*sent*9/10 {
			err = fmt.Errorf("resident memory grew %d KiB, less than the %d KiB of bodies sent", (rss-rss0)>>10, conns*sent>>10)
		}
		return err
	})
	grown := allocated() - base
	each := grown / conns
	t.Logf("%d connections held in a 1 MiB connect packet: %d KiB allocated on the heap, %d KiB each", conns, grown>>10, each>>10)
	if each > most {
		t.Fatalf("a connection held in a 1 MiB connect packet allocated %d KiB on the heap, want at most %d KiB (its packet is off the heap)", each>>10, most>>10)
	}
}

// TestHeldConnectBuffersReused: the buffers of connect packets that never
// arrived whole (zk-huge-connect: connections held in a 1 MiB connect,
// reopened when closed) are kept, charged, for the next such packets:
// a second round of held connections allocates little, where each round
// allocated its packets again (the heap holding the budget live plus the
// rounds before as garbage). Kept buffers give way to a request of
// another size when the budget is full of them.
func TestHeldConnectBuffersReused(t *testing.T) {
	const (
		size  = 1<<20 - 1
		conns = 20
	)
	m := testcluster.StartCoordinator(t, t.TempDir(), 200*time.Millisecond, func(c *coordinator.Config) {
		c.LargeRequestMaxBytes = conns * size
	})
	metrics := promtest.Of(m.Server.Collectors()...)
	allocated := func() int64 {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return int64(ms.TotalAlloc)
	}
	want := func(charged, spare float64) {
		t.Helper()
		await.Eventually(t, time.Minute, 10*time.Millisecond, func() error {
			c := promtest.Value(t, metrics, "sluice_coordinator_large_request_bytes")
			s := promtest.Value(t, metrics, "sluice_coordinator_large_request_spare_bytes")
			if c != charged || s != spare {
				return fmt.Errorf("charged %v, spare %v; want %v, %v (refused %v)", c, s, charged, spare, promtest.Value(t, metrics, "sluice_coordinator_large_requests_rejected_total"))
			}
			return nil
		})
	}
	hold := func(n, length int) []net.Conn {
		t.Helper()
		part := binary.BigEndian.AppendUint32(make([]byte, 0, 4+64), uint32(length))
		part = part[:4+64]
		held := make([]net.Conn, 0, n)
		for range n {
			nc, err := net.Dial("tcp", m.Addr())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { nc.Close() })
			held = append(held, nc)
			if _, err := nc.Write(part); err != nil {
				t.Fatal(err)
			}
		}
		return held
	}
	closeAll := func(cs []net.Conn) {
		for _, nc := range cs {
			nc.Close()
		}
	}

	first := hold(conns, size)
	want(conns*size, 0)
	closeAll(first)
	want(0, conns*size) // every buffer kept, still charged

	base := allocated()
	second := hold(conns, size)
	want(conns*size, 0)
	grown := allocated() - base
	t.Logf("a second round of %d connections held in a 1 MiB connect allocated %d KiB", conns, grown>>10)
	if grown > conns*size/4 {
		t.Fatalf("the second round allocated %d KiB, want the first round's buffers reused (at most %d KiB)", grown>>10, conns*size/4>>10)
	}
	closeAll(second)
	want(0, conns*size)

	// The budget is full of spare buffers: a packet of another length
	// takes the room of as many as it needs.
	other := hold(1, size-100)
	want(size-100, (conns-1)*size)
	closeAll(other)
	if got := promtest.Value(t, metrics, "sluice_coordinator_large_requests_rejected_total"); got != 0 {
		t.Fatalf("%v large requests refused, want none", got)
	}
}
