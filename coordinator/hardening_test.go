package coordinator_test

import (
	"errors"
	"fmt"
	"net"
	"os"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/sluicelogs/sluice/coordinator"

	"github.com/sluicelogs/sluice/internal/await"
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
