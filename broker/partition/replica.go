package partition

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
)

// followerState is what the leader knows of a follower.
type followerState struct {
	leo          int64     // its log end offset, from its last fetch; -1 until it fetched
	caughtUp     time.Time // last time it was known to hold everything the leader had
	lastFetchLEO int64     // the leader's log end at that follower's previous fetch
	lastFetchAt  time.Time
}

// advanceHWLocked raises the high watermark, as leader, to the smallest
// log end offset among the ISR — only while the ISR has at least
// min.insync.replicas members, so that what a smaller ISR holds never
// becomes visible (as with KIP-966). A follower that has not fetched from
// this leader yet holds it back. mu held.
func (p *Partition) advanceHWLocked() {
	if p.role != Leader || len(p.isr) < p.minISR {
		return
	}
	hw := p.log.LogEndOffset()
	for _, id := range p.isr {
		if id == p.self {
			continue
		}
		f := p.followers[id]
		if f == nil || f.leo < 0 {
			return
		}
		hw = min(hw, f.leo)
	}
	if hw > p.log.HighWatermark() {
		p.log.SetHighWatermark(hw)
		p.wakeLocked()
	}
}

// FollowerFetched records, as leader, a follower's fetch from offset (its
// log end): it may raise the high watermark. If the follower is out of the
// ISR and has caught up — it holds the high watermark and everything of
// this leader's epoch — it returns the ISR to propose with it added.
func (p *Partition) FollowerFetched(id int32, offset int64, now time.Time) (join []int32) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.role != Leader || !slices.Contains(p.replicas, id) {
		return nil
	}
	f := p.followers[id]
	if f == nil {
		f = &followerState{leo: -1, caughtUp: now}
		p.followers[id] = f
	}
	leo := p.log.LogEndOffset()
	switch {
	case offset >= leo:
		f.caughtUp = now
	case offset >= f.lastFetchLEO && !f.lastFetchAt.IsZero():
		f.caughtUp = f.lastFetchAt // had all the leader had at its previous fetch
	}
	f.leo, f.lastFetchLEO, f.lastFetchAt = offset, leo, now
	p.advanceHWLocked()
	if slices.Contains(p.isr, id) {
		return nil
	}
	_, epochStart := p.epochs.endOffset(p.leaderEpoch-1, 0)
	if offset >= p.log.HighWatermark() && offset >= epochStart {
		return append(slices.Clone(p.isr), id)
	}
	return nil
}

// LaggingISR returns, as leader, the ISR without the followers that have
// not caught up for longer than maxLag, or nil when none lags.
func (p *Partition) LaggingISR(now time.Time, maxLag time.Duration) []int32 {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.role != Leader {
		return nil
	}
	keep := make([]int32, 0, len(p.isr))
	for _, id := range p.isr {
		f := p.followers[id]
		if id == p.self || f == nil || now.Sub(f.caughtUp) <= maxLag {
			keep = append(keep, id)
		}
	}
	if len(keep) == len(p.isr) {
		return nil
	}
	return keep
}

// WaitCommitted waits, as leader, until the high watermark passes last
// (acks=all), appended in leader epoch epoch. It fails with
// NOT_LEADER_OR_FOLLOWER when leadership moves (a replica that stopped
// leading may have truncated the batch as a follower before leading
// again), NOT_ENOUGH_REPLICAS_AFTER_APPEND when the ISR falls below
// min.insync.replicas, REQUEST_TIMED_OUT at the deadline. A new epoch with
// the same leader (the controller bumps it when a reassignment starts or
// completes) keeps the wait, as Kafka's delayed produce does: the leader
// never truncates, so the batch is still there.
func (p *Partition) WaitCommitted(ctx context.Context, last int64, epoch int32, deadline time.Time) error {
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	for {
		p.mu.Lock()
		switch {
		case p.offline && p.log.HighWatermark() <= last:
			p.mu.Unlock()
			return kerr.KafkaStorageError
		case p.role != Leader || epoch < p.leaderSince:
			p.mu.Unlock()
			return kerr.NotLeaderForPartition
		case p.log.HighWatermark() > last:
			p.mu.Unlock()
			return nil
		case len(p.isr) < p.minISR:
			p.mu.Unlock()
			return kerr.NotEnoughReplicasAfterAppend
		}
		ch := p.notify
		p.mu.Unlock()
		select {
		case <-ch:
		case <-timer.C:
			return kerr.RequestTimedOut
		case <-ctx.Done():
			return kerr.RequestTimedOut
		}
	}
}

