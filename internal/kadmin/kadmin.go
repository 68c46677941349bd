// Package kadmin holds the few Kafka-protocol admin steps that benchmarks
// and test peers share: waiting for a broker (or a cluster of them) to
// answer Metadata, and creating a topic and waiting until every partition
// has a leader and, when replicated, a full ISR. They
// work against any Kafka-protocol broker (sluice's or Apache Kafka).
package kadmin

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Ready succeeds once addr accepts TCP and answers a Metadata request that
// lists at least one broker.
func Ready(ctx context.Context, addr string) error { return ReadyBrokers(ctx, addr, 1) }

// ReadyBrokers succeeds once addr accepts TCP and answers a Metadata request
// that lists at least n brokers (the members of a cluster that registered),
// asked by a client with opts (TLS, SASL) added.
func ReadyBrokers(ctx context.Context, addr string, n int, opts ...kgo.Opt) error {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	c.Close()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(addr), kgo.RequestRetries(0)}, opts...)...)
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	resp, err := kmsg.NewPtrMetadataRequest().RequestWith(ctx, cl)
	if err != nil {
		return fmt.Errorf("metadata: %w", err)
	}
	if len(resp.Brokers) < max(n, 1) {
		return fmt.Errorf("metadata lists %d of %d brokers", len(resp.Brokers), max(n, 1))
	}
	return nil
}

// CreateTopic creates topic with partitions partitions and one replica (an
// existing topic is fine) and waits, up to a minute, until Metadata shows a
// leader for every partition.
func CreateTopic(ctx context.Context, cl *kgo.Client, topic string, partitions int) error {
	return CreateReplicatedTopic(ctx, cl, topic, partitions, 1)
}

// CreateReplicatedTopic creates topic with partitions partitions of
// replicas replicas each (an existing topic is fine) and waits, up to a
// minute, until the Metadata of every broker in the cluster shows every
// partition with a leader and all replicas in its ISR. Asking each broker
// matters: a broker that has not applied the new topic yet answers its
// produce requests with a retriable error, and a client then waits for a
// metadata refresh (kgo: up to MetadataMinAge, 5s) that a measurement would
// count.
func CreateReplicatedTopic(ctx context.Context, cl *kgo.Client, topic string, partitions, replicas int) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	req := kmsg.NewPtrCreateTopicsRequest()
	req.TimeoutMillis = 30_000
	rt := kmsg.NewCreateTopicsRequestTopic()
	rt.Topic, rt.NumPartitions, rt.ReplicationFactor = topic, int32(partitions), int16(replicas)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return fmt.Errorf("create topic %s: %w", topic, err)
	}
	for _, t := range resp.Topics {
		if err := kerr.ErrorForCode(t.ErrorCode); err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
			return fmt.Errorf("create topic %s: %w", topic, err)
		}
	}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		err := everyBroker(ctx, cl, topic, partitions, replicas)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("topic %s not ready: %w", topic, err)
		case <-tick.C:
		}
	}
}

// everyBroker asks any broker for the cluster's brokers, then each of them
// for topic's metadata, and checks every answer with leaders.
func everyBroker(ctx context.Context, cl *kgo.Client, topic string, partitions, replicas int) error {
	md := kmsg.NewPtrMetadataRequest()
	mt := kmsg.NewMetadataRequestTopic()
	mt.Topic = kmsg.StringPtr(topic)
	md.Topics = append(md.Topics, mt)
	resp, err := md.RequestWith(ctx, cl)
	if err != nil {
		return err
	}
	for _, b := range resp.Brokers {
		r, err := cl.Broker(int(b.NodeID)).RetriableRequest(ctx, md)
		if err != nil {
			return fmt.Errorf("broker %d: %w", b.NodeID, err)
		}
		if err := leaders(r.(*kmsg.MetadataResponse), partitions, replicas); err != nil {
			return fmt.Errorf("broker %d: %w", b.NodeID, err)
		}
	}
	return nil
}

// leaders checks that a Metadata response shows the one topic asked for
// with every partition led, and with replicas replicas all in the ISR.
func leaders(resp *kmsg.MetadataResponse, partitions, replicas int) error {
	if len(resp.Topics) != 1 {
		return fmt.Errorf("metadata lists %d topics", len(resp.Topics))
	}
	t := resp.Topics[0]
	if err := kerr.ErrorForCode(t.ErrorCode); err != nil {
		return err
	}
	if len(t.Partitions) != partitions {
		return fmt.Errorf("%d of %d partitions", len(t.Partitions), partitions)
	}
	for _, p := range t.Partitions {
		if p.ErrorCode != 0 || p.Leader < 0 {
			return fmt.Errorf("partition %d: error %d, leader %d", p.Partition, p.ErrorCode, p.Leader)
		}
		if len(p.Replicas) != replicas || len(p.ISR) != replicas {
			return fmt.Errorf("partition %d: replicas %v, ISR %v, want %d in sync", p.Partition, p.Replicas, p.ISR, replicas)
		}
	}
	return nil
}
