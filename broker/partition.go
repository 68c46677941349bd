package broker

import (
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/sluicelogs/sluice/broker/segment"
)

// partition is one replica of a partition on this broker: its segment log,
// its role (leader, follower or neither) with the leader epoch and ISR the
// coordinator last said, the idempotent producers' sequence state, and a
// channel that long-polling fetches and acks=all produces wait on. mu
// guards everything but the log, which guards itself; appends happen
// under mu so that the role check and the write are one step.
type partition struct {
	topic  string
	index  int32
	self   int32 // this broker's id
	minISR int   // min.insync.replicas of the topic
	log    *segment.Log
	lg     *slog.Logger

	mu              sync.Mutex
	role            role
	leaderID        int32
	leaderEpoch     int32
	replicas        []int32
	isr             []int32
	stateVersion    int32 // version of the coordinator's state node behind the above
	controllerEpoch int
	followers       map[int32]*followerState // leader only: what each replica fetched
	epochs          *epochCache
	producers       map[int64]*producerState
	notify          chan struct{} // closed and replaced after every append and high-watermark change
	fetcher         *fetcher      // follower only, once the broker runs
}

type role int8

const (
	roleNone role = iota
	roleLeader
	roleFollower
)

// followerState is what the leader knows of a follower.
type followerState struct {
	leo          int64     // its log end offset, from its last fetch; -1 until it fetched
	caughtUp     time.Time // last time it was known to hold everything the leader had
	lastFetchLEO int64     // the leader's log end at that follower's previous fetch
	lastFetchAt  time.Time
}

// producerState is what an idempotent producer last wrote here.
type producerState struct {
	epoch int16
	// recent batches (up to 5, as Kafka keeps): sequence ranges and the
	// offsets they were given, to answer retries of any of them.
	recent []seqBatch
}

type seqBatch struct {
	firstSeq, lastSeq int32
	baseOffset        int64
}

const keptBatches = 5

