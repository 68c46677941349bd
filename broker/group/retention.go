package group

import (
	"context"
	"time"
)

// Offsets retention, as Kafka's group coordinator (KIP-211): every
// OffsetsRetentionCheckInterval, Run drops the committed offsets that
// expired and writes their tombstones. Which offsets expire, and from
// when OffsetsRetention counts, depends on the group:
//   - a group with a protocol type (members joined it once) that is
//     Empty: all its offsets, once OffsetsRetention has passed since it
//     became Empty — a consumer group keeps its offsets however old while
//     it has members;
//   - a Stable group of the consumer protocol whose members' subscriptions
//     are known: the offsets of topics none of them subscribes to, by
//     their commit time;
//   - a group without a protocol type (a standalone consumer that only
//     commits, generation -1): each offset by its commit time;
//   - any other group: none.
//
// An Empty group left without offsets is then forgotten by the same tick
// (its metadata tombstoned), as after DeleteGroups.

// expireOffsets runs the retention check when it is due.
func (c *Manager) expireOffsets(ctx context.Context) {
	c.mu.Lock()
	now := c.opts.Now()
	if now.Sub(c.retention) < c.opts.OffsetsRetentionCheckInterval {
		c.mu.Unlock()
		return
	}
	c.retention = now
	var due []string
	for name, g := range c.groups {
		if len(g.expiredOffsets(now, c.opts.OffsetsRetention)) > 0 {
			due = append(due, name)
		}
	}
	c.mu.Unlock()
	for _, name := range due {
		c.expireGroupOffsets(ctx, name, now)
	}
}

// expireGroupOffsets drops the offsets of the group named name that have
// expired at now, a tombstone each.
func (c *Manager) expireGroupOffsets(ctx context.Context, name string, now time.Time) {
	g := c.lockGroup(name, false)
	if g == nil {
		return
	}
	defer g.wmu.Unlock()
	c.mu.Lock()
	expired := g.expiredOffsets(now, c.opts.OffsetsRetention) // again: it may have changed
	c.mu.Unlock()
	n := 0
	for _, tp := range expired {
		if code := c.deleteOffset(ctx, g, tp); code != 0 {
			break // logged; the next check tries again
		}
		n++
	}
	if n > 0 {
		c.log.Info("committed offsets expired", "group", name, "offsets", n, "retention", c.opts.OffsetsRetention)
	}
}

// expiredOffsets returns the offsets of g that have expired at now (see
// above). c.mu held.
func (g *group) expiredOffsets(now time.Time, retention time.Duration) []topicPartition {
	var subscribed map[string]bool
	var base func(o offset) int64 // ms
	switch {
	case g.protocolType != "" && g.state == stateEmpty:
		since := g.stateSince.UnixMilli()
		base = func(offset) int64 { return since }
	case g.protocolType == "consumer" && g.state == stateStable:
		if subscribed = g.subscribedTopics(); subscribed == nil {
			return nil
		}
		base = func(o offset) int64 { return o.commitMillis }
	case g.protocolType == "":
		base = func(o offset) int64 { return o.commitMillis }
	default:
		return nil
	}
	var out []topicPartition
	for tp, o := range g.offsets {
		if !subscribed[tp.topic] && now.UnixMilli()-base(o) >= retention.Milliseconds() {
			out = append(out, tp)
		}
	}
	return out
}
