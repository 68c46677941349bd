package kafka27_test

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/sluicelogs/sluice/broker"
	"github.com/sluicelogs/sluice/coordinator"
	"github.com/sluicelogs/sluice/internal/pemtls"
	"github.com/sluicelogs/sluice/testkit/brokertest"
	"github.com/sluicelogs/sluice/testkit/testcluster"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// zkTLSFiles are the PEM stores of a test of the broker's coordinator
// client over TLS: the trusted CA's, the server's and the broker's
// certificates, and a trust store of another CA.
type zkTLSFiles struct {
	trust, server, broker, otherTrust string
}

func newZkTLSFiles(t *testing.T) zkTLSFiles {
	t.Helper()
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	issue := func(ca *pemtls.CA, name string) []byte {
		c, err := ca.Issue(name, []string{"127.0.0.1"}, time.Time{}, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		return c.KeyStore()
	}
	ca, err := pemtls.NewCA("zk CA", 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	other, err := pemtls.NewCA("another CA", 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return zkTLSFiles{
		trust: write("ca.pem", ca.PEM()), otherTrust: write("other-ca.pem", other.PEM()),
		server: write("server.pem", issue(ca, "zookeeper")), broker: write("broker.pem", issue(ca, "broker-1")),
	}
}

// secureZk sets c's coordinator client to TLS with the broker's
// certificate, trusting trust, and zookeeper.set.acl=true, as in Kafka's
// server.properties.
func (f zkTLSFiles) secureZk(trust string) func(*broker.Config) {
	return func(c *broker.Config) {
		z := &c.ZooKeeperTLS
		z.Enable, z.CnxnSocket, z.SetACL = true, "org.apache.zookeeper.ClientCnxnSocketNetty", true
		z.KeyStore, z.KeyStoreType, z.TrustStore, z.TrustStoreType = f.broker, "PEM", trust, "PEM"
	}
}

// checkBrokerOverTLS runs a broker whose coordinator client speaks TLS to
// secure (with zookeeper.set.acl=true) and checks, through a plaintext
// client of plain, that its znodes carry Kafka's secure ACLs for its
// x509 identity: readable by anyone, writable only by the broker.
func checkBrokerOverTLS(t *testing.T, f zkTLSFiles, plain, secure string) {
	b := testcluster.StartBroker(t, 1, secure+"/sluice", "", f.secureZk(f.trust))
	const topic = "tls-events"
	testcluster.CreateTopic(t, b.Addr(), topic, 2)
	brokertest.ProduceValues(t, b.Addr(), topic, 100)
	brokertest.CheckValues(t, b.Addr(), topic, 100)

	c, _, err := zk.Connect([]string{plain}, 10*time.Second, zk.WithLogInfo(false))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	creator := zk.ACL{Perms: zk.PermAll, Scheme: "x509", ID: "CN=broker-1"}
	worldRead := zk.ACL{Perms: zk.PermRead, Scheme: "world", ID: "anyone"}
	for _, p := range []string{"/sluice", "/sluice/brokers/ids/1", "/sluice/brokers/topics/" + topic, "/sluice/brokers/topics/" + topic + "/partitions/0/state", "/sluice/controller", "/sluice/cluster/id"} {
		acl, _, err := c.GetACL(p)
		if err != nil || len(acl) != 2 || acl[0] != creator || acl[1] != worldRead {
			t.Fatalf("ACL of %s: %v, %v; want %v", p, acl, err, []zk.ACL{creator, worldRead})
		}
	}
	state := "/sluice/brokers/topics/" + topic + "/partitions/0/state"
	if _, _, err := c.Get(state); err != nil {
		t.Fatalf("anyone reads %s: %v", state, err)
	}
	if _, err := c.Set(state, []byte(`{"leader":-1}`), -1); !errors.Is(err, zk.ErrNoAuth) {
		t.Fatalf("a plaintext client writes %s: %v; want %v", state, err, zk.ErrNoAuth)
	}
	if _, err := c.Create("/sluice/brokers/ids/7", []byte("{}"), zk.FlagEphemeral, zk.WorldACL(zk.PermAll)); !errors.Is(err, zk.ErrNoAuth) {
		t.Fatalf("a plaintext client registers a broker: %v; want %v", err, zk.ErrNoAuth)
	}
	out, _ := testpeer.RunZkCli(t, plain, "", "set", "/sluice/brokers/topics/"+topic, "{}")
	if !strings.Contains(out, "Insufficient permission") {
		t.Fatalf("zkCli.sh without a certificate: set /sluice/brokers/topics/%s printed:\n%s", topic, out)
	}

	// A broker that does not trust the server's certificate gets no
	// session; the server serves the first broker all along.
	cfg := broker.Defaults()
	cfg.BrokerID = 2
	cfg.SetListener("127.0.0.1", 0)
	cfg.LogDirs = []string{t.TempDir()}
	if err := cfg.SetZooKeeperConnect(secure + "/sluice"); err != nil {
		t.Fatal(err)
	}
	f.secureZk(f.otherTrust)(&cfg)
	cfg.ZooKeeperTimeout = 3 * time.Second
	if _, err := broker.New(&cfg, testcluster.Logger()); err == nil || !strings.Contains(err.Error(), "no session") {
		t.Fatalf("a broker trusting another CA: %v; want no session", err)
	}
	brokertest.CheckValues(t, b.Addr(), topic, 100)
}

// TestBrokerZooKeeperTLS: the broker against Apache ZooKeeper 3.8 with
// secureClientPort and x509 authentication, zookeeper.set.acl=true.
func TestBrokerZooKeeperTLS(t *testing.T) {
	t.Parallel()
	f := newZkTLSFiles(t)
	port := testpeer.FreePort(t)
	z := testpeer.StartZooKeeperWith(t, []string{
		"secureClientPort=" + strconv.Itoa(port),
		"serverCnxnFactory=org.apache.zookeeper.server.NettyServerCnxnFactory",
		"authProvider.x509=org.apache.zookeeper.server.auth.X509AuthenticationProvider",
		"ssl.keyStore.location=" + f.server, "ssl.keyStore.type=PEM",
		"ssl.trustStore.location=" + f.trust, "ssl.trustStore.type=PEM",
	})
	checkBrokerOverTLS(t, f, z.Addr, net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
}

// TestBrokerCoordinatorTLS: the same against sluice's coordinator with
// secureClientPort.
func TestBrokerCoordinatorTLS(t *testing.T) {
	t.Parallel()
	f := newZkTLSFiles(t)
	m := testcluster.StartCoordinator(t, t.TempDir(), 500*time.Millisecond, func(c *coordinator.Config) {
		c.SecureClientAddr = "127.0.0.1:0"
		c.ClientTLS.KeyStore, c.ClientTLS.TrustStore = f.server, f.trust
	})
	checkBrokerOverTLS(t, f, m.Addr(), m.SecureAddr())
}

// TestBrokerCoordinatorTLSHostname: with Kafka's default
// zookeeper.ssl.endpoint.identification.algorithm=HTTPS a server
// certificate that does not name the host dialed gets the broker no
// session; with the algorithm empty the chain alone is checked.
func TestBrokerCoordinatorTLSHostname(t *testing.T) {
	ca, err := pemtls.NewCA("zk CA", 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	elsewhere, err := ca.Issue("zookeeper", []string{"zk.elsewhere.example"}, time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	brokerCert, err := ca.Issue("broker-1", []string{"127.0.0.1"}, time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for name, b := range map[string][]byte{"server.pem": elsewhere.KeyStore(), "broker.pem": brokerCert.KeyStore(), "ca.pem": ca.PEM()} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	f := zkTLSFiles{trust: filepath.Join(dir, "ca.pem"), server: filepath.Join(dir, "server.pem"), broker: filepath.Join(dir, "broker.pem")}
	m := testcluster.StartCoordinator(t, t.TempDir(), 500*time.Millisecond, func(c *coordinator.Config) {
		c.SecureClientAddr = "127.0.0.1:0"
		c.ClientTLS.KeyStore, c.ClientTLS.TrustStore = f.server, f.trust
	})
	cfg := broker.Defaults()
	cfg.BrokerID = 1
	cfg.SetListener("127.0.0.1", 0)
	cfg.LogDirs = []string{t.TempDir()}
	if err := cfg.SetZooKeeperConnect(m.SecureAddr()); err != nil {
		t.Fatal(err)
	}
	f.secureZk(f.trust)(&cfg)
	cfg.ZooKeeperTimeout = 3 * time.Second
	if _, err := broker.New(&cfg, testcluster.Logger()); err == nil || !strings.Contains(err.Error(), "no session") {
		t.Fatalf("a server certificate for another host: %v; want no session", err)
	}
	b := testcluster.StartBroker(t, 1, m.SecureAddr(), "", f.secureZk(f.trust), func(c *broker.Config) {
		c.ZooKeeperTLS.EndpointIDAlg = ""
	})
	testcluster.CreateTopic(t, b.Addr(), "named-elsewhere", 1)
}
