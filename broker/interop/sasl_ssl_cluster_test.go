package interop_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/testkit/brokertest"
	"github.com/sluicelogs/sluice/testkit/testcluster"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// TestSASLSSLClusterWithACLs: three sluice broker processes whose only
// listener is SASL_SSL, replicating to each other over it as the super
// user admin with SCRAM-SHA-512 (its credential written into the
// coordinator before they start by Kafka 3.9's kafka-configs.sh
// --zookeeper, as Kafka's docs bootstrap the inter-broker user), with
// ACLs and allow.everyone.if.no.acl.found=false; topic "logs" has three
// replicas and min.insync.replicas=2 (brokertest.SASLSSLCluster). As alice, over
// TLS and SCRAM-SHA-512: kcat produces with acks=all and reads back; it is
// refused "secret" with "Topic authorization failed" and a wrong password
// with "Authentication failed"; Kafka 3.9's console producer writes and
// its console consumer reads in group "readers" and gets
// GroupAuthorizationException in group "others". Then the leader of
// logs/0 is killed with SIGKILL: every acknowledged line is read back
// exactly once, in order, through kcat from the new leader, which only
// replication over SASL_SSL gave it; and acks=all writes go on with the
// two brokers left. broker/clustertest's TestSASLSSLFailover does the
// same with franz-go alone.
func TestSASLSSLClusterWithACLs(t *testing.T) {
	t.Parallel() // waits on JVM tools: see doc.go
	p := brokertest.NewPKI(t)
	zkAddr := testcluster.Coordinator(t)
	testpeer.Kcat(t) // a missing peer fails the test before the cluster starts
	testpeer.Used(t, "kafka", testpeer.KafkaVersion+" kafka-configs.sh --zookeeper, console producer and consumer over SASL_SSL with ACLs against a three-broker sluice cluster")
	testpeer.Used(t, "kcat", "SASL_SSL SCRAM-SHA-512 with ACLs against a three-broker sluice cluster, before and after kill -9 of a leader")

	// The inter-broker user's credential goes into the coordinator before
	// any broker runs, as Kafka's docs bootstrap it.
	out := testpeer.KafkaTool(t, "kafka-configs.sh", nil, "--zookeeper", zkAddr, "--alter", "--add-config",
		"SCRAM-SHA-512=[iterations=4096,password=admin-secret]", "--entity-type", "users", "--entity-name", "admin")
	if !strings.Contains(out, "Completed updating config for entity: user-principal 'admin'.") {
		t.Fatalf("kafka-configs.sh --zookeeper printed:\n%s", out)
	}
	c := brokertest.StartSASLSSLCluster(t, zkAddr, p)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c.SetUpAlice(t, ctx)
	bootstrap := strings.Join(c.Addrs, ",")
	kcat := func(bootstrap, user, pass, stdin string, args ...string) (string, string, error) {
		return brokertest.KcatSASLSSL(t, p.CAFile, user, pass, stdin, append([]string{"-b", bootstrap}, args...)...)
	}

	var lines strings.Builder
	for i := range 50 {
		fmt.Fprintf(&lines, "kcat-%02d\n", i)
	}
	if _, errOut, err := kcat(bootstrap, "alice", "alice-secret", lines.String(), "-t", "logs", "-P", "-X", "acks=all"); err != nil {
		t.Fatalf("kcat -P logs: %v\n%s", err, errOut)
	}
	got, errOut, err := kcat(bootstrap, "alice", "alice-secret", "", "-t", "logs", "-C", "-e", "-q")
	if err != nil || got != lines.String() {
		t.Fatalf("kcat -C logs: %v\n%s\ngot %q", err, errOut, got)
	}
	if _, errOut, err := kcat(bootstrap, "alice", "alice-secret", "x\n", "-t", "secret", "-P"); err == nil || !strings.Contains(errOut, "Topic authorization failed") {
		t.Fatalf("kcat -P secret: %v\n%s", err, errOut)
	}
	if _, errOut, err := kcat(bootstrap, "alice", "wrong", "", "-L", "-m", "10"); err == nil || !strings.Contains(errOut, "Authentication failed") {
		t.Fatalf("kcat with a wrong password: %v\n%s", err, errOut)
	}

	// Kafka 3.9's console producer and consumer, SASL_SSL with a PEM
	// trust store.
	props := brokertest.SASLSSLClientProps(t, p.CAFile, "alice", "alice-secret")
	var more strings.Builder
	for i := range 50 {
		fmt.Fprintf(&more, "java-%02d\n", i)
	}
	testpeer.KafkaTool(t, "kafka-console-producer.sh", strings.NewReader(more.String()), "--bootstrap-server", bootstrap,
		"--producer.config", props, "--producer-property", "acks=all", "--topic", "logs")
	acked := lines.String() + more.String()
	brokertest.ConsoleConsumerACLs(t, bootstrap, props, "logs", 100, "kcat-00", "kcat-49", "java-00", "java-49")

	rest := strings.Join(c.KillLeader(t, ctx, "logs"), ",")
	// kcat -C -e stops at the high watermark, which the new leader may
	// still be raising: read until it has everything.
	readAll := func(want string) {
		t.Helper()
		await.Eventually(t, time.Minute, 100*time.Millisecond, func() error {
			got, errOut, err := kcat(rest, "alice", "alice-secret", "", "-t", "logs", "-C", "-e", "-q")
			if err != nil {
				return fmt.Errorf("kcat -C logs after the kill: %v\n%s", err, errOut)
			}
			if got != want {
				return fmt.Errorf("after the kill, kcat read:\n%s\nwant every acknowledged line once, in order:\n%s", got, want)
			}
			return nil
		})
	}
	readAll(acked)
	// Two of three replicas are still min.insync.replicas: acks=all goes on.
	if _, errOut, err := kcat(rest, "alice", "alice-secret", "after-kill\n", "-t", "logs", "-P", "-X", "acks=all"); err != nil {
		t.Fatalf("kcat -P logs after the kill: %v\n%s", err, errOut)
	}
	readAll(acked + "after-kill\n")
}
