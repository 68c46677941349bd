package coordinator_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/sluicelogs/sluice/coordinator"

	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/testkit/memtest"
	"github.com/sluicelogs/sluice/testkit/promtest"
	"github.com/sluicelogs/sluice/testkit/testcluster"
)

// TestGetACLNeedsReadOrAdmin: getACL answers NOAUTH to a client with
// neither READ nor ADMIN on the node, and shows a client without ADMIN
// each digest id as user:x, never the password hash (ZooKeeper 3.8).
func TestGetACLNeedsReadOrAdmin(t *testing.T) {
	m := testcluster.StartCoordinator(t, t.TempDir(), 200*time.Millisecond)
	alice := connect(t, m.Addr())
	if err := alice.AddAuth("digest", []byte("alice:secret")); err != nil {
		t.Fatal(err)
	}
	aliceOnly := zk.DigestACL(zk.PermAll, "alice", "secret")
	if _, err := alice.Create("/alice", nil, 0, aliceOnly); err != nil {
		t.Fatal(err)
	}
	shared := append(zk.DigestACL(zk.PermAll, "alice", "secret"), zk.DigestACL(zk.PermRead, "bob", "pw")...)
	if _, err := alice.Create("/shared", nil, 0, shared); err != nil {
		t.Fatal(err)
	}

	anon := connect(t, m.Addr())
	if acl, _, err := anon.GetACL("/alice"); !errors.Is(err, zk.ErrNoAuth) {
		t.Fatalf("getACL without auth: %v, %v; want NOAUTH", acl, err)
	}

	bob := connect(t, m.Addr())
	if err := bob.AddAuth("digest", []byte("bob:pw")); err != nil {
		t.Fatal(err)
	}
	acl, _, err := bob.GetACL("/shared")
	if err != nil {
		t.Fatal(err)
	}
	if len(acl) != 2 || acl[0].ID != "alice:x" || acl[1].ID != "bob:x" || acl[0].Perms != zk.PermAll || acl[1].Perms != zk.PermRead {
		t.Fatalf("getACL with READ only: %+v; want alice:x (ALL) and bob:x (READ)", acl)
	}

	// ADMIN sees the ids as they are: it may set them anyway.
	acl, _, err = alice.GetACL("/shared")
	if err != nil {
		t.Fatal(err)
	}
	if len(acl) != 2 || acl[0].ID != shared[0].ID || acl[1].ID != shared[1].ID {
		t.Fatalf("getACL with ADMIN: %+v; want %+v", acl, shared)
	}
}

// TestSilentConnectionClosed: a connection that never sends a byte is
// closed by the server once the handshake timeout (10s here) has passed
// since its accept, rather than kept forever.
func TestSilentConnectionClosed(t *testing.T) {
	m := testcluster.StartCoordinator(t, t.TempDir(), 50*time.Millisecond)
	nc, err := net.Dial("tcp", m.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	read := make(chan error, 1)
	go func() { // ends when the server closes the connection, or at the deferred Close
		_, err := nc.Read(make([]byte, 1))
		read <- err
	}()
	// Three times the server's bound: room for a loaded machine, and still
	// a failure, not a hang, when the server never closes.
	await.Eventually(t, 30*time.Second, 50*time.Millisecond, func() error {
		select {
		case err := <-read:
			if err == nil { // no deadline here, so only a byte from the server ends a read without error
				t.Fatal("the server wrote to a connection that sent nothing")
			}
			return nil // EOF or reset: closed
		default:
		}
		return fmt.Errorf("the server still keeps a connection that sent nothing")
	})
}

// TestMaxCnxnsLimitsAllAddresses: maxCnxns bounds the client connections
// in all, which clients on several addresses (127.0.0.2, .3, …, each under
// maxClientCnxns) cannot get past; a connection beyond it is closed at
// once and counted, and once the others close a new client is served.
func TestMaxCnxnsLimitsAllAddresses(t *testing.T) {
	const limit = 3
	m := testcluster.StartCoordinator(t, t.TempDir(), 200*time.Millisecond, func(c *coordinator.Config) { c.MaxCnxns = limit })
	from := func(i int) *net.Dialer {
		return &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(2+i))}, Timeout: 5 * time.Second}
	}
	var held []*zk.Conn
	for i := range limit {
		d := from(i)
		c, ev, err := zk.Connect([]string{m.Addr()}, 4*time.Second, zk.WithLogInfo(false),
			zk.WithDialer(func(network, addr string, _ time.Duration) (net.Conn, error) { return d.Dial(network, addr) }))
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
		t.Cleanup(c.Close)
		await.Eventually(t, time.Minute, 10*time.Millisecond, func() error {
			select {
			case e := <-ev:
				if e.State == zk.StateHasSession {
					return nil
				}
			default:
			}
			return fmt.Errorf("client %d from %v has no session", i, d.LocalAddr)
		})
	}

	extra, err := from(limit).Dial("tcp", m.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer extra.Close()
	if _, err := extra.Write(connectRequest(4000)); err != nil {
		t.Fatal(err)
	}
	// Well under the 10s handshake timeout: refused at accept, not dropped
	// for silence.
	_ = extra.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := extra.Read(make([]byte, 64)); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("connection %d beyond maxCnxns=%d: read %d bytes, %v; want it closed", limit+1, limit, n, err)
	}
	if got := promtest.Value(t, promtest.Of(m.Server.Collectors()...), "sluice_coordinator_connections_refused_total", "limit", "maxCnxns"); got != 1 {
		t.Fatalf("sluice_coordinator_connections_refused_total{limit=maxCnxns} = %v, want 1", got)
	}

	for _, c := range held {
		c.Close()
	}
	c := connect(t, m.Addr()) // retries while the closed connections are being let go
	if _, err := c.Create("/after", nil, 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
}

