package clustertest_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"

	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/testkit/brokertest"
	"github.com/sluicelogs/sluice/testkit/testcluster"
)

// TestMetadataV0UnavailableReplica: with one of a partition's two brokers
// gone, Metadata v0 (which has no offline replicas) lists only the live
// replica and answers REPLICA_NOT_AVAILABLE, as Kafka does for v0; v1
// lists both replicas without an error.
func TestMetadataV0UnavailableReplica(t *testing.T) {
	zkAddr := testcluster.Coordinator(t)
	b1 := testcluster.StartBroker(t, 1, zkAddr, "")
	b2 := testcluster.StartBroker(t, 2, zkAddr, "")
	testcluster.CreateReplicatedTopic(t, b1.Addr(), "pair", 1, 2, nil)
	brokertest.AwaitISR(t, b1.Addr(), "pair", []int32{1, 2})
	b2.Stop()

	partition := func(max *kversion.Versions) (kmsg.MetadataResponseTopicPartition, error) {
		cl, err := kgo.NewClient(kgo.SeedBrokers(b1.Addr()), kgo.MaxVersions(max))
		if err != nil {
			return kmsg.MetadataResponseTopicPartition{}, err
		}
		defer cl.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		req := kmsg.NewPtrMetadataRequest()
		mt := kmsg.NewMetadataRequestTopic()
		mt.Topic = kmsg.StringPtr("pair")
		req.Topics = append(req.Topics, mt)
		resp, err := req.RequestWith(ctx, cl)
		if err != nil {
			return kmsg.MetadataResponseTopicPartition{}, err
		}
		if len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 1 {
			return kmsg.MetadataResponseTopicPartition{}, fmt.Errorf("metadata: %+v", resp.Topics)
		}
		return resp.Topics[0].Partitions[0], nil
	}
	v0, v1 := kversion.V0_8_0(), kversion.V0_10_0() // Metadata v0 and v1
	await.Eventually(t, 30*time.Second, 50*time.Millisecond, func() error {
		p, err := partition(v0)
		if err != nil {
			return err
		}
		if p.ErrorCode != kerr.ReplicaNotAvailable.Code || p.Leader != 1 || !slices.Equal(p.Replicas, []int32{1}) || !slices.Equal(p.ISR, []int32{1}) {
			return fmt.Errorf("v0: error %v leader %d replicas %v isr %v, want REPLICA_NOT_AVAILABLE, leader 1, replicas [1], isr [1]",
				kerr.ErrorForCode(p.ErrorCode), p.Leader, p.Replicas, p.ISR)
		}
		return nil
	})
	p, err := partition(v1)
	if err != nil {
		t.Fatal(err)
	}
	if p.ErrorCode != 0 || p.Leader != 1 || len(p.Replicas) != 2 {
		t.Fatalf("v1: error %v leader %d replicas %v, want no error, leader 1, both replicas", kerr.ErrorForCode(p.ErrorCode), p.Leader, p.Replicas)
	}
}
