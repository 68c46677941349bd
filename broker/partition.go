package broker

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/sluicelogs/sluice/broker/segment"
)

// partition is one partition this broker holds: its segment log, its
// leader epoch, the idempotent producers' sequence state, and a channel
// that long-polling fetches wait on. mu guards producers and notify; the
// log guards itself.
type partition struct {
	topic       string
	index       int32
	log         *segment.Log
	leaderEpoch int32

	mu        sync.Mutex
	producers map[int64]*producerState
	notify    chan struct{} // closed and replaced after every append
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

func (b *Broker) openPartition(topic string, index int32, leaderEpoch int32, config map[string]string) (*partition, error) {
	opts := segment.Options{
		SegmentBytes:       b.cfg.SegmentBytes,
		IndexIntervalBytes: b.cfg.IndexIntervalBytes,
		RetentionBytes:     b.cfg.RetentionBytes,
		RetentionMs:        b.cfg.RetentionMs,
	}
	applyTopicConfig(&opts, config)
	l, err := segment.Open(b.partitionDir(topic, index), opts, b.log.With("topic", topic, "partition", index))
	if err != nil {
		return nil, fmt.Errorf("broker: open %s-%d: %w", topic, index, err)
	}
	// One replica: everything on disk is committed.
	l.SetHighWatermark(l.LogEndOffset())
	p := &partition{topic: topic, index: index, log: l, leaderEpoch: leaderEpoch,
		producers: map[int64]*producerState{}, notify: make(chan struct{})}
	if err := p.rebuildProducers(); err != nil {
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

// rebuildProducers recovers the idempotent producers' last sequences from
// the batch headers in the log, so that a retry after a restart is still
// recognised as a duplicate.
func (p *partition) rebuildProducers() error {
	return p.log.ScanHeaders(p.track)
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

// append writes a producer's batch, checking idempotent sequences first:
// a retry of one of the last batches gets its original offset back and is
// not written again; a gap or a stale epoch is refused.
func (p *partition) append(batch []byte) (int64, error) {
	h, err := segment.ValidateBatch(batch)
	if err != nil {
		return -1, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if h.ProducerID >= 0 && h.BaseSequence >= 0 {
		st := p.producers[h.ProducerID]
		switch {
		case st == nil:
			// A producer this partition has no state for starts anywhere, as
			// in Kafka (its state may have been removed with old segments).
		case h.ProducerEpoch < st.epoch:
			return -1, kerr.InvalidProducerEpoch
		case h.ProducerEpoch > st.epoch:
			if h.BaseSequence != 0 {
				return -1, kerr.OutOfOrderSequenceNumber
			}
		default:
			for _, r := range st.recent {
				if r.firstSeq == h.BaseSequence && r.lastSeq == h.BaseSequence+h.LastOffsetDelta {
					return r.baseOffset, nil // a retry: already written
				}
			}
			last := st.recent[len(st.recent)-1].lastSeq
			if h.BaseSequence != last+1 && !(last == 1<<31-1 && h.BaseSequence == 0) {
				return -1, kerr.OutOfOrderSequenceNumber
			}
		}
	}
	base, _, err := p.log.Append(batch, p.leaderEpoch)
	if err != nil {
		return -1, err
	}
	h.BaseOffset = base
	p.track(h)
	// One replica (this broker) is the whole ISR: the record is committed.
	p.log.SetHighWatermark(p.log.LogEndOffset())
	close(p.notify)
	p.notify = make(chan struct{})
	return base, nil
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