func (b *Broker) openPartition(topic string, index int32, config map[string]string) (*partition, error) {
	opts := segment.Options{
		SegmentBytes:       b.cfg.SegmentBytes,
		IndexIntervalBytes: b.cfg.IndexIntervalBytes,
		RetentionBytes:     b.cfg.RetentionBytes,
		RetentionMs:        b.cfg.RetentionMs,
	}
	applyTopicConfig(&opts, config)
	dir := b.partitionDir(topic, index)
	lg := b.log.With("topic", topic, "partition", index)
	l, err := segment.Open(dir, opts, lg)
	if err != nil {
		return nil, fmt.Errorf("broker: open %s-%d: %w", topic, index, err)
	}
	minISR := b.cfg.MinInsyncReplicas
	if v, err := strconv.Atoi(config["min.insync.replicas"]); err == nil && v > 0 {
		minISR = v
	}
	p := &partition{topic: topic, index: index, self: b.cfg.BrokerID, minISR: minISR, log: l, lg: lg, leaderID: -1,
		producers: map[int64]*producerState{}, notify: make(chan struct{})}
	if p.epochs, err = loadEpochs(dir); err == nil {
		err = p.rebuild()
	}
	if err != nil {
		l.Close()
		return nil, err
	}
	return p, nil
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

// rebuild recovers, from the batch headers in the log, the idempotent
// producers' last sequences (so a retry after a restart is still
// recognised as a duplicate) and the leader epochs the checkpoint missed;
// epochs past the log's end (cut by recovery or truncation) are dropped.
// mu held, or p not yet shared.
func (p *partition) rebuild() error {
	p.producers = map[int64]*producerState{}
	changed := p.epochs.truncate(p.log.LogEndOffset())
	err := p.log.ScanHeaders(func(h segment.Header) {
		p.track(h)
		if p.epochs.observe(h.LeaderEpoch, h.BaseOffset) {
			changed = true
		}
	})
	if err != nil {
		return fmt.Errorf("broker: scan %s-%d: %w", p.topic, p.index, err)
	}
	if changed {
		return p.epochs.save()
	}
	return nil
}

// read returns whole batches from offset, up to maxBytes (at least one
// batch), below maxOffset.
func (p *partition) read(offset int64, maxBytes int, maxOffset int64) ([]byte, error) {
	return p.log.ReadBytes(offset, maxBytes, maxOffset)
}

func (p *partition) track(h segment.Header) {
	if h.ProducerID < 0 || h.BaseSequence < 0 {
		return
	}
	st := p.producers[h.ProducerID]
	if st == nil || h.ProducerEpoch != st.epoch {
		st = &producerState{epoch: h.ProducerEpoch}
		p.producers[h.ProducerID] = st
	}
	st.recent = append(st.recent, seqBatch{h.BaseSequence, h.BaseSequence + h.LastOffsetDelta, h.BaseOffset})
	if len(st.recent) > keptBatches {
		st.recent = st.recent[1:]
	}
}

// append writes a producer's batch as leader, checking idempotent
// sequences first: a retry of one of the last batches gets its original
// offset back and is not written again; a gap or a stale epoch is refused.
// With requireISR (acks=all) the batch is refused with NOT_ENOUGH_REPLICAS,
// unwritten, while the ISR is smaller than min.insync.replicas. It returns
// the batch's first and last offsets and the leader epoch it was written in.
func (p *partition) append(batch []byte, requireISR bool) (base, last int64, epoch int32, err error) {
	h, err := segment.ValidateBatch(batch)
	if err != nil {
		return -1, -1, 0, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.role != roleLeader {
		return -1, -1, 0, kerr.NotLeaderForPartition
	}
	if requireISR && len(p.isr) < p.minISR {
		return -1, -1, 0, kerr.NotEnoughReplicas
	}
	if h.ProducerID >= 0 && h.BaseSequence >= 0 {
		st := p.producers[h.ProducerID]
		switch {
		case st == nil:
			// A producer this partition has no state for starts anywhere, as
			// in Kafka (its state may have been removed with old segments).
		case h.ProducerEpoch < st.epoch:
			return -1, -1, 0, kerr.InvalidProducerEpoch
		case h.ProducerEpoch > st.epoch:
			if h.BaseSequence != 0 {
				return -1, -1, 0, kerr.OutOfOrderSequenceNumber
			}
		default:
			for _, r := range st.recent {
				if r.firstSeq == h.BaseSequence && r.lastSeq == h.BaseSequence+h.LastOffsetDelta {
					return r.baseOffset, r.baseOffset + int64(h.LastOffsetDelta), p.leaderEpoch, nil // a retry: already written
				}
			}
			last := st.recent[len(st.recent)-1].lastSeq
			if h.BaseSequence != last+1 && !(last == 1<<31-1 && h.BaseSequence == 0) {
				return -1, -1, 0, kerr.OutOfOrderSequenceNumber
			}
		}
	}
	base, last, err = p.log.Append(batch, p.leaderEpoch)
	if err != nil {
		return -1, -1, 0, err
	}
	h.BaseOffset = base
	p.track(h)
	p.advanceHWLocked()
	p.wakeLocked()
	return base, last, p.leaderEpoch, nil
}

// wakeLocked wakes everyone waiting on notify. mu held.
func (p *partition) wakeLocked() {
	close(p.notify)
	p.notify = make(chan struct{})
}

// waitChan returns a channel closed at the next append.
func (p *partition) waitChan() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.notify
}

func (p *partition) close() error { return p.log.Close() }

// retentionLoop deletes old segments every log.retention.check.interval.ms.
func (b *Broker) retentionLoop(ctx interface{ Done() <-chan struct{} }) {
	t := time.NewTicker(b.cfg.RetentionCheckInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			b.mu.RLock()
			var parts []*partition
			for _, ts := range b.topics {
				for _, p := range ts.partitions {
					if p != nil {
						parts = append(parts, p)
					}
				}
			}
			b.mu.RUnlock()
			for _, p := range parts {
				if n, err := p.log.EnforceRetention(now); err != nil {
					b.log.Warn("retention", "topic", p.topic, "partition", p.index, "err", err)
				} else if n > 0 {
					b.log.Info("retention deleted segments", "topic", p.topic, "partition", p.index, "segments", n)
				}
			}
		}
	}
}
