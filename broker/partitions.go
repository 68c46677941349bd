package broker

import (
	"context"
	"math"
	"path/filepath"
	"strconv"
	"time"

	"github.com/sluicelogs/sluice/broker/partition"
	"github.com/sluicelogs/sluice/broker/segment"
)

// openPartition opens one of this broker's partitions with the broker's
// log settings, overridden by the topic's configs; isNew as
// placePartition.
func (b *Broker) openPartition(topic string, index int32, config map[string]string, isNew bool) (*partition.Partition, error) {
	opts, minISR := b.logOptions(config)
	dir, err := b.placePartition(topic, index, isNew)
	if err != nil {
		return nil, err
	}
	logDir := filepath.Dir(dir)
	p, err := partition.Open(partition.Config{Topic: topic, Index: index, Self: b.cfg.BrokerID, MinISR: minISR,
		Dir: dir, Log: opts, Logger: b.log.With("topic", topic, "partition", index),
		OnStorageError: func(err error) { b.logDirFailed(logDir, err) }})
	if err != nil {
		return nil, b.openFailed(topic, index, logDir, err)
	}
	return p, nil
}

// logOptions are the options of a partition's log and its
// min.insync.replicas: the broker's (with its dynamic configs), overridden
// by the topic's configs.
func (b *Broker) logOptions(config map[string]string) (segment.Options, int) {
	eff := b.effective() // server.properties with the dynamic broker configs (dynconfig.go)
	opts := segment.Options{
		SegmentBytes:       eff.SegmentBytes,
		IndexIntervalBytes: eff.IndexIntervalBytes,
		RetentionBytes:     eff.RetentionBytes,
		RetentionMs:        eff.RetentionMs,
		OnSync:             func(d time.Duration) { b.metrics.logFlushes.Observe(d.Seconds()) },
		WriteFault:         b.cfg.LogWriteFault,
	}
	setFlush(&opts, eff.FlushMessages, eff.FlushIntervalMs)
	applyTopicConfig(&opts, config)
	applyCompaction(&opts, config, eff)
	minISR := eff.MinInsyncReplicas
	if v, err := strconv.Atoi(config["min.insync.replicas"]); err == nil && v > 0 {
		minISR = v
	}
	return opts, minISR
}

// applyTopicConfig lets a topic's own configs override the broker's
// log defaults (compaction's are applyCompaction's).
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
	flushMessages, flushMs := int64(-1), int64(-1)
	if v, err := strconv.ParseInt(config["flush.messages"], 10, 64); err == nil && v > 0 {
		flushMessages = v
	}
	if v, err := strconv.ParseInt(config["flush.ms"], 10, 64); err == nil && v >= 0 {
		flushMs = v
	}
	setFlush(o, flushMessages, flushMs)
}

// setFlush sets the log's fsync policy from Kafka's values (a negative one
// is left as it is): messages (log.flush.interval.messages, flush.messages)
// and ms (log.flush.interval.ms, flush.ms), where Long.MAX_VALUE, Kafka's
// default, means never; flush.ms=0 flushes at every check of flushLoop.
func setFlush(o *segment.Options, messages, ms int64) {
	switch {
	case messages == math.MaxInt64:
		o.FlushMessages = 0
	case messages > 0:
		o.FlushMessages = messages
	}
	switch {
	case ms == math.MaxInt64 || ms > int64(math.MaxInt64/time.Millisecond):
		o.FlushInterval = 0
	case ms == 0:
		o.FlushInterval = time.Nanosecond
	case ms > 0:
		o.FlushInterval = time.Duration(ms) * time.Millisecond
	}
}

// flushInterval is how often flushLoop looks for logs to fsync by time:
// log.flush.interval.ms, at most a second (a topic's flush.ms may be
// shorter than the broker's, or the broker's unset) and at least 10 ms.
// Kafka checks every log.flush.scheduler.interval.ms instead.
func (b *Broker) flushInterval() time.Duration {
	d := time.Second
	if ms := b.cfg.FlushIntervalMs; ms < int64(time.Second/time.Millisecond) {
		d = time.Duration(ms) * time.Millisecond
	}
	return max(d, 10*time.Millisecond)
}

// flushLoop fsyncs every local partition whose last fsync is older than
// its flush.ms and that has records since (log.flush.interval.ms).
func (b *Broker) flushLoop(ctx context.Context) {
	b.eachPartitionEvery(ctx, b.flushInterval(), func(now time.Time, p *partition.Partition) {
		if _, err := p.FlushIfDue(now); err != nil {
			b.log.Warn("flush", "topic", p.Topic(), "partition", p.Index(), "err", err)
		}
	})
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
