package coordinator_test

import (
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/sluicelogs/sluice/internal/await"
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
