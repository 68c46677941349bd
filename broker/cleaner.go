package broker

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/sluicelogs/sluice/broker/partition"
	"github.com/sluicelogs/sluice/broker/segment"
)

// parseCleanupPolicy checks a cleanup.policy value (delete, compact or
// both, comma-separated, in any order) and returns it normalized.
func parseCleanupPolicy(v string) (string, error) {
	var del, compact bool
	for _, p := range strings.Split(v, ",") {
		switch strings.TrimSpace(p) {
		case "delete":
			del = true
		case "compact":
			compact = true
		default:
			return "", fmt.Errorf("%q is not delete, compact or compact,delete", v)
		}
	}
	switch {
	case del && compact:
		return "compact,delete", nil
	case compact:
		return "compact", nil
	}
	return "delete", nil
}

// applyCompaction sets the log's compaction options from the topic's
// cleanup.policy (else log.cleanup.policy) and compaction configs (else
// the broker's log.cleaner.* defaults). A compact-only topic (as
// __consumer_offsets) is never trimmed by time or size: its records are
// the latest state of each key; compact,delete is both.
func applyCompaction(o *segment.Options, config map[string]string, cfg *Config) {
	policy := cfg.CleanupPolicy
	if v, ok := config["cleanup.policy"]; ok {
		if p, err := parseCleanupPolicy(v); err == nil {
			policy = p
		}
	}
	if !strings.Contains(policy, "compact") {
		return
	}
	o.Compact = true
	if policy == "compact" {
		o.RetentionMs, o.RetentionBytes = -1, -1
	}
	num := func(key string, def int64) int64 {
		if v, err := strconv.ParseInt(config[key], 10, 64); err == nil && v >= 0 {
			return v
		}
		return def
	}
	o.DeleteRetentionMs = num("delete.retention.ms", cfg.DeleteRetentionMs)
	if o.DeleteRetentionMs == 0 {
		o.DeleteRetentionMs = -1 // segment's "none": 0 is its default
	}
	o.MinCompactionLagMs = num("min.compaction.lag.ms", cfg.MinCompactionLagMs)
	if o.MaxCompactionLagMs = num("max.compaction.lag.ms", cfg.MaxCompactionLagMs); o.MaxCompactionLagMs == math.MaxInt64 {
		o.MaxCompactionLagMs = 0 // never
	}
	o.MinCleanableDirtyRatio = cfg.MinCleanableRatio
	if r, err := strconv.ParseFloat(config["min.cleanable.dirty.ratio"], 64); err == nil && r >= 0 && r <= 1 {
		o.MinCleanableDirtyRatio = r
	}
	if o.MinCleanableDirtyRatio == 0 {
		o.MinCleanableDirtyRatio = math.SmallestNonzeroFloat64 // segment's 0 is its default
	}
}

// cleanerLoop runs a compaction pass on every local compacted partition
// that is due, every log.cleaner.backoff.ms (log.cleaner.enable).
func (b *Broker) cleanerLoop(ctx context.Context) {
	if !b.cfg.CleanerEnable {
		return
	}
	b.eachPartitionEvery(ctx, b.cfg.CleanerBackoff, func(now time.Time, p *partition.Partition) {
		st, err := p.Clean(ctx, now)
		if err != nil {
			b.log.Warn("log cleaner", "topic", p.Topic(), "partition", p.Index(), "err", err)
			return
		}
		if st.Ran {
			b.metrics.cleanerPasses.Inc()
			b.metrics.cleanerBytesRead.Add(float64(st.BytesRead))
			b.metrics.cleanerBytesWritten.Add(float64(st.BytesWritten))
		}
	})
}
