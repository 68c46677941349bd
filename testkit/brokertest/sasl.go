package brokertest

// SASL_SSL helpers of the broker's SASL tests: brokers whose only
// listener is SASL_SSL with ACLs, and clients (kcat, Kafka's CLI tools,
// franz-go) logging in over it.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	ksasl "github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/sluicelogs/sluice/broker"
	"github.com/sluicelogs/sluice/internal/kadmin"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// AdminPlainJAAS is the PLAIN login module of the SASL tests' brokers:
// admin (the inter-broker user and super user) and alice.
const AdminPlainJAAS = `org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" user_admin="admin-secret" user_alice="alice-plain";`

// AdminScramJAAS is the SCRAM login module of the SASL tests' brokers:
// admin's password for the inter-broker SCRAM logins (its credential is
// made in the coordinator before the brokers talk to each other).
const AdminScramJAAS = `org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="admin-secret";`

// WithSASLSSL makes a broker's only listener SASL_SSL (p's key store and
// CA; PLAIN and SCRAM-SHA-512 after the TLS handshake), the inter-broker
// listener too, logging in to the other brokers as admin with
// interBroker (PLAIN or SCRAM-SHA-512), with the ACL authorizer
// (allow.everyone.if.no.acl.found=false) and User:admin its super user.
func WithSASLSSL(p *PKI, interBroker string) func(*broker.Config) {
	return func(c *broker.Config) {
		c.ListenerName, c.InterBrokerListener = "SASL_SSL", "SASL_SSL"
		c.SSL.KeystoreLocation, c.SSL.TruststoreLocation = p.Server, p.CAFile
		c.SASL.EnabledMechanisms = []string{"PLAIN", "SCRAM-SHA-512"}
		c.SASL.InterBrokerMechanism = interBroker
		c.SASL.JAAS = map[string]string{"sasl_ssl.PLAIN": AdminPlainJAAS, "": AdminScramJAAS}
		WithAuthorizer(false, "User:admin")(c)
	}
}

// KcatSASLSSL runs kcat over SASL_SSL with SCRAM-SHA-512 as user, trusting
// caFile; it returns stdout, stderr and whether it succeeded (at most a
// minute).
func KcatSASLSSL(t testing.TB, caFile, user, pass, stdin string, args ...string) (string, string, error) {
	t.Helper()
	return KcatRun(t, stdin, append([]string{"-X", "security.protocol=SASL_SSL", "-X", "ssl.ca.location=" + caFile,
		"-X", "sasl.mechanisms=SCRAM-SHA-512", "-X", "sasl.username=" + user, "-X", "sasl.password=" + pass}, args...)...)
}

// SASLSSLClientProps writes the client properties file of Kafka's CLI
// tools for user over SASL_SSL with SCRAM-SHA-512 and caFile as PEM trust
// store, and returns its path.
func SASLSSLClientProps(t testing.TB, caFile, user, pass string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), user+".properties")
	text := "security.protocol=SASL_SSL\nsasl.mechanism=SCRAM-SHA-512\n" +
		fmt.Sprintf(`sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="%s" password="%s";`, user, pass) + "\n" +
		"ssl.truststore.type=PEM\nssl.truststore.location=" + caFile + "\n"
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// ScramSHA512 is franz-go's SCRAM-SHA-512 client mechanism for user.
func ScramSHA512(user, pass string) ksasl.Mechanism {
	return scram.Auth{User: user, Pass: pass}.AsSha512Mechanism()
}

// SASLSSLOpts are the franz-go options of a client logging in with mech
// over TLS trusting p's CA.
func SASLSSLOpts(t testing.TB, p *PKI, mech ksasl.Mechanism) []kgo.Opt {
	t.Helper()
	return []kgo.Opt{kgo.DialTLSConfig(p.ClientTLS(t, "")), kgo.SASL(mech)}
}

// ReadySASLSSL is StartBrokerProcsReady's check for SASL_SSL brokers:
// Metadata over TLS as the given user (SCRAM-SHA-512) lists n brokers.
func ReadySASLSSL(t testing.TB, p *PKI, user, pass string) func(ctx context.Context, addr string, n int) error {
	t.Helper()
	opts := SASLSSLOpts(t, p, ScramSHA512(user, pass))
	return func(ctx context.Context, addr string, n int) error {
		return kadmin.ReadyBrokers(ctx, addr, n, opts...)
	}
}

// CreateACLsWith creates cs through cl and fails the test on any error.
func CreateACLsWith(t testing.TB, ctx context.Context, cl *kgo.Client, cs ...kmsg.CreateACLsRequestCreation) {
	t.Helper()
	req := kmsg.NewPtrCreateACLsRequest()
	req.Creations = cs
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range resp.Results {
		if r.ErrorCode != 0 {
			t.Fatalf("CreateAcls: error %d %v", r.ErrorCode, r.ErrorMessage)
		}
	}
}

// ConsoleConsumerACLs runs Kafka 3.9's console consumer with the client
// properties props as a user who may read topic in group "readers" only:
// in "readers" it reads n records from the start and prints each of
// want; in group "others" it fails with GroupAuthorizationException.
func ConsoleConsumerACLs(t testing.TB, bootstrap, props, topic string, n int, want ...string) {
	t.Helper()
	out := testpeer.KafkaTool(t, "kafka-console-consumer.sh", nil, "--bootstrap-server", bootstrap, "--consumer.config", props,
		"--topic", topic, "--group", "readers", "--from-beginning", "--max-messages", strconv.Itoa(n), "--timeout-ms", "60000")
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Fatalf("console consumer in group readers: no %q in\n%s", w, out)
		}
	}
	stdout, stderr, _ := testpeer.KafkaToolExit(t, "kafka-console-consumer.sh", nil, "--bootstrap-server", bootstrap, "--consumer.config", props,
		"--topic", topic, "--group", "others", "--from-beginning", "--max-messages", "1", "--timeout-ms", "30000")
	if !strings.Contains(stdout+stderr, "GroupAuthorizationException") {
		t.Fatalf("console consumer in group others: want GroupAuthorizationException\n%s\n%s", stdout, stderr)
	}
}
