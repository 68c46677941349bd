package partition

import (
	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/sluicelogs/sluice/broker/segment"
)

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

// track records a written batch's sequence range. mu held, or p not yet
// shared.
func (p *Partition) track(h segment.Header) {
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

// checkSequence checks an idempotent producer's batch against what it
// wrote before: ok with the base offset it was given when the batch is a
// retry of one of the recent ones; an error for a stale epoch or a gap.
// mu held.
func (p *Partition) checkSequence(h segment.Header) (base int64, ok bool, err error) {
	if h.ProducerID < 0 || h.BaseSequence < 0 {
		return 0, false, nil
	}
	st := p.producers[h.ProducerID]
	switch {
	case st == nil:
		// A producer this partition has no state for starts anywhere, as
		// in Kafka (its state may have been removed with old segments).
	case h.ProducerEpoch < st.epoch:
		return 0, false, kerr.InvalidProducerEpoch
	case h.ProducerEpoch > st.epoch:
		if h.BaseSequence != 0 {
			return 0, false, kerr.OutOfOrderSequenceNumber
		}
	default:
		for _, r := range st.recent {
			if r.firstSeq == h.BaseSequence && r.lastSeq == h.BaseSequence+h.LastOffsetDelta {
				return r.baseOffset, true, nil
			}
		}
		last := st.recent[len(st.recent)-1].lastSeq
		if h.BaseSequence != last+1 && !(last == 1<<31-1 && h.BaseSequence == 0) {
			return 0, false, kerr.OutOfOrderSequenceNumber
		}
	}
	return 0, false, nil
}