// TestLargeRequestMaxBytes: the client port's requests share one memory
// budget, largeRequestMaxBytes, charged with a request's announced
// length before its body is read. 24 connections each announce the
// largest packet (1 MiB) and send all of it but its last byte: the 8 that
// fit in an 8 MiB budget are held, the others are closed at their header
// and counted, so the heap grows by about the budget, not by 24 MiB. A
// normal client (its requests under the default largeRequestThreshold,
// 64 KiB, so never charged) keeps working meanwhile, while a large
// request of its closes its connection as ZooKeeper does. Once the
// attackers leave, the budget is all given back and a large write is
// served.
func TestLargeRequestMaxBytes(t *testing.T) {
	const (
		budget = 8 << 20
		size   = 1<<20 - 1 // the largest packet (jute.maxbuffer)
		conns  = 24
		fit    = budget / size // 8
	)
	m := testcluster.StartCoordinator(t, t.TempDir(), 200*time.Millisecond, func(c *coordinator.Config) { c.LargeRequestMaxBytes = budget })
	metrics := promtest.Of(m.Server.Collectors()...)
	value := func(name string) float64 { return promtest.Value(t, metrics, name) }
	normal := connect(t, m.Addr())
	if _, err := normal.Create("/n", make([]byte, 1024), 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}

	packet := binary.BigEndian.AppendUint32(make([]byte, 0, 4+size), size)
	packet = packet[:4+size-1] // all but the last byte
	attackers := make([]net.Conn, conns)
	grown := memtest.HeapGrowth(func() {
		var wg sync.WaitGroup
		for i := range attackers {
			nc, err := net.Dial("tcp", m.Addr())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { nc.Close() })
			attackers[i] = nc
			wg.Add(1)
			go func() { // a refused connection's write fails: it was closed
				defer wg.Done()
				_ = nc.SetWriteDeadline(time.Now().Add(time.Minute))
				_, _ = nc.Write(packet)
			}()
		}
		wg.Wait()
		await.Eventually(t, time.Minute, 10*time.Millisecond, func() error {
			if got := value("sluice_coordinator_large_requests_rejected_total"); got != conns-fit {
				return fmt.Errorf("%v requests rejected, want %d", got, conns-fit)
			}
			if got := value("sluice_coordinator_large_request_bytes"); got != fit*size {
				return fmt.Errorf("%v bytes charged, want %d", got, fit*size)
			}
			return nil
		})
	})
	if limit := int64(budget + conns*192<<10); grown > limit {
		t.Fatalf("%d connections holding a 1 MiB packet short of its last byte grew the heap by %d KiB, more than the budget and 192 KiB a connection (%d KiB)", conns, grown>>10, limit>>10)
	}
	t.Logf("%d connections with 1 MiB packets, budget %d MiB: heap +%d KiB", conns, budget>>20, grown>>10)

	// fit connections are held mid-packet, the others were closed.
	var open int
	for _, nc := range attackers {
		_ = nc.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		if _, err := nc.Read(make([]byte, 1)); errors.Is(err, os.ErrDeadlineExceeded) {
			open++
		}
	}
	if open != fit {
		t.Fatalf("%d of %d connections still open, want the %d that fit in the budget", open, conns, fit)
	}

	// Small requests are not charged: the normal client is served.
	if _, err := normal.Set("/n", make([]byte, 1024), -1); err != nil {
		t.Fatalf("a small setData with the budget used up: %v", err)
	}
	if _, _, err := normal.Get("/n"); err != nil {
		t.Fatalf("getData with the budget used up: %v", err)
	}
	// A large one does not fit: its connection is closed, no reply.
	if _, err := normal.Set("/n", make([]byte, 200<<10), -1); !connectionLoss(err) {
		t.Fatalf("a 200 KiB setData with the budget used up: %v, want the connection closed", err)
	}
	if got := value("sluice_coordinator_large_requests_rejected_total"); got != conns-fit+1 {
		t.Fatalf("%v requests rejected, want %d", got, conns-fit+1)
	}

	for _, nc := range attackers {
		nc.Close()
	}
	await.Eventually(t, time.Minute, 10*time.Millisecond, func() error {
		if got := value("sluice_coordinator_large_request_bytes"); got != 0 {
			return fmt.Errorf("%v bytes still charged after the attackers closed", got)
		}
		return nil
	})
	if err := retryOnLoss(func() error { _, err := normal.Set("/n", make([]byte, 200<<10), -1); return err }); err != nil {
		t.Fatalf("a 200 KiB setData once the budget is free: %v", err)
	}
	// Its charge is given back once it was answered, just after the
	// reply is written: the client may see the reply first.
	await.Eventually(t, time.Minute, 10*time.Millisecond, func() error {
		if got := value("sluice_coordinator_large_request_bytes"); got != 0 {
			return fmt.Errorf("%v bytes charged after the large write was answered", got)
		}
		return nil
	})
}
