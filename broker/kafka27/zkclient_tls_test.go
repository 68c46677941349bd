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

// checkBrokerOverTLS runs a broker whose coordinator client speaks TLS to
// secure (with zookeeper.set.acl=true) and checks, through a plaintext
// client of plain, that its znodes carry Kafka's secure ACLs for its
// x509 identity: readable by anyone, writable only by the broker.
func checkBrokerOverTLS(t *testing.T, f brokertest.ZkTLSFiles, plain, secure string) {
	b := testcluster.StartBroker(t, 1, secure+"/sluice", "", f.SecureZk(f.Trust))
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
	f.SecureZk(f.OtherTrust)(&cfg)
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
	f := brokertest.NewZkTLSFiles(t)
	port := testpeer.FreePort(t)
	z := testpeer.StartZooKeeperWith(t, []string{
		"secureClientPort=" + strconv.Itoa(port),
		"serverCnxnFactory=org.apache.zookeeper.server.NettyServerCnxnFactory",
		"authProvider.x509=org.apache.zookeeper.server.auth.X509AuthenticationProvider",
		"ssl.keyStore.location=" + f.Server, "ssl.keyStore.type=PEM",
		"ssl.trustStore.location=" + f.Trust, "ssl.trustStore.type=PEM",
	})
	checkBrokerOverTLS(t, f, z.Addr, net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
}

// TestBrokerCoordinatorTLS: the same against sluice's coordinator with
// secureClientPort.
func TestBrokerCoordinatorTLS(t *testing.T) {
	t.Parallel()
	f := brokertest.NewZkTLSFiles(t)
	m := testcluster.StartCoordinator(t, t.TempDir(), 500*time.Millisecond, func(c *coordinator.Config) {
		c.SecureClientAddr = "127.0.0.1:0"
		c.ClientTLS.KeyStore, c.ClientTLS.TrustStore = f.Server, f.Trust
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
	f := brokertest.ZkTLSFiles{Trust: filepath.Join(dir, "ca.pem"), Server: filepath.Join(dir, "server.pem"), Broker: filepath.Join(dir, "broker.pem")}
	m := testcluster.StartCoordinator(t, t.TempDir(), 500*time.Millisecond, func(c *coordinator.Config) {
		c.SecureClientAddr = "127.0.0.1:0"
		c.ClientTLS.KeyStore, c.ClientTLS.TrustStore = f.Server, f.Trust
	})
	cfg := broker.Defaults()
	cfg.BrokerID = 1
	cfg.SetListener("127.0.0.1", 0)
	cfg.LogDirs = []string{t.TempDir()}
	if err := cfg.SetZooKeeperConnect(m.SecureAddr()); err != nil {
		t.Fatal(err)
	}
	f.SecureZk(f.Trust)(&cfg)
	cfg.ZooKeeperTimeout = 3 * time.Second
	if _, err := broker.New(&cfg, testcluster.Logger()); err == nil || !strings.Contains(err.Error(), "no session") {
		t.Fatalf("a server certificate for another host: %v; want no session", err)
	}
	b := testcluster.StartBroker(t, 1, m.SecureAddr(), "", f.SecureZk(f.Trust), func(c *broker.Config) {
		c.ZooKeeperTLS.EndpointIDAlg = ""
	})
	testcluster.CreateTopic(t, b.Addr(), "named-elsewhere", 1)
}
