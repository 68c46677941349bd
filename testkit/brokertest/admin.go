package brokertest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// ReassignPlan is a kafka-reassign-partitions.sh reassignment file moving
// topic-p to replicas.
func ReassignPlan(t testing.TB, topic string, p int, replicas []int32) string {
	t.Helper()
	var ids, dirs []string
	for _, id := range replicas {
		ids = append(ids, fmt.Sprint(id))
		dirs = append(dirs, `"any"`)
	}
	f := filepath.Join(t.TempDir(), "plan.json")
	plan := fmt.Sprintf(`{"version":1,"partitions":[{"topic":%q,"partition":%d,"replicas":[%s],"log_dirs":[%s]}]}`,
		topic, p, strings.Join(ids, ","), strings.Join(dirs, ","))
	if err := os.WriteFile(f, []byte(plan), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

// ConfigTool runs Kafka 3.9's kafka-configs.sh against the broker at
// addr with args and returns its output.
func ConfigTool(t testing.TB, addr string, args ...string) string {
	t.Helper()
	return testpeer.KafkaTool(t, "kafka-configs.sh", nil, append([]string{"--bootstrap-server", addr}, args...)...)
}

// AlterReassignment sends AlterPartitionReassignments for topic-p to the
// broker at addr (replicas nil: cancel) and returns the top-level error
// code, else the partition's.
func AlterReassignment(t testing.TB, addr, topic string, p int32, replicas []int32) int16 {
	t.Helper()
	req := kmsg.NewPtrAlterPartitionAssignmentsRequest()
	rt := kmsg.NewAlterPartitionAssignmentsRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewAlterPartitionAssignmentsRequestTopicPartition()
	rp.Partition, rp.Replicas = p, replicas
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	ar := AskBroker(t, addr, req).(*kmsg.AlterPartitionAssignmentsResponse)
	if ar.ErrorCode != 0 {
		return ar.ErrorCode
	}
	return ar.Topics[0].Partitions[0].ErrorCode
}

// HasLine reports whether out has a line that is exactly s.
func HasLine(out, s string) bool {
	for _, line := range strings.Split(out, "\n") {
		if strings.TrimSpace(line) == s {
			return true
		}
	}
	return false
}

// Kcat runs kcat with args and stdin and returns its output, failing
// the test if it fails or takes over a minute.
func Kcat(t testing.TB, stdin string, args ...string) string {
	t.Helper()
	out, errOut, err := KcatRun(t, stdin, args...)
	if err != nil {
		t.Fatalf("kcat %v: %v\nstderr:\n%s", args, err, errOut)
	}
	return out
}

// KcatRun runs kcat with args and stdin (at most a minute) and returns
// its stdout, its stderr and whether it succeeded.
func KcatRun(t testing.TB, stdin string, args ...string) (string, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, testpeer.Kcat(t), args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return out.String(), errb.String(), err
}
