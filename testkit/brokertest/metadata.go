package brokertest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicelogs/sluice/internal/await"
)

// PartInfo is a partition as Metadata describes it.
type PartInfo struct {
	Leader, Epoch          int32
	Replicas, ISR, Offline []int32 // Offline: Metadata v5+'s OfflineReplicas
	Err                    int16
}

// Describe returns topic's partitions as the cluster at addr describes
// them, each ISR sorted.
func Describe(t testing.TB, addr, topic string) ([]PartInfo, error) {
	t.Helper()
	_, parts, err := ClusterInfo(addr, topic)
	for i := range parts {
		parts[i].ISR = slices.Sorted(slices.Values(parts[i].ISR))
	}
	return parts, err
}

// ZkTopic is what Metadata says of a topic: its id and partitions, or the
// topic's error.
type ZkTopic struct {
	ID    [16]byte
	Parts []PartInfo
	Err   int16
}

// TopicMetadata asks the broker at addr for topic's metadata (v12: with
// the topic id).
func TopicMetadata(addr, topic string) (ZkTopic, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		return ZkTopic{}, err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req := kmsg.NewPtrMetadataRequest()
	mt := kmsg.NewMetadataRequestTopic()
	mt.Topic = kmsg.StringPtr(topic)
	req.Topics = append(req.Topics, mt)
	// Only to addr: a client would ask any broker, and each must answer.
	resp, err := cl.SeedBrokers()[0].RetriableRequest(ctx, req)
	if err != nil {
		return ZkTopic{}, err
	}
	mresp := resp.(*kmsg.MetadataResponse)
	if len(mresp.Topics) != 1 {
		return ZkTopic{}, fmt.Errorf("metadata of %s: %d topics", topic, len(mresp.Topics))
	}
	rt := mresp.Topics[0]
	out := ZkTopic{ID: rt.TopicID, Err: rt.ErrorCode, Parts: make([]PartInfo, len(rt.Partitions))}
	for _, p := range rt.Partitions {
		if p.Partition < 0 || int(p.Partition) >= len(out.Parts) {
			return ZkTopic{}, fmt.Errorf("metadata of %s: partition %d of %d", topic, p.Partition, len(out.Parts))
		}
		out.Parts[p.Partition] = PartInfo{Leader: p.Leader, Epoch: p.LeaderEpoch, Replicas: p.Replicas, ISR: p.ISR, Err: p.ErrorCode}
	}
	return out, nil
}

// AwaitPreferred waits until every broker in addrs answers topic with
// the same non-zero id and n partitions, each led by its first replica
// (the preferred one) with every replica in sync, and check accepts each
// partition's replicas. It returns the id.
func AwaitPreferred(t testing.TB, addrs []string, topic string, n int, check func(p int, replicas []int32) error) [16]byte {
	t.Helper()
	var id [16]byte
	await.Eventually(t, 90*time.Second, 50*time.Millisecond, func() error {
		for i, addr := range addrs {
			md, err := TopicMetadata(addr, topic)
			if err != nil {
				return err
			}
			if md.Err != 0 {
				return fmt.Errorf("broker at %s: %s: %v", addr, topic, kerr.ErrorForCode(md.Err))
			}
			if md.ID == ([16]byte{}) {
				return fmt.Errorf("broker at %s: %s has no topic id", addr, topic)
			}
			if i == 0 {
				id = md.ID
			} else if md.ID != id {
				return fmt.Errorf("brokers disagree on the id of %s: %x and %x", topic, id, md.ID)
			}
			if len(md.Parts) != n {
				return fmt.Errorf("broker at %s: %s has %d partitions, want %d", addr, topic, len(md.Parts), n)
			}
			for p, got := range md.Parts {
				if err := check(p, got.Replicas); err != nil {
					return fmt.Errorf("broker at %s: %w", addr, err)
				}
				if len(got.Replicas) == 0 || got.Leader != got.Replicas[0] || !SameIDs(got.ISR, got.Replicas) {
					return fmt.Errorf("broker at %s: %s-%d is %+v, want the first replica leading and every replica in sync", addr, topic, p, got)
				}
			}
		}
		return nil
	})
	return id
}

// AwaitMetadata waits until the metadata of topic that every broker in
// addrs answers passes check.
func AwaitMetadata(t testing.TB, addrs []string, topic string, check func(ZkTopic) error) {
	t.Helper()
	await.Eventually(t, 60*time.Second, 50*time.Millisecond, func() error {
		for _, addr := range addrs {
			md, err := TopicMetadata(addr, topic)
			if err != nil {
				return err
			}
			if err := check(md); err != nil {
				return fmt.Errorf("broker at %s: %w", addr, err)
			}
		}
		return nil
	})
}

// SameIDs reports whether a and b hold the same broker ids, in any order.
func SameIDs(a, b []int32) bool {
	return slices.Equal(slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b)))
}

