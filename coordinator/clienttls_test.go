package coordinator_test

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/sluicelogs/sluice/coordinator"
	"github.com/sluicelogs/sluice/coordinator/tree"
	"github.com/sluicelogs/sluice/coordinator/zkproto"
	"github.com/sluicelogs/sluice/internal/pemtls"
	"github.com/sluicelogs/sluice/testkit/testcluster"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// secureFiles are the PEM stores of a secure client port test: the
// server's, alice's and bob's (issued by the trusted CA), mallory's (by
// another CA) and an expired one of the trusted CA.
type secureFiles struct {
	trust, server, alice, bob, admin, mallory, expired string
	ca                                                 *pemtls.CA
}

const superPassword = "s3cret" // DigestAuthenticationProvider.superDigest's

func newSecureFiles(t *testing.T) secureFiles {
	t.Helper()
	dir := t.TempDir()
	ca, other := newTestCA(t, "client CA"), newTestCA(t, "another CA")
	expired, err := ca.Issue("carol", []string{"127.0.0.1"}, time.Now().Add(-48*time.Hour), time.Now().Add(-24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return secureFiles{
		trust:   writeFile(t, filepath.Join(dir, "ca.pem"), ca.pem),
		server:  writeFile(t, filepath.Join(dir, "server.pem"), ca.issue(t, "server", "127.0.0.1")),
		alice:   writeFile(t, filepath.Join(dir, "alice.pem"), ca.issue(t, "alice", "127.0.0.1")),
		bob:     writeFile(t, filepath.Join(dir, "bob.pem"), ca.issue(t, "bob", "127.0.0.1")),
		admin:   writeFile(t, filepath.Join(dir, "admin.pem"), ca.issue(t, "admin", "127.0.0.1")),
		mallory: writeFile(t, filepath.Join(dir, "mallory.pem"), other.issue(t, "alice", "127.0.0.1")),
		expired: writeFile(t, filepath.Join(dir, "expired.pem"), expired.KeyStore()),
		ca:      ca.CA,
	}
}

// clientTLS is a TLS client's configuration with keyStore's certificate
// (none when ""), trusting the test's CA and checking the server's name.
func (f secureFiles) clientTLS(t *testing.T, keyStore string) *tls.Config {
	t.Helper()
	pool, err := pemtls.LoadPool(f.trust)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
	if keyStore != "" {
		cert, err := pemtls.LoadKeyPair(keyStore, "")
		if err != nil {
			t.Fatal(err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg
}

// zkOverTLS connects go-zookeeper to addr through a TLS dialer and waits
// for its session.
func zkOverTLS(t *testing.T, addr string, cfg *tls.Config) *zk.Conn {
	t.Helper()
	dial := func(network, address string, timeout time.Duration) (net.Conn, error) {
		return tls.DialWithDialer(&net.Dialer{Timeout: timeout}, network, address, cfg)
	}
	c, ev, err := zk.Connect([]string{addr}, 4*time.Second, zk.WithLogInfo(false), zk.WithDialer(dial))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	deadline := time.After(time.Minute) // bounds a server that never serves
	for {
		select {
		case e := <-ev:
			if e.State == zk.StateHasSession {
				return c
			}
		case <-deadline:
			t.Fatal("no session over TLS within a minute")
		}
	}
}

// zkCliTLSFlags are zkCli.sh's JVM flags for a TLS client with keyStore.
func (f secureFiles) zkCliTLSFlags(keyStore string) string {
	return testpeer.ZkCliTLSFlags(keyStore, f.trust)
}

// refusedOnTLSPort checks that a client the secure port must refuse gets
// no session: its connection is closed (the handshake fails, or the
// first read after it does) without a ZooKeeper answer.
func refusedOnTLSPort(t *testing.T, what string, dial func() (net.Conn, error)) {
	t.Helper()
	c, err := dial()
	if err != nil {
		return // refused in the handshake
	}
	defer c.Close()
	// The bound only ends a test whose server never closes the connection.
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := c.Write(connectRequest(4000)); err != nil {
		return
	}
	b, err := io.ReadAll(c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("%s: the connection stayed open", what)
	}
	if len(b) >= 4+36 && b[0] == 0 {
		t.Fatalf("%s: the server answered a connect request (%d bytes)", what, len(b))
	}
}

// secureTarget is a server with a plaintext and a secure client port,
// superDigest set to superPassword's, the x509 scheme on and its
// superUser CN=admin.
type secureTarget struct {
	plain, secure string
	zkCli         bool // also check with zkCli.sh
}

// checkSecureClientPort runs the checks that pass against Apache
// ZooKeeper 3.8 and the coordinator alike.
func checkSecureClientPort(t *testing.T, f secureFiles, target secureTarget) {
	alice := zkOverTLS(t, target.secure, f.clientTLS(t, f.alice))
	bob := zkOverTLS(t, target.secure, f.clientTLS(t, f.bob))
	aliceACL := []zk.ACL{{Perms: zk.PermAll, Scheme: "x509", ID: "CN=alice"}}
	if _, err := alice.Create("/secure", []byte("alice's"), 0, aliceACL); err != nil {
		t.Fatalf("alice creates /secure with an x509 ACL: %v", err)
	}
	if _, err := alice.Set("/secure", []byte("alice's, again"), -1); err != nil {
		t.Fatalf("alice writes /secure: %v", err)
	}
	if _, _, err := bob.Get("/secure"); !errors.Is(err, zk.ErrNoAuth) {
		t.Fatalf("bob reads alice's /secure: %v; want %v", err, zk.ErrNoAuth)
	}
	if _, err := bob.Set("/secure", []byte("bob's"), -1); !errors.Is(err, zk.ErrNoAuth) {
		t.Fatalf("bob writes alice's /secure: %v; want %v", err, zk.ErrNoAuth)
	}
	acl, _, err := alice.GetACL("/secure")
	if err != nil || len(acl) != 1 || acl[0].Scheme != "x509" || acl[0].ID != "CN=alice" {
		t.Fatalf("getACL /secure: %v, %v", acl, err)
	}
	// "auth" gives the node to the client's identities: alice's x509 one.
	if _, err := alice.Create("/secure/auth", nil, 0, []zk.ACL{{Perms: zk.PermAll, Scheme: "auth"}}); err != nil {
		t.Fatalf("alice creates with the auth scheme: %v", err)
	}
	if acl, _, err := alice.GetACL("/secure/auth"); err != nil || len(acl) != 1 || acl[0].ID != "CN=alice" {
		t.Fatalf("the auth scheme over TLS gave %v, %v; want alice's x509 id", acl, err)
	}

	// The x509 superUser passes every ACL.
	admin := zkOverTLS(t, target.secure, f.clientTLS(t, f.admin))
	if _, err := admin.Set("/secure", []byte("admin's"), -1); err != nil {
		t.Fatalf("the x509 superUser writes /secure: %v", err)
	}

	// A plaintext client gets nowhere, then passes every ACL as super.
	plain := connect(t, target.plain)
	if _, _, err := plain.Get("/secure"); !errors.Is(err, zk.ErrNoAuth) {
		t.Fatalf("a plaintext client reads /secure: %v; want %v", err, zk.ErrNoAuth)
	}
	if err := plain.AddAuth("digest", []byte("super:wrong")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := plain.Get("/secure"); !errors.Is(err, zk.ErrNoAuth) {
		t.Fatalf("with a wrong super password: %v; want %v", err, zk.ErrNoAuth)
	}
	if err := plain.AddAuth("digest", []byte("super:"+superPassword)); err != nil {
		t.Fatal(err)
	}
	if _, err := plain.Set("/secure", []byte("super's"), -1); err != nil {
		t.Fatalf("super writes /secure: %v", err)
	}

	// A client that connects and never starts its handshake holds up no
	// one: a new TLS client gets a session while it waits.
	silent, err := net.Dial("tcp", target.secure)
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	if _, err := zkOverTLS(t, target.secure, f.clientTLS(t, f.alice)).Sync("/secure"); err != nil {
		t.Fatalf("a client beside a silent one: %v", err)
	}

	// What the secure port refuses; it serves alice all along.
	refusedOnTLSPort(t, "a plaintext client", func() (net.Conn, error) { return net.Dial("tcp", target.secure) })
	for _, k := range []struct{ what, keyStore string }{
		{"a certificate of an unknown CA", f.mallory},
		{"an expired certificate", f.expired},
		{"no certificate (ssl.clientAuth=need)", ""},
	} {
		refusedOnTLSPort(t, k.what, func() (net.Conn, error) {
			return tls.Dial("tcp", target.secure, f.clientTLS(t, k.keyStore))
		})
		if data, _, err := alice.Get("/secure"); err != nil || string(data) != "super's" {
			t.Fatalf("alice after %s: %q, %v", k.what, data, err)
		}
	}

	if !target.zkCli {
		return
	}
	// -waitforconnection: zkCli.sh runs a command given on its command
	// line as soon as it started connecting, which the Netty TLS client
	// has not finished by then.
	out := testpeer.ZkCliWith(t, target.secure, f.zkCliTLSFlags(f.alice), "-waitforconnection", "get", "/secure")
	if !strings.Contains(out, "super's") {
		t.Fatalf("zkCli.sh over TLS as alice: get /secure printed:\n%s", out)
	}
	out = testpeer.ZkCliWith(t, target.secure, f.zkCliTLSFlags(f.alice), "-waitforconnection", "getAcl", "/secure")
	if !strings.Contains(out, "'x509,'CN=alice") {
		t.Fatalf("zkCli.sh over TLS: getAcl /secure printed:\n%s", out)
	}
	out, _ = testpeer.RunZkCli(t, target.secure, f.zkCliTLSFlags(f.bob), "-waitforconnection", "get", "/secure")
	if !strings.Contains(out, "Insufficient permission") && !strings.Contains(out, "NoAuth") {
		t.Fatalf("zkCli.sh over TLS as bob: get /secure printed:\n%s", out)
	}
}

// TestSecureClientPort: the coordinator's secureClientPort with PEM
// stores, x509 ACLs and superDigest, against go-zookeeper through a TLS
// dialer and zkCli.sh's Netty TLS client.
func TestSecureClientPort(t *testing.T) {
	f := newSecureFiles(t)
	m := testcluster.StartCoordinator(t, t.TempDir(), 500*time.Millisecond, func(c *coordinator.Config) {
		c.SecureClientAddr = "127.0.0.1:0"
		c.ClientTLS.KeyStore, c.ClientTLS.TrustStore = f.server, f.trust
		c.SuperDigest, c.X509SuperUser = tree.DigestID("super:"+superPassword), "CN=admin"
	})
	checkSecureClientPort(t, f, secureTarget{plain: m.Addr(), secure: m.SecureAddr(), zkCli: true})
	_, port, _ := net.SplitHostPort(m.SecureAddr())
	out, err := zkproto.FourLetter(context.Background(), m.Addr(), "conf")
	if err != nil || !strings.Contains(out, "\nsecureClientPort="+port+"\n") {
		t.Fatalf("conf does not show secureClientPort=%s: %v\n%s", port, err, out)
	}
}

// TestSecureClientPortZooKeeper runs the same checks against Apache
// ZooKeeper 3.8 with secureClientPort (Netty), PEM stores and the x509
// provider: what the coordinator is compared with.
func TestSecureClientPortZooKeeper(t *testing.T) {
	f := newSecureFiles(t)
	port := testpeer.FreePort(t)
	z := testpeer.StartZooKeeperWith(t, []string{
		"secureClientPort=" + strconv.Itoa(port),
		"serverCnxnFactory=org.apache.zookeeper.server.NettyServerCnxnFactory",
		"authProvider.x509=org.apache.zookeeper.server.auth.X509AuthenticationProvider",
		"ssl.keyStore.location=" + f.server, "ssl.keyStore.type=PEM",
		"ssl.trustStore.location=" + f.trust, "ssl.trustStore.type=PEM",
		"DigestAuthenticationProvider.superDigest=" + tree.DigestID("super:"+superPassword),
		"X509AuthenticationProvider.superUser=CN=admin",
	})
	checkSecureClientPort(t, f, secureTarget{plain: z.Addr, secure: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), zkCli: true})
}

// TestSecureClientPortOnly: without clientPort the coordinator serves
// only TLS clients, four-letter words included.
func TestSecureClientPortOnly(t *testing.T) {
	f := newSecureFiles(t)
	m := testcluster.StartCoordinator(t, t.TempDir(), 500*time.Millisecond, func(c *coordinator.Config) {
		c.ClientAddr, c.SecureClientAddr = "", "127.0.0.1:0"
		c.ClientTLS.KeyStore, c.ClientTLS.TrustStore = f.server, f.trust
	})
	if m.Addr() != "" {
		t.Fatalf("a plaintext client port at %s", m.Addr())
	}
	alice := zkOverTLS(t, m.SecureAddr(), f.clientTLS(t, f.alice))
	if _, err := alice.Create("/only", []byte("tls"), 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	c, err := tls.Dial("tcp", m.SecureAddr(), f.clientTLS(t, f.alice))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second)) // bounds a server that never answers
	if _, err := c.Write([]byte("conf")); err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(c)
	_, port, _ := net.SplitHostPort(m.SecureAddr())
	if err != nil || !strings.Contains(string(out), "clientPort=-1\nsecureClientPort="+port+"\n") {
		t.Fatalf("conf over TLS: %v\n%s", err, out)
	}
}