// AppendReplica writes batches fetched from the leader of epoch, as they
// are, and takes the leader's high watermark (as far as this log goes). It
// refuses (false) when this replica no longer follows that epoch. Each
// batch is validated before it is written (segment.Log.AppendReplica:
// framing, CRC-32C, offsets that continue the log); the first bad one
// stops the write with its error, the batches before it stay.
func (p *Partition) AppendReplica(batches [][]byte, epoch int32, leaderHW int64) (bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.offline {
		return true, kerr.KafkaStorageError
	}
	if p.role != Follower || p.leaderEpoch != epoch {
		return false, nil
	}
	epochsChanged := false
	for _, b := range batches {
		h, err := p.log.AppendReplica(b)
		if err != nil {
			p.failLocked(err)
			return true, err
		}
		p.track(h)
		if p.epochs.observe(h.LeaderEpoch, h.BaseOffset) {
			epochsChanged = true
		}
	}
	if epochsChanged {
		if err := p.epochs.save(); err != nil {
			err = fmt.Errorf("%w (%w)", err, kerr.KafkaStorageError)
			p.failLocked(err)
			return true, err
		}
	}
	p.log.SetHighWatermark(leaderHW)
	if len(batches) > 0 {
		p.wakeLocked()
	}
	return true, nil
}

// Truncate cuts the log at offset (a follower's divergent tail) and
// rebuilds what is derived from it.
func (p *Partition) Truncate(offset int64, epoch int32) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.offline {
		return kerr.KafkaStorageError
	}
	if p.role != Follower || p.leaderEpoch != epoch || offset >= p.log.LogEndOffset() {
		return nil
	}
	if err := p.log.TruncateTo(offset); err != nil {
		p.failLocked(err)
		return err
	}
	return p.rebuild()
}

// Resign drops the partition's role (its topic is deleted) and returns
// the function that stops its fetcher, if it has one: call it without
// holding anything the fetcher takes, and before Close.
func (p *Partition) Resign() (stopFetcher func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	stop := p.stopFetcher
	p.role, p.stopFetcher, p.leaderID = None, nil, -1
	p.wakeLocked()
	return stop
}

// RestartAt empties this follower's log and starts it at offset.
func (p *Partition) RestartAt(offset int64, epoch int32) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.offline {
		return kerr.KafkaStorageError
	}
	if p.role != Follower || p.leaderEpoch != epoch {
		return ErrNotFollowing
	}
	if err := p.log.Restart(offset); err != nil {
		p.failLocked(err)
		return err
	}
	return p.rebuild()
}

// Divergence is where this follower's log must be cut, given the leader's
// answer for its newest epoch: the leader's largest epoch not above it
// and where that epoch ends in the leader's log. Unknown (-1) falls back
// to the high watermark, as Kafka does.
func (p *Partition) Divergence(leaderEpoch int32, leaderEnd int64) int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	leo := p.log.LogEndOffset()
	if leaderEpoch < 0 || leaderEnd < 0 {
		return p.log.HighWatermark()
	}
	if _, mine := p.epochs.endOffset(leaderEpoch, leo); mine >= 0 {
		return min(leaderEnd, mine, leo)
	}
	return min(leaderEnd, leo)
}

// LatestEpoch is the newest leader epoch in this replica's log, and the
// offset that epoch ends at here (OffsetForLeaderEpoch, follower side).
func (p *Partition) LatestEpoch() (int32, int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	e := p.epochs.latest()
	_, end := p.epochs.endOffset(e, p.log.LogEndOffset())
	return e, end
}

// EndOffsetFor answers OffsetForLeaderEpoch as leader.
func (p *Partition) EndOffsetFor(epoch int32) (int32, int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.epochs.endOffset(epoch, p.log.LogEndOffset())
}