// AwaitGone waits until every broker in addrs answers UNKNOWN_TOPIC_OR_PARTITION
// for topic.
func AwaitGone(t testing.TB, addrs []string, topic string) {
	t.Helper()
	AwaitMetadata(t, addrs, topic, func(md ZkTopic) error {
		if md.Err != kerr.UnknownTopicOrPartition.Code {
			return fmt.Errorf("%s answers %v, %d partitions", topic, kerr.ErrorForCode(md.Err), len(md.Parts))
		}
		return nil
	})
}

// AwaitNoNode waits until path is gone from the coordinator.
func AwaitNoNode(t testing.TB, zc *zk.Conn, path string) {
	t.Helper()
	await.Eventually(t, 60*time.Second, 50*time.Millisecond, func() error {
		ok, _, err := zc.Exists(path)
		if err == nil && ok {
			err = fmt.Errorf("%s still exists", path)
		}
		return err
	})
}

// MarkForDeletion writes /admin/delete_topics/<topic>, as Kafka 2.7's
// kafka-topics.sh --delete --zookeeper does.
func MarkForDeletion(t testing.TB, zc *zk.Conn, topic string) {
	t.Helper()
	if _, err := zc.Create("/admin/delete_topics/"+topic, nil, 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatalf("mark %s for deletion: %v", topic, err)
	}
}

// OtherReplica is the replica of a two-replica partition that is not id.
func OtherReplica(replicas []int32, id int32) int32 {
	for _, r := range replicas {
		if r != id {
			return r
		}
	}
	return -1
}

// ClusterInfo is the metadata of a topic and the cluster's controller.
func ClusterInfo(addr, topic string) (controller int32, parts []PartInfo, err error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		return -1, nil, err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, err := metadataOf(ctx, cl, topic)
	if err != nil {
		return -1, nil, err
	}
	parts = make([]PartInfo, len(resp.Topics[0].Partitions))
	for _, p := range resp.Topics[0].Partitions {
		parts[p.Partition] = PartInfo{Leader: p.Leader, Epoch: p.LeaderEpoch, Replicas: p.Replicas, ISR: p.ISR, Offline: p.OfflineReplicas, Err: p.ErrorCode}
	}
	return resp.ControllerID, parts, nil
}

// ControllerAddrs returns the address of the controller, as the broker
// at addrs[0] answers it, and of another broker, with topic's partitions;
// addrs holds brokers 1…n, in order, all live.
func ControllerAddrs(t testing.TB, addrs []string, topic string) (ctl, other string, parts []PartInfo) {
	t.Helper()
	controller, parts, err := ClusterInfo(addrs[0], topic)
	if err != nil {
		t.Fatal(err)
	}
	if controller < 1 || int(controller) > len(addrs) {
		t.Fatalf("controller %d is not one of brokers 1…%d", controller, len(addrs))
	}
	return addrs[controller-1], addrs[int(controller)%len(addrs)], parts
}

// AwaitISR waits until every partition of topic has a live leader and an
// ISR of exactly want (sorted), as the broker at addr describes it.
func AwaitISR(t testing.TB, addr, topic string, want []int32) []PartInfo {
	t.Helper()
	var parts []PartInfo
	await.Eventually(t, 30*time.Second, 50*time.Millisecond, func() error {
		var err error
		parts, err = Describe(t, addr, topic)
		if err != nil {
			return err
		}
		for i, p := range parts {
			if p.Err != 0 || !slices.Equal(p.ISR, want) || !slices.Contains(want, p.Leader) {
				return fmt.Errorf("partition %d: leader %d isr %v error %d, want isr %v", i, p.Leader, p.ISR, p.Err, want)
			}
		}
		return nil
	})
	return parts
}

// MetadataTopic asks cl (whatever its listener's security) for topic's
// metadata, an error when the topic has one or no partitions.
func MetadataTopic(ctx context.Context, cl *kgo.Client, topic string) (kmsg.MetadataResponseTopic, error) {
	resp, err := metadataOf(ctx, cl, topic)
	if err != nil {
		return kmsg.MetadataResponseTopic{}, err
	}
	if len(resp.Topics[0].Partitions) == 0 {
		return kmsg.MetadataResponseTopic{}, fmt.Errorf("metadata of %s: no partitions", topic)
	}
	return resp.Topics[0], nil
}

// metadataOf asks cl for topic's metadata, an error when the topic has one.
func metadataOf(ctx context.Context, cl *kgo.Client, topic string) (*kmsg.MetadataResponse, error) {
	req := kmsg.NewPtrMetadataRequest()
	mt := kmsg.NewMetadataRequestTopic()
	mt.Topic = kmsg.StringPtr(topic)
	req.Topics = append(req.Topics, mt)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return nil, err
	}
	if len(resp.Topics) != 1 || resp.Topics[0].ErrorCode != 0 {
		return nil, fmt.Errorf("metadata of %s: %+v", topic, resp.Topics)
	}
	return resp, nil
}
