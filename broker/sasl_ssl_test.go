package broker_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/testkit/brokertest"
	"github.com/sluicelogs/sluice/testkit/testcluster"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

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
	b := testcluster.StartBroker(t, 1, zkAddr, "", brokertest.WithSASLSSL(p, "PLAIN"))
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
	brokertest.CreateACLsWith(t, ctx, admin,
		allow(kmsg.ACLResourceTypeTopic, "logs", kmsg.ACLOperationWrite),
		allow(kmsg.ACLResourceTypeTopic, "logs", kmsg.ACLOperationRead),
		allow(kmsg.ACLResourceTypeTopic, "logs", kmsg.ACLOperationDescribe),
		allow(kmsg.ACLResourceTypeGroup, "readers", kmsg.ACLOperationRead),
	)

	var lines strings.Builder
	for i := range 50 {
		fmt.Fprintf(&lines, "line-%02d\n", i)
	}
	// The ACLs reach the authorizer through the coordinator's change
	// notifications: wait until alice may write.
	await.Eventually(t, time.Minute, 100*time.Millisecond, func() error {
		if _, errOut, err := brokertest.KcatSASLSSL(t, p.CAFile, "alice", "alice-secret", lines.String(), "-b", addr, "-t", "logs", "-P"); err != nil {
			return fmt.Errorf("kcat -P logs: %v\n%s", err, errOut)
		}
		return nil
	})
	got, errOut, err := brokertest.KcatSASLSSL(t, p.CAFile, "alice", "alice-secret", "", "-b", addr, "-t", "logs", "-C", "-e", "-q")
	if err != nil || got != lines.String() {
		t.Fatalf("kcat -C logs: %v\n%s\ngot %q", err, errOut, got)
	}
	if _, errOut, err := brokertest.KcatSASLSSL(t, p.CAFile, "alice", "alice-secret", "x\n", "-b", addr, "-t", "secret", "-P"); err == nil || !strings.Contains(errOut, "Topic authorization failed") {
		t.Fatalf("kcat -P secret: %v\n%s", err, errOut)
	}
	if _, errOut, err := brokertest.KcatSASLSSL(t, p.CAFile, "alice", "wrong", "", "-b", addr, "-L", "-m", "10"); err == nil || !strings.Contains(errOut, "Authentication failed") {
		t.Fatalf("kcat with a wrong password: %v\n%s", err, errOut)
	}

	// Kafka 3.9's console consumer: SASL_SSL with a PEM trust store.
	props := brokertest.SASLSSLClientProps(t, p.CAFile, "alice", "alice-secret")
	brokertest.ConsoleConsumerACLs(t, addr, props, "logs", 50, "line-00", "line-49")

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
