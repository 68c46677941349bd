package broker

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/sluicelogs/sluice/broker/partition"
	"github.com/sluicelogs/sluice/broker/segment"
)

// openPartition opens one of this broker's partitions with the broker's
// log settings, overridden by the topic's configs.
func (b *Broker) openPartition(topic string, index int32, config map[string]string) (*partition.Partition, error) {
	opts := segment.Options{
		SegmentBytes:       b.cfg.SegmentBytes,
		IndexIntervalBytes: b.cfg.IndexIntervalBytes,
		RetentionBytes:     b.cfg.RetentionBytes,
		RetentionMs:        b.cfg.RetentionMs,
	}
	applyTopicConfig(&opts, config)
	minISR := b.cfg.MinInsyncReplicas
	if v, err := strconv.Atoi(config["min.insync.replicas"]); err == nil && v > 0 {
		minISR = v
	}
	return partition.Open(partition.Config{Topic: topic, Index: index, Self: b.cfg.BrokerID, MinISR: minISR,
		Dir: b.partitionDir(topic, index), Log: opts, Logger: b.log.With("topic", topic, "partition", index)})
}

// applyTopicConfig lets a topic's own configs override the broker's
// defaults. A compacted topic (cleanup.policy=compact, as
// __consumer_offsets) is never trimmed by time or size: its records are
// the latest state of each key. (Compaction itself, which would drop the
// superseded records, is not done yet: such a log only grows.)
func applyTopicConfig(o *segment.Options, config map[string]string) {
	if v, err := strconv.ParseInt(config["retention.ms"], 10, 64); err == nil {
		o.RetentionMs = v
	}
	if v, err := strconv.ParseInt(config["retention.bytes"], 10, 64); err == nil {
		o.RetentionBytes = v
	}
	if v, err := strconv.ParseInt(config["segment.bytes"], 10, 64); err == nil {
		o.SegmentBytes = v
	}
	if policy := config["cleanup.policy"]; strings.Contains(policy, "compact") && !strings.Contains(policy, "delete") {
		o.RetentionMs, o.RetentionBytes = -1, -1
	}
}

// retentionLoop deletes old segments every log.retention.check.interval.ms.
func (b *Broker) retentionLoop(ctx context.Context) {
	b.eachPartitionEvery(ctx, b.cfg.RetentionCheckInterval, func(now time.Time, p *partition.Partition) {
		if n, err := p.EnforceRetention(now); err != nil {
			b.log.Warn("retention", "topic", p.Topic(), "partition", p.Index(), "err", err)
		} else if n > 0 {
			b.log.Info("retention deleted segments", "topic", p.Topic(), "partition", p.Index(), "segments", n)
		}
	})
}
