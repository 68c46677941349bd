package interop_test

import (
	"context"
	"fmt"
	"os/exec"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/sluicelogs/sluice/broker"
	"github.com/sluicelogs/sluice/testkit/brokertest"
	"github.com/sluicelogs/sluice/testkit/testcluster"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// withMTLS adds MTLS, a second SSL listener that requires client
// certificates (listener.name.mtls.ssl.client.auth=required).
func withMTLS(c *broker.Config) {
	c.MoreListeners = append(c.MoreListeners, broker.Listener{Name: "MTLS", Addr: "127.0.0.1:0", AdvertisedHost: "127.0.0.1"})
	c.ProtocolMap = map[string]string{"PLAINTEXT": "PLAINTEXT", "SSL": "SSL", "MTLS": "SSL"}
	s := c.SSL
	s.ClientAuth = "required"
	c.ListenerSSL = map[string]broker.SSLConfig{"MTLS": s}
}

// TestKcatSSL: kcat (librdkafka) over SSL with the CA as its trust
// store, without a client certificate on a listener that does not ask
// for one and with one where it is required; without one there, kcat
// gets nowhere and the broker logs why.
func TestKcatSSL(t *testing.T) {
	p := brokertest.NewPKI(t)
	zk := testcluster.Coordinator(t)
	b, logs := brokertest.StartLoggedBroker(t, 1, zk, brokertest.WithSSL(p, "none"), withMTLS)
	testcluster.CreateTopic(t, b.Addr(), "kcat-tls", 1)
	testpeer.Used(t, "kcat", "over SSL against the sluice broker")
	ssl := []string{"-X", "security.protocol=ssl", "-X", "ssl.ca.location=" + p.CAFile}
	cert := []string{"-X", "ssl.certificate.location=" + p.Client, "-X", "ssl.key.location=" + p.Client}

	meta := brokertest.Kcat(t, "", append([]string{"-b", b.ListenerAddr("SSL"), "-L"}, ssl...)...)
	if !strings.Contains(meta, "broker 1 at "+b.ListenerAddr("SSL")) {
		t.Fatalf("kcat -L over SSL does not name the SSL endpoint %s:\n%s", b.ListenerAddr("SSL"), meta)
	}
	var lines strings.Builder
	for i := 0; i < 500; i++ {
		fmt.Fprintf(&lines, "line-%03d\n", i)
	}
	brokertest.Kcat(t, lines.String(), append([]string{"-b", b.ListenerAddr("SSL"), "-t", "kcat-tls", "-P", "-X", "acks=all"}, ssl...)...)
	got := brokertest.Kcat(t, "", append(append([]string{"-b", b.ListenerAddr("MTLS"), "-t", "kcat-tls", "-C", "-e", "-q", "-f", "%s\n"}, ssl...), cert...)...)
	if got != lines.String() {
		t.Fatalf("kcat over mutual TLS read back %d bytes, want the %d written", len(got), lines.Len())
	}

	// No client certificate where one is required.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, testpeer.Kcat(t), append([]string{"-b", b.ListenerAddr("MTLS"), "-L", "-m", "5"}, ssl...)...)
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("kcat without a client certificate got metadata from a listener that requires one:\n%s", out)
	}
	brokertest.AwaitLog(t, logs, "certificate")
}

