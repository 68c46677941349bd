package coordinator_test

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/sluicelogs/sluice/coordinator"
	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/internal/pemtls"
	"github.com/sluicelogs/sluice/testkit/promtest"
	"github.com/sluicelogs/sluice/testkit/testcluster"
)

// testCA is a certificate authority made for a test.
type testCA struct {
	*pemtls.CA
	pem []byte
}

func newTestCA(t *testing.T, name string) *testCA {
	t.Helper()
	ca, err := pemtls.NewCA(name, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return &testCA{CA: ca, pem: ca.PEM()}
}

// issue returns a PEM key store (certificate, then its private key) for a
// member at ip, for both TLS client and server use.
func (ca *testCA) issue(t *testing.T, name string, ip string) []byte {
	t.Helper()
	c, err := ca.Issue(name, []string{ip}, time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	return c.KeyStore()
}

func writeFile(t *testing.T, path string, b []byte) string {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// startTLSEnsemble starts three members with sslQuorum=true, PEM stores
// and a CA made for the test, member id's certificate issued by certFor
// (its name and the IP address it names), after tune changed each
// configuration; it returns once they have a leader.
func startTLSEnsemble(t *testing.T, certFor func(id uint64) (name, ip string), tune func(*coordinator.Config)) (*ensemble, *testCA) {
	t.Helper()
	dir := t.TempDir()
	ca := newTestCA(t, "quorum CA")
	trust := writeFile(t, filepath.Join(dir, "ca.pem"), ca.pem)
	e := startEnsemble(t, 3, 0, 200*time.Millisecond, func(c *coordinator.Config) {
		c.SSLQuorum = true
		name, ip := certFor(c.MyID)
		c.QuorumKeyStore = writeFile(t, filepath.Join(dir, fmt.Sprintf("member%d.pem", c.MyID)), ca.issue(t, name, ip))
		c.QuorumTrustStore = trust
		if tune != nil {
			tune(c)
		}
	})
	e.leader()
	return e, ca
}

// TestSSLQuorum: three members with sslQuorum=true and PEM stores form an
// ensemble and replicate; on a member's peer port, plain TCP, a
// certificate from another CA, and a certificate of the right CA that
// does not name the host of the member it claims to be, are all refused;
// a member's certificate is accepted from any address.
func TestSSLQuorum(t *testing.T) {
	e, ca := startTLSEnsemble(t, func(id uint64) (string, string) { return fmt.Sprintf("member %d", id), "127.0.0.1" }, nil)
	c1 := connect(t, e.members[1].Addr())
	if _, err := c1.Create("/tls", []byte("x"), 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	for id := uint64(2); id <= 3; id++ {
		c := connect(t, e.members[id].Addr())
		if _, err := c.Sync("/tls"); err != nil {
			t.Fatalf("sync on member %d: %v", id, err)
		}
		if data, _, err := c.Get("/tls"); err != nil || string(data) != "x" {
			t.Fatalf("get on member %d = %q, %v", id, data, err)
		}
	}

	peerAddr := e.cfgs[1].Servers[1].PeerAddr()
	hello := binary.BigEndian.AppendUint64(nil, 2)
	tryPeer := func(what string, dial func() (net.Conn, error)) {
		t.Helper()
		c, err := dial()
		if err != nil {
			return // refused in the handshake
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(30 * time.Second)) // a failure, not a hang, if never closed
		if _, err := c.Write(hello); err != nil {
			return
		}
		if n, err := c.Read(make([]byte, 64)); err == nil || os.IsTimeout(err) {
			t.Fatalf("%s: read %d bytes, %v; want the connection closed", what, n, err)
		}
	}
	tryPeer("plain TCP", func() (net.Conn, error) { return net.Dial("tcp", peerAddr) })

	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca.pem)
	withCert := func(keyStore []byte) func() (net.Conn, error) {
		cert, err := tls.X509KeyPair(keyStore, keyStore)
		if err != nil {
			t.Fatal(err)
		}
		return func() (net.Conn, error) {
			return tls.Dial("tcp", peerAddr, &tls.Config{Certificates: []tls.Certificate{cert}, RootCAs: pool, ServerName: "127.0.0.1"})
		}
	}
	tryPeer("a certificate from another CA", withCert(newTestCA(t, "other CA").issue(t, "intruder", "127.0.0.1")))
	tryPeer("a certificate for another host", withCert(ca.issue(t, "elsewhere", "127.0.0.9")))

	// With TLS the certificate authenticates, not the address: a member's
	// certificate from an address no server.N host has gets past its
	// hello (then drops itself by sending a message from another member).
	keyStore, err := os.ReadFile(e.cfgs[2].QuorumKeyStore)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.X509KeyPair(keyStore, keyStore)
	if err != nil {
		t.Fatal(err)
	}
	elsewhere := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.9")}, Timeout: 10 * time.Second}
	nc, err := tls.DialWithDialer(elsewhere, "tcp", peerAddr, &tls.Config{Certificates: []tls.Certificate{cert}, RootCAs: pool, ServerName: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if _, err := nc.Write(hello); err != nil {
		t.Fatal(err)
	}
	// A ping, then a frame of an unknown kind, which only a reader past
	// the hello judges (and closes the connection for).
	if _, err := nc.Write([]byte{0, 0, 0, 1, 4, 0, 0, 0, 1, 99}); err != nil {
		t.Fatal(err)
	}
	_ = nc.SetReadDeadline(time.Now().Add(30 * time.Second))
	if n, err := nc.Read(make([]byte, 1)); err == nil || os.IsTimeout(err) {
		t.Fatalf("read %d bytes, %v; want the connection closed for its bad frame", n, err)
	}

	metrics := promtest.Of(e.members[1].Server.Collectors()...)
	refused := func(reason string) float64 {
		return promtest.Value(t, metrics, "sluice_coordinator_peer_connections_refused_total", "reason", reason)
	}
	await.Eventually(t, 30*time.Second, 10*time.Millisecond, func() error {
		if n := refused("address") + refused("member"); n != 0 {
			t.Fatalf("%v connections refused for their address or claimed member with sslQuorum", n)
		}
		tlsRefused, certRefused := refused("tls"), refused("certificate")
		if tlsRefused != 2 || certRefused != 1 {
			return fmt.Errorf("refused{reason=tls} = %v, want 2; refused{reason=certificate} = %v, want 1", tlsRefused, certRefused)
		}
		return nil
	})
}

// TestSSLQuorumWithoutHostnameVerification: with
// ssl.quorum.hostnameVerification=false, members whose certificates name
// another host still form an ensemble (the chain is still verified).
func TestSSLQuorumWithoutHostnameVerification(t *testing.T) {
	e, _ := startTLSEnsemble(t, func(uint64) (string, string) { return "elsewhere", "127.0.0.9" },
		func(c *coordinator.Config) { c.QuorumHostnameVerification = false })
	c := connect(t, e.members[2].Addr())
	if _, err := c.Create("/noverify", nil, 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
}

// TestSSLQuorumStoreErrors: a key store without a key, with an encrypted
// key, or a trust store without certificates stop the member at start
// with an error naming the key and file.
func TestSSLQuorumStoreErrors(t *testing.T) {
	dir := t.TempDir()
	ca := newTestCA(t, "quorum CA")
	good := ca.issue(t, "member", "127.0.0.1")
	certOnly, _ := pem.Decode(good)
	encrypted := append(pem.EncodeToMemory(certOnly), pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte{1, 2, 3}})...)
	for _, c := range []struct {
		name, key, trust, want string
	}{
		{"no key", string(pem.EncodeToMemory(certOnly)), string(ca.pem), "ssl.quorum.keyStore.location: " + filepath.Join(dir, "no key-key.pem") + ": want a PEM certificate and its private key"},
		{"encrypted key", string(encrypted), string(ca.pem), "the private key is encrypted"},
		{"empty trust store", string(good), "", "ssl.quorum.trustStore.location: " + filepath.Join(dir, "empty trust store-ca.pem") + ": no PEM certificate in it"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := testcluster.EnsembleConfigs(t, 1, 0, 200*time.Millisecond)[0]
			cfg.SSLQuorum = true
			cfg.QuorumKeyStore = writeFile(t, filepath.Join(dir, c.name+"-key.pem"), []byte(c.key))
			cfg.QuorumTrustStore = writeFile(t, filepath.Join(dir, c.name+"-ca.pem"), []byte(c.trust))
			_, err := coordinator.NewServer(&cfg, testcluster.Logger())
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("NewServer: %v; want %q", err, c.want)
			}
		})
	}
}
