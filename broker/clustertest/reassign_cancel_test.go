package clustertest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/testkit/brokertest"
	"github.com/sluicelogs/sluice/testkit/testcluster"
)

// listReassignments asks the broker at addr for every reassignment in
// progress.
func listReassignments(t *testing.T, addr string) (*kmsg.ListPartitionReassignmentsResponse, error) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := cl.SeedBrokers()[0].RetriableRequest(ctx, kmsg.NewPtrListPartitionReassignmentsRequest())
	if err != nil {
		return nil, err
	}
	return resp.(*kmsg.ListPartitionReassignmentsResponse), nil
}

// TestReassignmentRefusedAndCancelled: AlterPartitionReassignments
// refuses what Kafka's controller refuses (and answers NOT_CONTROLLER
// from another broker); a reassignment onto a broker that never comes
// (written into the assignment as Kafka 2.4+ writes one, so the
// controller resumes it as its own) stays in progress, is listed by
// ListPartitionReassignments, and a cancel puts the original replicas
// back.
func TestReassignmentRefusedAndCancelled(t *testing.T) {
	zkAddr := testcluster.Coordinator(t)
	var addrs []string
	for id := 1; id <= 3; id++ {
		addrs = append(addrs, testcluster.StartBroker(t, id, zkAddr, "").Addr())
	}
	const topic = "cancel"
	testcluster.CreateReplicatedTopic(t, addrs[0], topic, 2, 2, nil)
	brokertest.AwaitPreferred(t, addrs, topic, 2, func(int, []int32) error { return nil })
	ctl, other, parts := brokertest.ControllerAddrs(t, addrs, topic)

	for _, c := range []struct {
		addr     string
		p        int32
		replicas []int32
		want     *kerr.Error
	}{
		{other, 0, []int32{1, 2}, kerr.NotController},
		{ctl, 0, []int32{}, kerr.InvalidReplicaAssignment},
		{ctl, 0, []int32{1, 1}, kerr.InvalidReplicaAssignment},
		{ctl, 0, []int32{-1, 1}, kerr.InvalidReplicaAssignment},
		{ctl, 0, []int32{9, 1}, kerr.InvalidReplicaAssignment}, // broker 9 is not live
		{ctl, 5, []int32{1, 2}, kerr.UnknownTopicOrPartition},
		{ctl, 0, nil, kerr.NoReassignmentInProgress},
	} {
		if got := brokertest.AlterReassignment(t, c.addr, topic, c.p, c.replicas); got != c.want.Code {
			t.Errorf("reassign %s-%d to %v: %v, want %v", topic, c.p, c.replicas, kerr.ErrorForCode(got), c.want)
		}
	}
	if resp, err := listReassignments(t, other); err != nil || resp.ErrorCode != kerr.NotController.Code {
		t.Errorf("ListPartitionReassignments to a broker not the controller: %+v, %v", resp, err)
	}

	// Partition 1 moves to broker 9 (never registered) in place of its
	// follower.
	orig := parts[1].Replicas
	follower := brokertest.OtherReplica(orig, parts[1].Leader)
	zc, _, err := zk.Connect([]string{zkAddr}, 10*time.Second, zk.WithLogInfo(false))
	if err != nil {
		t.Fatal(err)
	}
	defer zc.Close()
	data, stat, err := zc.Get("/brokers/topics/" + topic)
	if err != nil {
		t.Fatal(err)
	}
	var asg map[string]any
	if err := json.Unmarshal(data, &asg); err != nil {
		t.Fatal(err)
	}
	full := []int32{parts[1].Leader, 9, follower}
	asg["partitions"].(map[string]any)["1"] = full
	asg["adding_replicas"] = map[string][]int32{"1": {9}}
	asg["removing_replicas"] = map[string][]int32{"1": {follower}}
	data, _ = json.Marshal(asg)
	if _, err := zc.Set("/brokers/topics/"+topic, data, stat.Version); err != nil {
		t.Fatal(err)
	}
	await.Eventually(t, 30*time.Second, 50*time.Millisecond, func() error {
		resp, err := listReassignments(t, ctl)
		if err != nil {
			return err
		}
		if resp.ErrorCode != 0 || len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 1 {
			return fmt.Errorf("listed %+v", resp)
		}
		p := resp.Topics[0].Partitions[0]
		if p.Partition != 1 || !slices.Equal(p.Replicas, full) || !slices.Equal(p.AddingReplicas, []int32{9}) || !slices.Equal(p.RemovingReplicas, []int32{follower}) {
			return fmt.Errorf("listed %+v", p)
		}
		return nil
	})
	if got := brokertest.AlterReassignment(t, ctl, topic, 1, nil); got != 0 {
		t.Fatalf("cancel: %v", kerr.ErrorForCode(got))
	}
	await.Eventually(t, 30*time.Second, 50*time.Millisecond, func() error {
		resp, err := listReassignments(t, ctl)
		if err != nil {
			return err
		}
		if len(resp.Topics) != 0 {
			return fmt.Errorf("still listed: %+v", resp.Topics)
		}
		for _, addr := range addrs {
			md, err := brokertest.TopicMetadata(addr, topic)
			if err != nil {
				return err
			}
			if got := md.Parts[1]; !slices.Equal(got.Replicas, orig) || !brokertest.SameIDs(got.ISR, orig) {
				return fmt.Errorf("broker at %s: %s-1 is %+v, want the original replicas %v in sync", addr, topic, got, orig)
			}
		}
		return nil
	})
}