// TestKafkaCLISSL: Apache Kafka 3.9's tools over SSL with a PEM trust
// store (Java reads PEM since Kafka 2.7): kafka-topics.sh creates and
// describes a topic, the console producer and consumer move lines
// through it, each given --command-config/--producer.config/
// --consumer.config of security.protocol=SSL; and with a client
// certificate on the listener that requires one.
func TestKafkaCLISSL(t *testing.T) {
	t.Parallel() // spends its time waiting on Kafka's JVM tools: see helpers_test.go
	p := brokertest.NewPKI(t)
	zk := testcluster.Coordinator(t)
	b := testcluster.StartBroker(t, 1, zk, "", brokertest.WithSSL(p, "none"), withMTLS)
	testpeer.Used(t, "kafka", testpeer.KafkaVersion+" CLI tools over SSL against the sluice broker")
	props := p.Write(t, "client.properties", []byte("security.protocol=SSL\nssl.truststore.type=PEM\nssl.truststore.location="+p.CAFile+"\n"))
	mtls := p.Write(t, "mtls.properties", []byte("security.protocol=SSL\nssl.truststore.type=PEM\nssl.truststore.location="+p.CAFile+
		"\nssl.keystore.type=PEM\nssl.keystore.location="+p.Client+"\n"))
	ssl, mssl := b.ListenerAddr("SSL"), b.ListenerAddr("MTLS")

	out := testpeer.KafkaTool(t, "kafka-topics.sh", nil, "--bootstrap-server", ssl, "--command-config", props,
		"--create", "--topic", "tls", "--partitions", "2", "--replication-factor", "1")
	if !strings.Contains(out, "Created topic tls.") {
		t.Fatalf("kafka-topics.sh --create over SSL printed:\n%s", out)
	}
	out = testpeer.KafkaTool(t, "kafka-topics.sh", nil, "--bootstrap-server", mssl, "--command-config", mtls, "--describe", "--topic", "tls")
	if !strings.Contains(out, "PartitionCount: 2") {
		t.Fatalf("kafka-topics.sh --describe over mutual TLS printed:\n%s", out)
	}
	const n = 300
	var in strings.Builder
	var want []string
	for i := 0; i < n; i++ {
		fmt.Fprintf(&in, "v-%03d\n", i)
		want = append(want, fmt.Sprintf("v-%03d", i))
	}
	testpeer.KafkaTool(t, "kafka-console-producer.sh", strings.NewReader(in.String()),
		"--bootstrap-server", ssl, "--topic", "tls", "--producer.config", props, "--producer-property", "acks=all")
	out = testpeer.KafkaTool(t, "kafka-console-consumer.sh", nil, "--bootstrap-server", mssl, "--topic", "tls",
		"--consumer.config", mtls, "--from-beginning", "--max-messages", fmt.Sprint(n), "--group", "tls-group", "--timeout-ms", "60000")
	got := strings.Split(strings.TrimRight(out, "\n"), "\n")
	sort.Strings(got)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("kafka-console-consumer.sh over mutual TLS printed %d lines, want %d:\n%s", len(got), n, out)
	}
}

// TestKafka27ReadsRegistrations: Kafka 2.7's kafka-topics.sh --zookeeper
// assigns replicas from the brokers' registrations: it decodes broker 1's
// (PLAINTEXT and SSL endpoints) and broker 2's (SSL only: host null, port
// -1) and places a two-replica topic on both.
func TestKafka27ReadsRegistrations(t *testing.T) {
	t.Parallel() // spends its time waiting on Kafka's JVM tools: see helpers_test.go
	p := brokertest.NewPKI(t)
	zk := testcluster.Coordinator(t)
	b1 := testcluster.StartBroker(t, 1, zk, "", brokertest.WithSSL(p, "none"))
	testcluster.StartBroker(t, 2, zk, "", brokertest.WithSSL(p, "none"), func(c *broker.Config) {
		c.MoreListeners = nil
		c.ListenerName, c.InterBrokerListener = "SSL", "SSL"
	})
	testpeer.Used(t, "kafka27", testpeer.Kafka27Version+" kafka-topics.sh --zookeeper reading SSL registrations")
	out := testpeer.Kafka27Tool(t, "kafka-topics.sh", nil, "--zookeeper", zk, "--create", "--topic", "both", "--partitions", "2", "--replication-factor", "2")
	if !strings.Contains(out, "Created topic both.") {
		t.Fatalf("kafka-topics.sh --create --zookeeper printed:\n%s", out)
	}
	parts := brokertest.AwaitISR(t, b1.Addr(), "both", []int32{1, 2})
	if len(parts) != 2 {
		t.Fatalf("partitions %+v", parts)
	}
}
