package broker_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/sluicelogs/sluice/testkit/brokertest"
	"github.com/sluicelogs/sluice/testkit/testcluster"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// clientProps writes a Kafka client's --command-config for SASL_PLAINTEXT
// with mech as user.
func clientProps(t *testing.T, mech, user, pass string) string {
	t.Helper()
	module := "org.apache.kafka.common.security.scram.ScramLoginModule"
	if mech == "PLAIN" {
		module = "org.apache.kafka.common.security.plain.PlainLoginModule"
	}
	path := filepath.Join(t.TempDir(), user+"-"+mech+".properties")
	text := fmt.Sprintf("security.protocol=SASL_PLAINTEXT\nsasl.mechanism=%s\nsasl.jaas.config=%s required username=\"%s\" password=\"%s\";\n",
		mech, module, user, pass)
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// kcatSASL runs kcat as user over SASL_PLAINTEXT with mech; it returns
// stdout and stderr and whether it succeeded.
func kcatSASL(t *testing.T, mech, user, pass, stdin string, args ...string) (string, string, error) {
	t.Helper()
	return brokertest.KcatRun(t, stdin, append([]string{"-X", "security.protocol=SASL_PLAINTEXT", "-X", "sasl.mechanisms=" + mech,
		"-X", "sasl.username=" + user, "-X", "sasl.password=" + pass}, args...)...)
}

// TestSASLKcat: librdkafka logs in with SCRAM-SHA-512 (a credential made
// with Kafka 2.7's kafka-configs.sh --zookeeper against our coordinator,
// as an operator of a ZooKeeper-mode Kafka would), produces and consumes;
// with a wrong password it names the authentication failure; the broker
// keeps serving.
func TestSASLKcat(t *testing.T) {
	t.Parallel() // waits on a JVM tool: see helpers_test.go
	zkAddr := testcluster.Coordinator(t)
	b := testcluster.StartBroker(t, 1, zkAddr, "", withSASL("PLAIN"))
	addr := b.Addr()
	testpeer.Used(t, "kcat", "SASL_PLAINTEXT SCRAM-SHA-512 against the sluice broker")
	testpeer.Used(t, "kafka27", "kafka-configs.sh --zookeeper writing a SCRAM credential into the sluice coordinator")
	out := testpeer.Kafka27Tool(t, "kafka-configs.sh", nil, "--zookeeper", zkAddr, "--alter", "--add-config",
		"SCRAM-SHA-512=[iterations=8192,password=alice-secret]", "--entity-type", "users", "--entity-name", "alice")
	if !strings.Contains(out, "Completed updating config for entity: user-principal 'alice'.") {
		t.Logf("kafka-configs.sh printed: %s", out)
	}

	var lines strings.Builder
	for i := range 100 {
		fmt.Fprintf(&lines, "line-%03d\n", i)
	}
	if _, errOut, err := kcatSASL(t, "SCRAM-SHA-512", "alice", "alice-secret", lines.String(), "-b", addr, "-t", "sasl-kcat", "-P"); err != nil {
		t.Fatalf("kcat -P: %v\n%s", err, errOut)
	}
	got, errOut, err := kcatSASL(t, "SCRAM-SHA-512", "alice", "alice-secret", "", "-b", addr, "-t", "sasl-kcat", "-C", "-e", "-q")
	if err != nil || got != lines.String() {
		t.Fatalf("kcat -C: %v\n%s\ngot %d bytes, want %d", err, errOut, len(got), lines.Len())
	}

	_, errOut, err = kcatSASL(t, "SCRAM-SHA-512", "alice", "wrong", "", "-b", addr, "-L", "-m", "10")
	if err == nil || !strings.Contains(errOut, "Authentication failed") {
		t.Fatalf("kcat with a wrong password: %v\n%s", err, errOut)
	}
	_, errOut, err = kcatSASL(t, "SCRAM-SHA-256", "alice", "alice-secret", "", "-b", addr, "-L", "-m", "10")
	if err == nil || !strings.Contains(errOut, "Authentication failed") {
		t.Fatalf("kcat with SCRAM-SHA-256, which alice has no credential of: %v\n%s", err, errOut)
	}
	if out, errOut, err := kcatSASL(t, "PLAIN", "alice", "alice-plain", "", "-b", addr, "-L"); err != nil || !strings.Contains(out, `topic "sasl-kcat"`) {
		t.Fatalf("kcat PLAIN after the failures: %v\n%s\n%s", err, out, errOut)
	}
}

// TestSASLKafkaCLI: Apache Kafka 3.9's tools over SASL_PLAINTEXT:
// kafka-configs.sh --bootstrap-server creates, describes and deletes
// SCRAM credentials (AlterUserScramCredentials, DescribeUserScramCredentials),
// the console producer logs in with SCRAM-SHA-256 and the console consumer
// with PLAIN; a wrong password fails with Kafka's message; Kafka 2.7's
// kafka-configs.sh --zookeeper reads what the broker wrote.
func TestSASLKafkaCLI(t *testing.T) {
	t.Parallel() // waits on JVM tools: see helpers_test.go
	zkAddr := testcluster.Coordinator(t)
	b := testcluster.StartBroker(t, 1, zkAddr, "", withSASL("PLAIN"))
	addr := b.Addr()
	testpeer.Used(t, "kafka", testpeer.KafkaVersion+" CLI tools over SASL_PLAINTEXT against the sluice broker")
	admin := clientProps(t, "PLAIN", "admin", "admin-secret")
	configs := func(t *testing.T, args ...string) string {
		t.Helper()
		return testpeer.KafkaTool(t, "kafka-configs.sh", nil, append([]string{"--bootstrap-server", addr, "--command-config", admin,
			"--entity-type", "users", "--entity-name", "alice"}, args...)...)
	}

	t.Run("alter", func(t *testing.T) {
		out := configs(t, "--alter", "--add-config", "SCRAM-SHA-256=[iterations=8192,password=alice-secret],SCRAM-SHA-512=[password=alice-secret]")
		if !strings.Contains(out, "Completed updating config for user alice.") {
			t.Fatalf("kafka-configs.sh --alter printed:\n%s", out)
		}
	})
	t.Run("describe", func(t *testing.T) {
		out := configs(t, "--describe")
		if !strings.Contains(out, "SCRAM credential configs for user-principal 'alice' are SCRAM-SHA-256=iterations=8192, SCRAM-SHA-512=iterations=4096") {
			t.Fatalf("kafka-configs.sh --describe printed:\n%s", out)
		}
	})
	t.Run("zookeeper describe", func(t *testing.T) {
		out := testpeer.Kafka27Tool(t, "kafka-configs.sh", nil, "--zookeeper", zkAddr, "--describe", "--entity-type", "users", "--entity-name", "alice")
		// Kafka 2.7 prints the mechanisms in its map's order.
		cred := `salt=[A-Za-z0-9+/=]+,stored_key=[A-Za-z0-9+/=]+,server_key=[A-Za-z0-9+/=]+,iterations=`
		sha256 := regexp.MustCompile(`SCRAM-SHA-256=` + cred + `8192\b`)
		sha512 := regexp.MustCompile(`SCRAM-SHA-512=` + cred + `4096\b`)
		if !strings.Contains(out, "Configs for user-principal 'alice' are ") || !sha256.MatchString(out) || !sha512.MatchString(out) {
			t.Fatalf("Kafka 2.7 kafka-configs.sh --zookeeper --describe printed:\n%s", out)
		}
	})
	t.Run("produce and consume", func(t *testing.T) {
		testpeer.KafkaTool(t, "kafka-topics.sh", nil, "--bootstrap-server", addr, "--command-config", admin,
			"--create", "--topic", "sasl-cli", "--partitions", "1", "--replication-factor", "1")
		var lines strings.Builder
		for i := range 50 {
			fmt.Fprintf(&lines, "cli-%02d\n", i)
		}
		testpeer.KafkaTool(t, "kafka-console-producer.sh", strings.NewReader(lines.String()), "--bootstrap-server", addr,
			"--producer.config", clientProps(t, "SCRAM-SHA-256", "alice", "alice-secret"), "--topic", "sasl-cli")
		out := testpeer.KafkaTool(t, "kafka-console-consumer.sh", nil, "--bootstrap-server", addr,
			"--consumer.config", clientProps(t, "PLAIN", "alice", "alice-plain"), "--topic", "sasl-cli", "--from-beginning", "--max-messages", "50")
		if out != lines.String() {
			t.Fatalf("consumed:\n%s", out)
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		_, errOut, code := testpeer.KafkaToolExit(t, "kafka-topics.sh", nil, "--bootstrap-server", addr,
			"--command-config", clientProps(t, "SCRAM-SHA-512", "alice", "wrong"), "--list")
		if code == 0 || !strings.Contains(errOut, "Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512") {
			t.Fatalf("exit %d, stderr:\n%s", code, errOut)
		}
	})
	t.Run("delete", func(t *testing.T) {
		configs(t, "--alter", "--delete-config", "SCRAM-SHA-512")
		if out := configs(t, "--describe"); !strings.Contains(out, "are SCRAM-SHA-256=iterations=8192") || strings.Contains(out, "SCRAM-SHA-512") {
			t.Fatalf("after delete, --describe printed:\n%s", out)
		}
		// The deleted credential no longer logs in; the other does.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cl := saslClient(t, addr, scram.Auth{User: "alice", Pass: "alice-secret"}.AsSha512Mechanism(), kgo.RequestRetries(0))
		if _, err := kmsg.NewPtrMetadataRequest().RequestWith(ctx, cl); err == nil {
			t.Fatal("SCRAM-SHA-512 logs in after its deletion")
		}
		cl = saslClient(t, addr, scram.Auth{User: "alice", Pass: "alice-secret"}.AsSha256Mechanism())
		if _, err := kmsg.NewPtrMetadataRequest().RequestWith(ctx, cl); err != nil {
			t.Fatal(err)
		}
		_, errOut, code := testpeer.KafkaToolExit(t, "kafka-configs.sh", nil, "--bootstrap-server", addr, "--command-config", admin,
			"--entity-type", "users", "--entity-name", "alice", "--alter", "--delete-config", "SCRAM-SHA-512")
		if code == 0 || !strings.Contains(errOut, "Attempt to delete a user credential that does not exist") {
			t.Fatalf("deleting again: exit %d\n%s", code, errOut)
		}
	})
}

// TestSASLCluster: three brokers on SASL_PLAINTEXT replicate with SCRAM-SHA-512
// as their inter-broker mechanism (admin's credential made before the
// brokers start, as with Kafka), and an acks=all producer needs every
// follower to have fetched.
func TestSASLCluster(t *testing.T) {
	zkAddr := testcluster.Coordinator(t)
	first := testcluster.StartBroker(t, 1, zkAddr, "", withSASL("PLAIN"))
	upsertScram(t, first.Addr(), "admin", "admin-secret", kadm.ScramSha512)
	first.Stop()
	addrs := make([]string, 3)
	for i := range addrs {
		addrs[i] = testcluster.StartBroker(t, i+1, zkAddr, "", withSASL("SCRAM-SHA-512")).Addr()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	adm := kadm.NewClient(saslClient(t, addrs[0], adminPlain()))
	if _, err := adm.CreateTopic(ctx, 3, 3, map[string]*string{"min.insync.replicas": kadm.StringPtr("3")}, "sasl-replicated"); err != nil {
		t.Fatal(err)
	}
	cl := saslClient(t, addrs[1], scram.Auth{User: "admin", Pass: "admin-secret"}.AsSha512Mechanism(),
		kgo.DefaultProduceTopic("sasl-replicated"), kgo.RequiredAcks(kgo.AllISRAcks()))
	for i := range 30 {
		if err := cl.ProduceSync(ctx, kgo.StringRecord(fmt.Sprint("r", i))).FirstErr(); err != nil {
			t.Fatalf("acks=all with min.insync.replicas=3: %v", err)
		}
	}
}
