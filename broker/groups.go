package broker

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicelogs/sluice/broker/group"
	"github.com/sluicelogs/sluice/broker/partition"
	"github.com/sluicelogs/sluice/broker/segment"
)

// offsetsStore keeps one group manager's records in its partition of
// __consumer_offsets, in Kafka's key/value formats, so committed offsets
// survive restarts and, replicated like any partition, the loss of the
// broker hosting the groups: a write returns once the ISR has it.
type offsetsStore struct {
	ctx     context.Context // ends when the manager is unloaded: stops a replay
	p       *partition.Partition
	timeout time.Duration
}

func (s *offsetsStore) Append(ctx context.Context, key, value []byte) error {
	_, last, epoch, err := s.p.Append(segment.BuildBatch([]segment.Record{{Key: key, Value: value}}, time.Now().UnixMilli()), true)
	if err == nil {
		err = s.p.WaitCommitted(ctx, last, epoch, time.Now().Add(s.timeout))
	}
	if err != nil {
		return fmt.Errorf("broker: write %s-%d: %w", offsetsTopic, s.p.Index(), coordinatorError(err))
	}
	return s.p.Flush()
}

// coordinatorError is the error a group's client gets for a failed write
// to its offsets partition, as Kafka maps them: a replica that is no
// longer leader (or lost its log directory) is no longer the coordinator;
// too few replicas or a timeout leave the coordinator unavailable.
func coordinatorError(err error) error {
	switch {
	case errors.Is(err, kerr.NotLeaderForPartition), errors.Is(err, kerr.KafkaStorageError):
		return fmt.Errorf("%w (%w)", kerr.NotCoordinator, err) // the first is the code
	case errors.Is(err, kerr.NotEnoughReplicas), errors.Is(err, kerr.NotEnoughReplicasAfterAppend),
		errors.Is(err, kerr.RequestTimedOut), errors.Is(err, kerr.UnknownTopicOrPartition):
		return fmt.Errorf("%w (%w)", kerr.CoordinatorNotAvailable, err)
	}
	return err
}

func (s *offsetsStore) Replay(f func(key, value []byte) error) error {
	off := s.p.LogStartOffset()
	end := s.p.LogEndOffset()
	for off < end {
		if err := s.ctx.Err(); err != nil {
			return fmt.Errorf("broker: replay %s-%d: %w", offsetsTopic, s.p.Index(), err)
		}
		data, err := s.p.ReadBytes(off, 1<<20, end)
		if err != nil {
			return fmt.Errorf("broker: replay %s: %w", offsetsTopic, err)
		}
		if len(data) == 0 {
			break
		}
		next := off
		err = eachRecord(data, func(o int64, r *kmsg.Record) error {
			if o < off {
				return nil // a batch read again after a gap
			}
			return f(r.Key, r.Value)
		})
		if err != nil {
			return err
		}
		// Compaction leaves gaps and batches with fewer records than
		// offsets: go on after the last batch read.
		if bs := segment.SplitBatches(data); len(bs) > 0 {
			h, err := segment.CheckStored(bs[len(bs)-1])
			if err != nil {
				return err
			}
			next = h.NextOffset()
		}
		if next <= off {
			return fmt.Errorf("broker: replay %s stuck at offset %d", offsetsTopic, off)
		}
		off = next
	}
	return nil
}

// ensureOffsetsTopic creates __consumer_offsets when the first group
// looks for its coordinator (FindCoordinator), as Kafka does: with
// offsets.topic.num.partitions partitions of
// offsets.topic.replication.factor replicas. As in Kafka 0.11 and later,
// it is not created while fewer brokers are live than the replication
// factor asks for (clients get COORDINATOR_NOT_AVAILABLE and retry): a
// single broker for development sets offsets.topic.replication.factor=1,
// as Kafka's own config/server.properties does. An existing topic keeps
// the partition count it was created with: groups are spread over it.
func (b *Broker) ensureOffsetsTopic() error {
	if b.lookupTopic(offsetsTopic) != nil {
		return nil
	}
	if err := b.refreshBrokers(); err != nil {
		return err
	}
	b.mu.RLock()
	live := len(b.brokers)
	b.mu.RUnlock()
	if live < int(b.cfg.OffsetsReplication) {
		return fmt.Errorf("broker: %d live brokers do not meet offsets.topic.replication.factor %d for %s; waiting for more",
			live, b.cfg.OffsetsReplication, offsetsTopic)
	}
	err := b.createTopic(offsetsTopic, b.cfg.OffsetsPartitions, b.cfg.OffsetsReplication, map[string]string{
		"cleanup.policy": "compact", "segment.bytes": strconv.FormatInt(int64(b.cfg.OffsetsSegmentBytes), 10)}, false)
	if err == kerr.TopicAlreadyExists {
		b.reloadTopic(offsetsTopic) // created by another broker meanwhile
		return nil
	}
	if err != nil {
		return fmt.Errorf("broker: create %s: %w", offsetsTopic, err)
	}
	return nil
}