// CheckEpoch is the leader's fencing of a request that names the leader
// epoch it believes in: an older one is FENCED_LEADER_EPOCH, a newer one
// (this broker has not heard yet) UNKNOWN_LEADER_EPOCH. -1 skips the check.
func (p *Partition) CheckEpoch(current int32) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case current < 0 || current == p.leaderEpoch:
		return nil
	case current < p.leaderEpoch:
		return kerr.FencedLeaderEpoch
	default:
		return kerr.UnknownLeaderEpoch
	}
}

// IsLeader reports whether this replica leads (every produce and fetch
// asks: no copy of the ISR, unlike Snapshot).
func (p *Partition) IsLeader() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.role == Leader
}

// Epoch is the leader epoch this replica knows.
func (p *Partition) Epoch() int32 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.leaderEpoch
}

// UnderReplicated reports whether this replica leads with an ISR smaller
// than the replica set.
func (p *Partition) UnderReplicated() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.role == Leader && len(p.isr) < len(p.replicas)
}

// State is a partition's state as the cluster metadata has it (Kafka's
// /brokers/topics/<t>/partitions/<n>/state).
type State struct {
	ControllerEpoch int
	Leader          int32
	LeaderEpoch     int32
	ISR             []int32
}

// Snapshot is a copy of the partition's role, for the broker.
type Snapshot struct {
	Role            Role
	Leader          int32
	Epoch           int32
	ISR             []int32
	Version         int32 // of the state node it came from
	ControllerEpoch int
}

// Snapshot returns a copy of the partition's role.
func (p *Partition) Snapshot() Snapshot {
	p.mu.Lock()
	defer p.mu.Unlock()
	return Snapshot{p.role, p.leaderID, p.leaderEpoch, slices.Clone(p.isr), p.stateVersion, p.controllerEpoch}
}

// SetState applies a partition state read from the cluster metadata (at
// node version). When the role, leader or epoch changed it returns the
// function that stops the fetcher of the old role, if one ran (call it
// after SetState returns, before starting another); follow reports
// whether this replica must start following (AttachFetcher). Versions
// older than the one applied last are ignored.
func (p *Partition) SetState(st State, version int32, replicas []int32, now time.Time) (stopFetcher func(), follow bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if version < p.stateVersion {
		return nil, false // older than what we know (our own ISR write raced the watch)
	}
	if p.offline {
		return nil, false // no role until the broker restarts with a working log directory
	}
	p.stateVersion, p.controllerEpoch, p.replicas = version, st.ControllerEpoch, replicas
	p.isr = slices.Clone(st.ISR)
	newRole := None
	switch {
	case st.Leader == p.self:
		newRole = Leader
	case st.Leader >= 0 && slices.Contains(replicas, p.self):
		newRole = Follower
	}
	changed := newRole != p.role || st.LeaderEpoch != p.leaderEpoch || st.Leader != p.leaderID
	if changed {
		stopFetcher, p.stopFetcher = p.stopFetcher, nil
		if newRole == Leader && p.role != Leader {
			p.leaderSince = st.LeaderEpoch
		}
		p.role, p.leaderID, p.leaderEpoch = newRole, st.Leader, st.LeaderEpoch
		if newRole == Leader {
			p.followers = map[int32]*followerState{}
			for _, id := range replicas {
				if id != p.self {
					p.followers[id] = &followerState{leo: -1, caughtUp: now}
				}
			}
			if p.epochs.observe(st.LeaderEpoch, p.log.LogEndOffset()) {
				if err := p.epochs.save(); err != nil {
					// The cache in memory is right; a restart rebuilds it
					// from the batch headers.
					p.lg.Warn("saving leader epochs", "err", err)
				}
			}
		}
	}
	p.advanceHWLocked()
	p.wakeLocked() // acks=all waiters recheck leadership and the ISR
	return stopFetcher, newRole == Follower && (changed || p.stopFetcher == nil)
}

// AttachFetcher records that a fetcher follows leader at epoch for this
// replica, with the function that stops it, if the replica still follows
// that leader and epoch and has no fetcher. When it returns false the
// caller stops its fetcher itself.
func (p *Partition) AttachFetcher(leader, epoch int32, stop func()) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.role != Follower || p.leaderEpoch != epoch || p.leaderID != leader || p.stopFetcher != nil {
		return false
	}
	p.stopFetcher = stop
	return true
}

// InSync reports whether replica id is in the ISR.
func (p *Partition) InSync(id int32) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Contains(p.isr, id)
}
