package broker

import (
	"context"
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
)

// advanceHWLocked raises the high watermark, as leader, to the smallest
// log end offset among the ISR — only while the ISR has at least
// min.insync.replicas members, so that what a smaller ISR holds never
// becomes visible (as with KIP-966). A follower that has not fetched from
// this leader yet holds it back. mu held.
func (p *partition) advanceHWLocked() {
	if p.role != roleLeader || len(p.isr) < p.minISR {
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

// followerFetched records, as leader, a follower's fetch from offset (its
// log end): it may raise the high watermark. If the follower is out of the
// ISR and has caught up — it holds the high watermark and everything of
// this leader's epoch — it returns the ISR to propose with it added.
func (p *partition) followerFetched(id int32, offset int64, now time.Time) (join []int32) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.role != roleLeader || !slices.Contains(p.replicas, id) {
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

// laggingISR returns, as leader, the ISR without the followers that have
// not caught up for longer than maxLag, or nil when none lags.
func (p *partition) laggingISR(now time.Time, maxLag time.Duration) []int32 {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.role != roleLeader {
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

// waitCommitted waits, as leader, until the high watermark passes last
// (acks=all). It fails with NOT_LEADER_OR_FOLLOWER when leadership moves,
// NOT_ENOUGH_REPLICAS_AFTER_APPEND when the ISR falls below
// min.insync.replicas, REQUEST_TIMED_OUT at the deadline.
func (p *partition) waitCommitted(ctx context.Context, last int64, epoch int32, deadline time.Time) error {
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	for {
		p.mu.Lock()
		switch {
		case p.role != roleLeader || p.leaderEpoch != epoch:
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

// appendReplica writes batches fetched from the leader of epoch, as they
// are, and takes the leader's high watermark (as far as this log goes). It
// refuses (false) when this replica no longer follows that epoch.
func (p *partition) appendReplica(batches [][]byte, epoch int32, leaderHW int64) (bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.role != roleFollower || p.leaderEpoch != epoch {
		return false, nil
	}
	epochsChanged := false
	for _, b := range batches {
		h, err := p.log.AppendReplica(b)
		if err != nil {
			return true, err
		}
		p.track(h)
		if p.epochs.observe(h.LeaderEpoch, h.BaseOffset) {
			epochsChanged = true
		}
	}
	if epochsChanged {
		if err := p.epochs.save(); err != nil {
			return true, err
		}
	}
	p.log.SetHighWatermark(leaderHW)
	if len(batches) > 0 {
		p.wakeLocked()
	}
	return true, nil
}

// truncate cuts the log at offset (a follower's divergent tail) and
// rebuilds what is derived from it.
func (p *partition) truncate(offset int64, epoch int32) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.role != roleFollower || p.leaderEpoch != epoch || offset >= p.log.LogEndOffset() {
		return nil
	}
	if err := p.log.TruncateTo(offset); err != nil {
		return err
	}
	return p.rebuild()
}

// resign drops the partition's role (its topic is deleted) and returns
// the fetcher to stop, if any.
func (p *partition) resign() *fetcher {
	p.mu.Lock()
	defer p.mu.Unlock()
	f := p.fetcher
	p.role, p.fetcher, p.leaderID = roleNone, nil, -1
	p.wakeLocked()
	return f
}

// restartAt empties this follower's log and starts it at offset.
func (p *partition) restartAt(offset int64, epoch int32) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.role != roleFollower || p.leaderEpoch != epoch {
		return errNotFollowing
	}
	if err := p.log.Restart(offset); err != nil {
		return err
	}
	return p.rebuild()
}

// divergence is where this follower's log must be cut, given the leader's
// answer for its newest epoch: the leader's largest epoch not above it
// and where that epoch ends in the leader's log. Unknown (-1) falls back
// to the high watermark, as Kafka does.
func (p *partition) divergence(leaderEpoch int32, leaderEnd int64) int64 {
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

// latestEpoch is the newest leader epoch in this replica's log, and the
// offset that epoch ends at here (OffsetForLeaderEpoch, follower side).
func (p *partition) latestEpoch() (int32, int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	e := p.epochs.latest()
	_, end := p.epochs.endOffset(e, p.log.LogEndOffset())
	return e, end
}

// endOffsetFor answers OffsetForLeaderEpoch as leader.
func (p *partition) endOffsetFor(epoch int32) (int32, int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.epochs.endOffset(epoch, p.log.LogEndOffset())
}

// checkEpoch is the leader's fencing of a request that names the leader
// epoch it believes in: an older one is FENCED_LEADER_EPOCH, a newer one
// (this broker has not heard yet) UNKNOWN_LEADER_EPOCH. -1 skips the check.
func (p *partition) checkEpoch(current int32) error {
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

// isLeader reports whether this replica leads (every produce and fetch
// asks: no copy of the ISR, unlike roleState).
func (p *partition) isLeader() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.role == roleLeader
}

// epoch is the leader epoch this replica knows.
func (p *partition) epoch() int32 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.leaderEpoch
}

// roleState is a snapshot of the partition's role for the broker.
type roleState struct {
	role            role
	leader          int32
	epoch           int32
	isr             []int32
	version         int32
	controllerEpoch int
}

func (p *partition) roleState() roleState {
	p.mu.Lock()
	defer p.mu.Unlock()
	return roleState{p.role, p.leaderID, p.leaderEpoch, slices.Clone(p.isr), p.stateVersion, p.controllerEpoch}
}

// setState applies a partition state read from the coordinator (at node
// version) and returns the fetcher to stop, if the role or epoch changed,
// and whether this replica must start following.
func (p *partition) setState(st partitionState, version int32, replicas []int32, now time.Time) (stop *fetcher, follow bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if version < p.stateVersion {
		return nil, false // older than what we know (our own ISR write raced the watch)
	}
	p.stateVersion, p.controllerEpoch, p.replicas = version, st.ControllerEpoch, replicas
	p.isr = slices.Clone(st.ISR)
	newRole := roleNone
	switch {
	case st.Leader == p.self:
		newRole = roleLeader
	case st.Leader >= 0 && slices.Contains(replicas, p.self):
		newRole = roleFollower
	}
	changed := newRole != p.role || st.LeaderEpoch != p.leaderEpoch || st.Leader != p.leaderID
	if changed {
		stop, p.fetcher = p.fetcher, nil
		p.role, p.leaderID, p.leaderEpoch = newRole, st.Leader, st.LeaderEpoch
		if newRole == roleLeader {
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
	return stop, newRole == roleFollower && (changed || p.fetcher == nil)
}
