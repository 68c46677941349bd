package partition

import "github.com/twmb/franz-go/pkg/kerr"

// DeleteRecords moves the log start offset to offset as leader
// (DeleteRecords, 21): -1 means the high watermark, an offset past it is
// OFFSET_OUT_OF_RANGE (segment.ErrPastHighWatermark), and one at or below
// the start changes nothing. It returns the log start after the call. The
// followers take the new start from the leader's fetch responses
// (FollowLogStart).
func (p *Partition) DeleteRecords(offset int64) (int64, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.offline {
		return -1, kerr.KafkaStorageError
	}
	if p.role != Leader {
		return -1, kerr.NotLeaderForPartition
	}
	if offset == -1 {
		offset = p.log.HighWatermark()
	}
	if offset < 0 {
		return -1, kerr.OffsetOutOfRange
	}
	start, err := p.log.AdvanceLogStart(offset)
	p.failLocked(err)
	return start, err
}

// FollowLogStart moves a follower's log start offset up to its leader's,
// as far as its own high watermark (Kafka's followers do the same with
// the LogStartOffset of each fetch response). It does nothing when this
// replica does not follow.
func (p *Partition) FollowLogStart(leaderStart int64) error {
	if leaderStart <= p.log.LogStartOffset() {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.role != Follower || p.offline {
		return nil
	}
	_, err := p.log.AdvanceLogStart(min(leaderStart, p.log.HighWatermark()))
	p.failLocked(err)
	return err
}
