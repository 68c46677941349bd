package broker_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicelogs/sluice/broker"
	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/testkit/brokertest"
	"github.com/sluicelogs/sluice/testkit/testcluster"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// withSASLSSL makes a broker's only listener SASL_SSL (p's key store and
// CA; PLAIN and SCRAM-SHA-512 after the TLS handshake), the inter-broker
// listener too (admin over PLAIN), with the ACL authorizer and User:admin
// its super user.
func withSASLSSL(p *brokertest.PKI) func(*broker.Config) {
	return func(c *broker.Config) {
		c.ListenerName, c.InterBrokerListener = "SASL_SSL", "SASL_SSL"
		c.SSL.KeystoreLocation, c.SSL.TruststoreLocation = p.Server, p.CAFile
		c.SASL.EnabledMechanisms = []string{"PLAIN", "SCRAM-SHA-512"}
		c.SASL.InterBrokerMechanism = "PLAIN"
		c.SASL.JAAS = map[string]string{
			"sasl_ssl.PLAIN": saslAdminJAAS,
			"":               `org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="admin-secret";`,
		}
		brokertest.WithAuthorizer(false, "User:admin")(c)
	}
}

// kcatSASLSSL runs kcat over SASL_SSL with SCRAM-SHA-512 as user, trusting
// caFile; it returns stdout, stderr and whether it succeeded.
func kcatSASLSSL(t *testing.T, caFile, user, pass, stdin string, args ...string) (string, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	args = append([]string{"-X", "security.protocol=SASL_SSL", "-X", "ssl.ca.location=" + caFile,
		"-X", "sasl.mechanisms=SCRAM-SHA-512", "-X", "sasl.username=" + user, "-X", "sasl.password=" + pass}, args...)
	cmd := exec.CommandContext(ctx, testpeer.Kcat(t), args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return out.String(), errb.String(), err
}

// TestSASLSSLWithACLs: a broker that serves only SASL_SSL, with ACLs.
// Its admin (a super user, PLAIN) creates alice's SCRAM-SHA-512
// credential and gives her WRITE, READ and DESCRIBE on topic "logs" and
// READ on group "readers". Then, over TLS and SCRAM-SHA-512: kcat
// produces and consumes "logs", and is refused "secret" with Kafka's
// words; Kafka 3.9's console consumer reads "logs" in group "readers" and
// gets GroupAuthorizationException in group "others"; a wrong password
// fails authentication; a plaintext client gets nothing.
func TestSASLSSLWithACLs(t *testing.T) {
	t.Parallel() // waits on a JVM tool: see broker/doc.go
	p := brokertest.NewPKI(t)
	zkAddr := testcluster.Coordinator(t)
	b := testcluster.StartBroker(t, 1, zkAddr, "", withSASLSSL(p))
	addr := b.Addr()
	testpeer.Used(t, "kcat", "SASL_SSL SCRAM-SHA-512 with ACLs against the sluice broker")
	testpeer.Used(t, "kafka", testpeer.KafkaVersion+" console consumer over SASL_SSL with ACLs against the sluice broker")

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	admin := saslClient(t, addr, adminPlain(), kgo.DialTLSConfig(p.ClientTLS(t, "")))
	adm := kadm.NewClient(admin)
	res, err := adm.AlterUserSCRAMs(ctx, nil, []kadm.UpsertSCRAM{{User: "alice", Mechanism: kadm.ScramSha512, Iterations: 4096, Password: "alice-secret"}})
	if err != nil || res.Error() != nil {
		t.Fatalf("AlterUserScramCredentials: %v %v", err, res.Error())
	}
	for _, topic := range []string{"logs", "secret"} {
		if r, err := adm.CreateTopic(ctx, 1, 1, nil, topic); err != nil || r.Err != nil {
			t.Fatalf("create %s: %v %v", topic, err, r.Err)
		}
	}
	allow := func(rt kmsg.ACLResourceType, name string, op kmsg.ACLOperation) kmsg.CreateACLsRequestCreation {
		return brokertest.ACLCreation(rt, name, kmsg.ACLResourcePatternTypeLiteral, "User:alice", op, kmsg.ACLPermissionTypeAllow)
	}
	req := kmsg.NewPtrCreateACLsRequest()
	req.Creations = []kmsg.CreateACLsRequestCreation{
		allow(kmsg.ACLResourceTypeTopic, "logs", kmsg.ACLOperationWrite),
		allow(kmsg.ACLResourceTypeTopic, "logs", kmsg.ACLOperationRead),
		allow(kmsg.ACLResourceTypeTopic, "logs", kmsg.ACLOperationDescribe),
		allow(kmsg.ACLResourceTypeGroup, "readers", kmsg.ACLOperationRead),
	}
	resp, err := req.RequestWith(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range resp.Results {
		if r.ErrorCode != 0 {
			t.Fatalf("CreateAcls: error %d %v", r.ErrorCode, r.ErrorMessage)
		}
	}

	var lines strings.Builder
	for i := range 50 {
		fmt.Fprintf(&lines, "line-%02d\n", i)
	}
	// The ACLs reach the authorizer through the coordinator's change
	// notifications: wait until alice may write.
	await.Eventually(t, time.Minute, 100*time.Millisecond, func() error {
		if _, errOut, err := kcatSASLSSL(t, p.CAFile, "alice", "alice-secret", lines.String(), "-b", addr, "-t", "logs", "-P"); err != nil {
			return fmt.Errorf("kcat -P logs: %v\n%s", err, errOut)
		}
		return nil
	})
	got, errOut, err := kcatSASLSSL(t, p.CAFile, "alice", "alice-secret", "", "-b", addr, "-t", "logs", "-C", "-e", "-q")
	if err != nil || got != lines.String() {
		t.Fatalf("kcat -C logs: %v\n%s\ngot %q", err, errOut, got)
	}
	if _, errOut, err := kcatSASLSSL(t, p.CAFile, "alice", "alice-secret", "x\n", "-b", addr, "-t", "secret", "-P"); err == nil || !strings.Contains(errOut, "Topic authorization failed") {
		t.Fatalf("kcat -P secret: %v\n%s", err, errOut)
	}
	if _, errOut, err := kcatSASLSSL(t, p.CAFile, "alice", "wrong", "", "-b", addr, "-L", "-m", "10"); err == nil || !strings.Contains(errOut, "Authentication failed") {
		t.Fatalf("kcat with a wrong password: %v\n%s", err, errOut)
	}

	// Kafka 3.9's console consumer: SASL_SSL with a PEM trust store.
	props := filepath.Join(t.TempDir(), "alice.properties")
	text := "security.protocol=SASL_SSL\nsasl.mechanism=SCRAM-SHA-512\n" +
		`sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="alice" password="alice-secret";` + "\n" +
		"ssl.truststore.type=PEM\nssl.truststore.location=" + p.CAFile + "\n"
	if err := os.WriteFile(props, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	out := testpeer.KafkaTool(t, "kafka-console-consumer.sh", nil, "--bootstrap-server", addr, "--consumer.config", props,
		"--topic", "logs", "--group", "readers", "--from-beginning", "--max-messages", "50", "--timeout-ms", "60000")
	if !strings.Contains(out, "line-00") || !strings.Contains(out, "line-49") {
		t.Fatalf("console consumer in group readers:\n%s", out)
	}
	stdout, stderr, _ := testpeer.KafkaToolExit(t, "kafka-console-consumer.sh", nil, "--bootstrap-server", addr, "--consumer.config", props,
		"--topic", "logs", "--group", "others", "--from-beginning", "--max-messages", "1", "--timeout-ms", "30000")
	if !strings.Contains(stdout+stderr, "GroupAuthorizationException") {
		t.Fatalf("console consumer in group others: want GroupAuthorizationException\n%s\n%s", stdout, stderr)
	}

	// A plaintext Kafka client on the SASL_SSL port gets no answer.
	plainCl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.RequestRetries(0), kgo.DialTimeout(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer plainCl.Close()
	pctx, pcancel := context.WithTimeout(ctx, 15*time.Second)
	defer pcancel()
	if _, err := kmsg.NewPtrMetadataRequest().RequestWith(pctx, plainCl); err == nil {
		t.Fatal("a plaintext client got Metadata from the SASL_SSL listener")
	}
}
