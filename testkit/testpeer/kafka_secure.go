package testpeer

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/sluicelogs/sluice/internal/pemtls"
	"github.com/sluicelogs/sluice/testkit/proc"
)

// SecureKafka is an Apache Kafka node with, beside its PLAINTEXT listener
// (for the test's own admin and checks), a SASL_SSL listener taking
// SCRAM-SHA-512 and SCRAM-SHA-256, with a PEM key store
// (ssl.keystore.type=PEM) issued by a CA of the test.
type SecureKafka struct {
	*Brokers
	SASLAddr string // host:port of the SASL_SSL listener
	CAFile   string // PEM of the CA that issued the broker's certificate
	CA       *pemtls.CA
}

// StartKafkaSASLSSL starts a SecureKafka for a test (StartKafka) whose
// SCRAM users are users (name → password), created for both SHA-256 and
// SHA-512 when the node's storage is formatted.
func StartKafkaSASLSSL(tb testing.TB, users map[string]string) *SecureKafka {
	tb.Helper()
	root, _ := kafkaPaths(tb)
	dir := tb.TempDir()
	ca, err := pemtls.NewCA("sluice test Kafka CA", 24*time.Hour)
	if err != nil {
		tb.Fatal(err)
	}
	cert, err := ca.Issue("kafka", []string{"127.0.0.1", "localhost"}, time.Time{}, time.Time{})
	if err != nil {
		tb.Fatal(err)
	}
	caFile, keyStore := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "keystore.pem")
	for f, b := range map[string][]byte{caFile: ca.PEM(), keyStore: cert.KeyStore()} {
		if err := os.WriteFile(f, b, 0o600); err != nil {
			tb.Fatal(err)
		}
	}
	saslPort, err := proc.FreePort()
	if err != nil {
		tb.Fatal(err)
	}
	names := make([]string, 0, len(users))
	for n := range users {
		names = append(names, n)
	}
	sort.Strings(names)
	var scram []string
	for _, n := range names {
		for _, m := range []string{"SCRAM-SHA-256", "SCRAM-SHA-512"} {
			scram = append(scram, fmt.Sprintf("%s=[name=%s,password=%s]", m, n, users[n]))
		}
	}
	props := func(_, port, cport int) string {
		return KafkaSASLSSLProperties(port, cport, saslPort, keyStore, caFile, "SCRAM-SHA-512", "SCRAM-SHA-256")
	}
	k := BrokersFor(tb, BrokersSpec{Kind: KindKafka, Kafka: filepath.Join(root, "deploy", "kafka", "run.sh"),
		StartLimit: 90 * time.Second, KafkaProperties: props, KafkaSCRAM: scram})
	sasl := fmt.Sprintf("127.0.0.1:%d", saslPort)
	Used(tb, "kafka", KafkaVersion+" at "+k.Addr+", SASL_SSL at "+sasl)
	return &SecureKafka{Brokers: k, SASLAddr: sasl, CAFile: caFile, CA: ca}
}

// KafkaSASLSSLProperties are the server.properties lines (for
// BrokersSpec.KafkaProperties) of a Kafka node that keeps its PLAINTEXT
// listener on port (the readiness check's, and deploy/kafka/run.sh's
// inter-broker listener) and its CONTROLLER on controllerPort, and adds a
// SASL_SSL listener on saslPort taking the SCRAM mechanisms, with the PEM
// key store keyStore and trust store caFile.
func KafkaSASLSSLProperties(port, controllerPort, saslPort int, keyStore, caFile string, mechanisms ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `listeners=PLAINTEXT://127.0.0.1:%[1]d,CONTROLLER://127.0.0.1:%[2]d,SASL_SSL://127.0.0.1:%[3]d
advertised.listeners=PLAINTEXT://127.0.0.1:%[1]d,SASL_SSL://127.0.0.1:%[3]d
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL
sasl.enabled.mechanisms=%[4]s
`, port, controllerPort, saslPort, strings.Join(mechanisms, ","))
	for _, m := range mechanisms {
		fmt.Fprintf(&b, "listener.name.sasl_ssl.%s.sasl.jaas.config=%s\n", strings.ToLower(m), ScramJAAS)
	}
	fmt.Fprintf(&b, "ssl.keystore.type=PEM\nssl.keystore.location=%s\nssl.truststore.type=PEM\nssl.truststore.location=%s\n", keyStore, caFile)
	return b.String()
}

// ScramJAAS is the login module line of a SCRAM mechanism on a broker's
// listener (listener.name.<listener>.scram-sha-512.sasl.jaas.config):
// Kafka's and sluice's alike.
const ScramJAAS = "org.apache.kafka.common.security.scram.ScramLoginModule required;"