// offsetsShard is the group manager of one __consumer_offsets partition
// this broker leads (Kafka's owned partition): loading while m is nil and
// failed is false, then hosting the partition's groups until leadership
// moves on.
type offsetsShard struct {
	epoch  int32          // the leader epoch its log was loaded at
	m      *group.Manager // nil until loaded
	failed bool           // the log could not be loaded
	stop   func()         // cancels the loading or Run and waits for it
}

// syncGroupManager starts loading a group manager (replaying the
// partition's log) when this broker becomes leader of
// __consumer_offsets-index (Kafka's onElection), and stops it when
// leadership moves on (onResignation), so a partition's groups survive
// the loss of the broker hosting them. A new leader epoch while leading
// loads again: another leader may have written meanwhile. Called with
// roleMu held.
func (b *Broker) syncGroupManager(index int32) {
	p, err := b.localPartition(offsetsTopic, index)
	b.groupsMu.Lock()
	sh := b.groups[index]
	b.groupsMu.Unlock()
	if err == nil && sh != nil && sh.epoch == p.Epoch() || err != nil && sh == nil {
		return
	}
	b.stopGroupManager(index)
	if err != nil {
		return
	}
	b.runMu.Lock()
	defer b.runMu.Unlock()
	if b.runCtx == nil || b.runCtx.Err() != nil {
		return
	}
	ctx, cancel := context.WithCancel(b.runCtx)
	done := make(chan struct{})
	sh = &offsetsShard{epoch: p.Epoch(), stop: func() { cancel(); <-done }}
	b.groupsMu.Lock()
	if b.groups == nil {
		b.groups = make(map[int32]*offsetsShard)
	}
	b.groups[index] = sh
	b.groupsMu.Unlock()
	b.bg.Add(1)
	go func() {
		defer b.bg.Done()
		defer close(done)
		b.runGroupManager(ctx, p, sh)
	}()
}

// runGroupManager loads sh's groups from p and, unless sh was stopped
// meanwhile, hosts them until ctx ends.
func (b *Broker) runGroupManager(ctx context.Context, p *partition.Partition, sh *offsetsShard) {
	log := b.log.With("component", "group", "partition", p.Index())
	store := &offsetsStore{ctx: ctx, p: p, timeout: b.cfg.RequestTimeout}
	m, err := group.New(store, group.Options{RebalanceDelay: 0, Skipped: func(error) { b.metrics.offsetsRecordsSkipped.Inc() },
		OffsetsRetention:              time.Duration(b.cfg.OffsetsRetentionMinutes) * time.Minute,
		OffsetsRetentionCheckInterval: b.cfg.OffsetsRetentionCheckInterval}, log)
	b.groupsMu.Lock()
	current := b.groups[p.Index()] == sh
	if current {
		sh.m, sh.failed = m, err != nil
	}
	b.groupsMu.Unlock()
	switch {
	case !current || ctx.Err() != nil:
		return
	case err != nil:
		log.Error("loading consumer groups", "err", err)
		return
	}
	log.Info("hosting consumer groups", "leader_epoch", sh.epoch)
	m.Run(ctx)
}

// stopGroupManager stops the group manager of __consumer_offsets-index if
// this broker runs one.
func (b *Broker) stopGroupManager(index int32) {
	b.groupsMu.Lock()
	sh := b.groups[index]
	delete(b.groups, index)
	b.groupsMu.Unlock()
	if sh != nil {
		b.log.Info("no longer hosting consumer groups", "partition", index)
		sh.stop()
	}
}

// stopGroupManagers stops every group manager (Run's end).
func (b *Broker) stopGroupManagers() {
	b.groupsMu.Lock()
	ids := make([]int32, 0, len(b.groups))
	for id := range b.groups {
		ids = append(ids, id)
	}
	b.groupsMu.Unlock()
	for _, id := range ids {
		b.stopGroupManager(id)
	}
}

// groupManager returns the manager hosting group id, or the error code a
// request for it gets: NOT_COORDINATOR when this broker does not lead
// its offsets partition, COORDINATOR_LOAD_IN_PROGRESS while the
// partition's log is replayed, COORDINATOR_NOT_AVAILABLE if that failed.
func (b *Broker) groupManager(id string) (*group.Manager, int16) {
	b.mu.RLock()
	n := 0
	if t := b.topics[offsetsTopic]; t != nil {
		n = len(t.states)
	}
	b.mu.RUnlock()
	if n == 0 {
		return nil, kerr.NotCoordinator.Code
	}
	b.groupsMu.Lock()
	defer b.groupsMu.Unlock()
	sh := b.groups[group.PartitionFor(id, int32(n))]
	switch {
	case sh == nil:
		return nil, kerr.NotCoordinator.Code
	case sh.failed:
		return nil, kerr.CoordinatorNotAvailable.Code
	case sh.m == nil:
		return nil, kerr.CoordinatorLoadInProgress.Code
	}
	return sh.m, 0
}

// groupManagers returns the loaded managers and whether any partition
// this broker leads is still loading (ListGroups).
func (b *Broker) groupManagers() (ms []*group.Manager, loading bool) {
	b.groupsMu.Lock()
	defer b.groupsMu.Unlock()
	for _, sh := range b.groups {
		switch {
		case sh.m != nil:
			ms = append(ms, sh.m)
		case !sh.failed:
			loading = true
		}
	}
	return ms, loading
}
