// Package replquota is a broker's replication quota, as Kafka's
// ReplicationQuotaManager: a byte rate (leader.replication.throttled.rate
// or follower.replication.throttled.rate) measured over a window of
// samples, and the partitions it applies to (the topic configs
// leader.replication.throttled.replicas and
// follower.replication.throttled.replicas that name this broker).
//
// The rate is measured as Kafka's Rate stat (package internal/rate): the
// bytes recorded in the live samples (replication.quota.window.num
// samples, each replication.quota.window.size.seconds long; a sample
// starts with the first record after the previous one ended, and is
// dropped once it started num windows ago) divided by the time since the
// oldest live sample started, plus the windows missing to num-1 while
// fewer have passed. The quota is exceeded
// while that rate is above the limit; a partition's fetch is then left
// out (the follower) or answered empty (the leader), never delayed, and
// its bytes are recorded once it is fetched again. A fetch allowed under
// the quota may take it past by up to one fetch's bytes.
//
// A Quota is safe for concurrent use.
package replquota

import (
	"sync"
	"time"

	"github.com/sluicelogs/sluice/internal/rate"
)

// Unlimited is the rate of a quota not set (Kafka's Long.MAX_VALUE).
const Unlimited int64 = 1<<63 - 1

// AllReplicas marks every partition of a topic throttled (the value "*").
const AllReplicas int32 = -1

// Quota is one direction's (leader or follower) replication quota.
type Quota struct {
	mu        sync.Mutex
	now       func() time.Time
	rate      int64 // bytes per second
	bytes     *rate.Sampled
	throttled map[string]map[int32]bool // topic → partitions (AllReplicas: every one)
}

// New is an unlimited quota over num samples of window each; now is its
// clock (time.Now when nil).
func New(num int, window time.Duration, now func() time.Time) *Quota {
	if now == nil {
		now = time.Now
	}
	return &Quota{now: now, rate: Unlimited, bytes: rate.New(num, window), throttled: map[string]map[int32]bool{}}
}

// SetClock replaces the quota's clock (tests).
func (q *Quota) SetClock(now func() time.Time) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.now = now
}

// SetRate sets the limit in bytes per second (Unlimited: none).
func (q *Quota) SetRate(bytesPerSecond int64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.rate = bytesPerSecond
}

// Rate is the limit in bytes per second.
func (q *Quota) Rate() int64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.rate
}

// MarkThrottled makes partitions the throttled ones of topic (none:
// the topic is not throttled; AllReplicas among them: all are).
func (q *Quota) MarkThrottled(topic string, partitions []int32) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(partitions) == 0 {
		delete(q.throttled, topic)
		return
	}
	set := make(map[int32]bool, len(partitions))
	for _, p := range partitions {
		set[p] = true
	}
	q.throttled[topic] = set
}

// IsThrottled reports whether topic-partition is throttled.
func (q *Quota) IsThrottled(topic string, partition int32) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	set := q.throttled[topic]
	return set[partition] || set[AllReplicas]
}

// Record counts bytes of throttled partitions fetched now.
func (q *Quota) Record(bytes int64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.bytes.Record(q.now(), float64(bytes))
}

// Exceeded reports whether the measured rate is above the limit.
func (q *Quota) Exceeded() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.rate == Unlimited {
		return false
	}
	return q.measure() > float64(q.rate)
}

// Measured is the rate in bytes per second as the quota measures it.
func (q *Quota) Measured() float64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.measure()
}

func (q *Quota) measure() float64 {
	r, _ := q.bytes.Measure(q.now())
	return r
}
