package interop_test

import (
	"context"
	"errors"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/testkit/brokertest"
	"github.com/sluicelogs/sluice/testkit/testcluster"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// kcatErr runs kcat expecting it to fail and returns its stderr.
func kcatErr(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, testpeer.Kcat(t), args...)
	cmd.Stdin = strings.NewReader(stdin)
	var errb strings.Builder
	cmd.Stderr = &errb
	if err := cmd.Run(); err == nil || ctx.Err() != nil {
		t.Fatalf("kcat %v: %v, want a failure\nstderr:\n%s", args, err, errb.String())
	}
	return errb.String()
}

// aclLines are kafka-acls.sh --list's lines, trimmed and sorted (the
// order of a resource's ACLs is a Java set's).
func aclLines(out string) []string {
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	slices.Sort(lines)
	return lines
}

// TestACLKafkaTools: ACLs written by Kafka 2.7's kafka-acls.sh straight
// into the coordinator (--authorizer-properties zookeeper.connect=…)
// are enforced by a running sluice broker, whose denials kcat and Kafka
// 3.9's console consumer report as Kafka's; Kafka 3.9's kafka-acls.sh
// --bootstrap-server lists through the broker what 2.7's lists from the
// znodes, and adds and removes ACLs that 2.7's then sees.
func TestACLKafkaTools(t *testing.T) {
	t.Parallel()
	zkAddr := testcluster.Coordinator(t)
	b := testcluster.StartBroker(t, 1, zkAddr, "", brokertest.WithAuthorizer(true))
	addr := b.Addr()
	testcluster.CreateTopic(t, addr, "open", 1)
	testcluster.CreateTopic(t, addr, "closed", 1)
	brokertest.Kcat(t, "a\nb\n", "-b", addr, "-P", "-t", "open")

	zkProps := "zookeeper.connect=" + zkAddr
	testpeer.Kafka27Tool(t, "kafka-acls.sh", nil, "--authorizer-properties", zkProps, "--add",
		"--deny-principal", "User:ANONYMOUS", "--operation", "All", "--topic", "closed")
	testpeer.Kafka27Tool(t, "kafka-acls.sh", nil, "--authorizer-properties", zkProps, "--add",
		"--deny-principal", "User:ANONYMOUS", "--operation", "Read", "--group", "g-", "--resource-pattern-type", "prefixed")

	// kcat: the broker applied the DENY from the change notification.
	await.Eventually(t, 60*time.Second, 100*time.Millisecond, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, testpeer.Kcat(t), "-b", addr, "-P", "-t", "closed")
		cmd.Stdin = strings.NewReader("x\n")
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), "Broker: Topic authorization failed") {
			return errors.New("kcat produced to closed: " + string(out))
		}
		return nil
	})
	if e := kcatErr(t, "", "-b", addr, "-C", "-t", "closed", "-o", "beginning", "-e"); !strings.Contains(e, "Topic authorization failed") {
		t.Errorf("kcat -C closed:\n%s", e)
	}
	if out := brokertest.Kcat(t, "", "-b", addr, "-C", "-t", "open", "-o", "beginning", "-e", "-q"); out != "a\nb\n" {
		t.Errorf("kcat -C open: %q", out)
	}

	// Kafka 3.9's console consumer: a denied topic, a denied group (it
	// reports the exception and stops, exiting 0 all the same).
	_, stderr, code := testpeer.KafkaToolExit(t, "kafka-console-consumer.sh", nil, "--bootstrap-server", addr,
		"--topic", "closed", "--from-beginning", "--max-messages", "1", "--timeout-ms", "30000")
	if !strings.Contains(stderr, "TopicAuthorizationException: Not authorized to access topics: [closed]") {
		t.Errorf("console consumer of closed exited %d:\n%s", code, stderr)
	}
	_, stderr, code = testpeer.KafkaToolExit(t, "kafka-console-consumer.sh", nil, "--bootstrap-server", addr,
		"--topic", "open", "--group", "g-1", "--from-beginning", "--max-messages", "1", "--timeout-ms", "30000")
	if !strings.Contains(stderr, "GroupAuthorizationException: Not authorized to access group: g-1") {
		t.Errorf("console consumer in group g-1 exited %d:\n%s", code, stderr)
	}

	// --list: 3.9 through the broker prints what 2.7 prints from ZooKeeper.
	list39 := func() []string {
		return aclLines(testpeer.KafkaTool(t, "kafka-acls.sh", nil, "--bootstrap-server", addr, "--list"))
	}
	list27 := func() []string {
		return aclLines(testpeer.Kafka27Tool(t, "kafka-acls.sh", nil, "--authorizer-properties", zkProps, "--list"))
	}
	l39, l27 := list39(), list27()
	if !slices.Equal(l39, l27) || len(l39) != 4 {
		t.Fatalf("kafka-acls.sh --list\n3.9 --bootstrap-server:\n%s\n2.7 --authorizer-properties:\n%s", strings.Join(l39, "\n"), strings.Join(l27, "\n"))
	}
	for _, want := range []string{"Current ACLs for resource `ResourcePattern(resourceType=TOPIC, name=closed, patternType=LITERAL)`:",
		"(principal=User:ANONYMOUS, host=*, operation=ALL, permissionType=DENY)",
		"Current ACLs for resource `ResourcePattern(resourceType=GROUP, name=g-, patternType=PREFIXED)`:"} {
		if !slices.Contains(l39, want) {
			t.Errorf("kafka-acls.sh --list lacks %q:\n%s", want, strings.Join(l39, "\n"))
		}
	}

	// 3.9 --add and --remove through the broker; 2.7 sees the result.
	out := testpeer.KafkaTool(t, "kafka-acls.sh", nil, "--bootstrap-server", addr, "--add",
		"--allow-principal", "User:alice", "--operation", "Read", "--operation", "Describe", "--topic", "open")
	if !strings.Contains(out, "Adding ACLs for resource `ResourcePattern(resourceType=TOPIC, name=open, patternType=LITERAL)`") {
		t.Errorf("kafka-acls.sh --add:\n%s", out)
	}
	if l := list27(); len(l) != 7 {
		t.Errorf("2.7 lists after --add:\n%s", strings.Join(l, "\n"))
	}
	testpeer.KafkaTool(t, "kafka-acls.sh", nil, "--bootstrap-server", addr, "--remove", "--force",
		"--deny-principal", "User:ANONYMOUS", "--operation", "All", "--topic", "closed")
	if l := list27(); slices.ContainsFunc(l, func(s string) bool { return strings.Contains(s, "name=closed") }) {
		t.Errorf("2.7 lists closed after --remove:\n%s", strings.Join(l, "\n"))
	}
	// closed has no ACL left: allow.everyone.if.no.acl.found lets kcat in.
	brokertest.Kcat(t, "y\n", "-b", addr, "-P", "-t", "closed")
}
