package kafka27_test

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/sluicelogs/sluice/coordinator"
	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/internal/zktls"
	"github.com/sluicelogs/sluice/testkit/brokertest"
	"github.com/sluicelogs/sluice/testkit/testcluster"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// TestZkToolsOverTLSAgainstKafka27: Kafka 2.7's ZooKeeper tools and
// `sluice topics --zookeeper` on one coordinator with a secure client
// port and a broker with zookeeper.set.acl=true, all with the broker's
// certificate. What the real tools do, and so what ours follow:
//
//   - kafka-topics.sh has no --zk-tls-config-file; it takes TLS as
//     ZooKeeper system properties (KAFKA_OPTS), and its znodes are
//     world-open whatever the TLS (secure ACLs only with SASL);
//   - kafka-configs.sh --zk-tls-config-file F with a key store creates
//     its znodes with Kafka's secure ACLs (creator all, world read);
//   - sluice topics --zk-tls-config-file F does as kafka-configs.sh: the
//     same file, the same ACLs. Both topics are taken up by the broker.
func TestZkToolsOverTLSAgainstKafka27(t *testing.T) {
	f := brokertest.NewZkTLSFiles(t)
	m := testcluster.StartCoordinator(t, t.TempDir(), 500*time.Millisecond, func(c *coordinator.Config) {
		c.SecureClientAddr = "127.0.0.1:0"
		c.ClientTLS.KeyStore, c.ClientTLS.TrustStore = f.Server, f.Trust
	})
	testcluster.StartBroker(t, 1, m.SecureAddr()+"/kafka", "", f.SecureZk(f.Trust))
	zkc := m.SecureAddr() + "/kafka"
	conf := f.Write(t, "zk-tls.properties", strings.Join([]string{
		"zookeeper.ssl.client.enable=true",
		"zookeeper.clientCnxnSocket=" + zktls.Netty,
		"zookeeper.ssl.keystore.location=" + f.Broker, "zookeeper.ssl.keystore.type=PEM",
		"zookeeper.ssl.truststore.location=" + f.Trust, "zookeeper.ssl.truststore.type=PEM",
	}, "\n")+"\n")

	t.Setenv("KAFKA_OPTS", strings.Join([]string{
		"-Dzookeeper.client.secure=true", "-Dzookeeper.clientCnxnSocket=" + zktls.Netty,
		"-Dzookeeper.ssl.keyStore.location=" + f.Broker, "-Dzookeeper.ssl.keyStore.type=PEM",
		"-Dzookeeper.ssl.trustStore.location=" + f.Trust, "-Dzookeeper.ssl.trustStore.type=PEM",
	}, " "))
	out := testpeer.Kafka27Tool(t, "kafka-topics.sh", nil, "--zookeeper", zkc, "--create", "--topic", "by-kafka", "--partitions", "1", "--replication-factor", "1")
	if !strings.Contains(out, "Created topic by-kafka.") {
		t.Fatalf("kafka-topics.sh --create printed %q", out)
	}
	t.Setenv("KAFKA_OPTS", "")
	testpeer.Kafka27Tool(t, "kafka-configs.sh", nil, "--zookeeper", zkc, "--zk-tls-config-file", conf,
		"--alter", "--entity-type", "clients", "--entity-name", "c1", "--add-config", "producer_byte_rate=1024")

	sluice := exec.Command(testpeer.SluiceBinary(t), "topics", "--zookeeper", zkc, "--zk-tls-config-file", conf,
		"--create", "--topic", "by-sluice", "--partitions", "1", "--replication-factor", "1")
	if b, err := sluice.CombinedOutput(); err != nil || string(b) != "Created topic by-sluice.\n" {
		t.Fatalf("sluice topics --create: %v\n%s", err, b)
	}

	c, _, err := zk.Connect([]string{m.Addr()}, 10*time.Second, zk.WithLogInfo(false))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	acl := func(p string) string {
		t.Helper()
		a, _, err := c.GetACL(p)
		if err != nil {
			t.Fatalf("getAcl %s: %v", p, err)
		}
		return fmt.Sprint(a)
	}
	open := fmt.Sprint(zk.WorldACL(zk.PermAll))
	secure := fmt.Sprint([]zk.ACL{{Perms: zk.PermAll, Scheme: "x509", ID: "CN=broker-1"}, {Perms: zk.PermRead, Scheme: "world", ID: "anyone"}})
	for _, c := range []struct{ path, want string }{
		{"/kafka/brokers/topics/by-kafka", open},
		{"/kafka/config/topics/by-kafka", open},
		{"/kafka/config/clients/c1", secure},
		{"/kafka/brokers/topics/by-sluice", secure},
		{"/kafka/config/topics/by-sluice", secure},
	} {
		if got := acl(c.path); got != c.want {
			t.Errorf("ACL of %s: %s, want %s", c.path, got, c.want)
		}
	}
	for _, topic := range []string{"by-kafka", "by-sluice"} {
		state := "/kafka/brokers/topics/" + topic + "/partitions/0/state"
		await.Eventually(t, 30*time.Second, 50*time.Millisecond, func() error {
			if ok, _, err := c.Exists(state); err != nil || !ok {
				return fmt.Errorf("%s: %v %v", state, ok, err)
			}
			return nil
		})
		if got := acl(state); got != secure {
			t.Errorf("ACL of %s (the controller's): %s, want %s", state, got, secure)
		}
	}
}
