package partition

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/sluicelogs/sluice/broker/segment"
)

// Partition is one replica of a partition on this broker: its segment log,
// its role (leader, follower or neither) with the leader epoch and ISR the
// cluster metadata last said, the idempotent producers' sequence state,
// and a channel that long-polling fetches and acks=all produces wait on.
// See the package doc for who may call what, and the locking.
type Partition struct {
	topic  string
	index  int32
	dir    string
	self   int32 // this broker's id
	minISR int   // min.insync.replicas of the topic
	log    *segment.Log
	lg     *slog.Logger

	mu              sync.Mutex
	role            Role
	leaderID        int32
	leaderEpoch     int32
	leaderSince     int32 // leader only: the epoch this replica's current leadership began in
	replicas        []int32
	isr             []int32
	stateVersion    int32 // version of the cluster metadata's state node behind the above
	controllerEpoch int
	followers       map[int32]*followerState // leader only: what each replica fetched
	epochs          *epochCache
	producers       map[int64]*producerState
	notify          chan struct{} // closed and replaced after every append and high-watermark change
	stopFetcher     func()        // follower only, once the broker runs: stops its fetcher
	offline         bool          // a write to its log directory failed: no role until a restart
	onStorageError  func(error)
}

// Role is what this replica does for the partition.
type Role int8

// The roles a replica can have.
const (
	None Role = iota
	Leader
	Follower
)

func (r Role) String() string {
	switch r {
	case Leader:
		return "leader"
	case Follower:
		return "follower"
	}
	return "none"
}

// ErrNotFollowing is a follower's write refused because this replica no
// longer follows the leader epoch it fetched in.
var ErrNotFollowing = errors.New("no longer following this leader epoch")

// Config is what Open needs to know of a partition.
type Config struct {
	Topic  string
	Index  int32
	Self   int32 // this broker's id
	MinISR int   // min.insync.replicas of the topic
	Dir    string
	Log    segment.Options
	Logger *slog.Logger
	// OnStorageError is called once, when a write to the log fails with
	// KAFKA_STORAGE_ERROR (ENOSPC, EIO) and the partition goes offline:
	// the broker takes the whole log directory offline. It is called
	// with the partition's lock held: it must not block nor call the
	// partition.
	OnStorageError func(error)
}

// Open opens (or creates) the partition's log in cfg.Dir and recovers its
// leader epochs and producer state. It has no role until SetState.
func Open(cfg Config) (*Partition, error) {
	l, err := segment.Open(cfg.Dir, cfg.Log, cfg.Logger)
	if err != nil {
		return nil, fmt.Errorf("partition: open %s-%d: %w", cfg.Topic, cfg.Index, err)
	}
	p := &Partition{topic: cfg.Topic, index: cfg.Index, dir: cfg.Dir, self: cfg.Self, minISR: cfg.MinISR, log: l, lg: cfg.Logger,
		leaderID: -1, producers: map[int64]*producerState{}, notify: make(chan struct{}), onStorageError: cfg.OnStorageError}
	if p.epochs, err = loadEpochs(cfg.Dir); err == nil {
		err = p.rebuild()
	}
	if err != nil {
		l.Close()
		return nil, err
	}
	return p, nil
}

// Topic is the partition's topic.
func (p *Partition) Topic() string { return p.topic }

// Dir is the partition's directory, in one of the broker's log.dirs.
func (p *Partition) Dir() string { return p.dir }

// Index is the partition's number in its topic.
func (p *Partition) Index() int32 { return p.index }

// Logger logs with the partition's topic and number.
func (p *Partition) Logger() *slog.Logger { return p.lg }

// rebuild recovers, from the batch headers in the log, the idempotent
// producers' last sequences (so a retry after a restart is still
// recognised as a duplicate) and the leader epochs the checkpoint missed;
// epochs past the log's end (cut by recovery or truncation) are dropped.
// mu held, or p not yet shared.
func (p *Partition) rebuild() error {
	p.producers = map[int64]*producerState{}
	changed := p.epochs.truncate(p.log.LogEndOffset())
	err := p.log.ScanHeaders(func(h segment.Header) {
		p.track(h)
		if p.epochs.observe(h.LeaderEpoch, h.BaseOffset) {
			changed = true
		}
	})
	if err != nil {
		return fmt.Errorf("partition: scan %s-%d: %w", p.topic, p.index, err)
	}
	if changed {
		return p.epochs.save()
	}
	return nil
}

// Append writes a producer's batch as leader. The batch is validated here,
// once (segment.CheckBatch; AppendChecked does not validate again), then
// idempotent sequences are checked: a retry of one of the last batches
// gets its original offset back and is not written again; a gap or a stale
// epoch is refused. With requireISR (acks=all) the batch is refused with
// NOT_ENOUGH_REPLICAS, unwritten, while the ISR is smaller than
// min.insync.replicas. It returns the batch's first and last offsets and
// the leader epoch it was written in.
func (p *Partition) Append(batch []byte, requireISR bool) (base, last int64, epoch int32, err error) {
	cb, err := segment.CheckBatch(batch)
	if err != nil {
		return -1, -1, 0, err
	}
	h := cb.Header()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.offline {
		return -1, -1, 0, kerr.KafkaStorageError
	}
	if p.role != Leader {
		return -1, -1, 0, kerr.NotLeaderForPartition
	}
	if requireISR && len(p.isr) < p.minISR {
		return -1, -1, 0, kerr.NotEnoughReplicas
	}
	if dup, ok, err := p.checkSequence(h); err != nil {
		return -1, -1, 0, err
	} else if ok {
		return dup, dup + int64(h.LastOffsetDelta), p.leaderEpoch, nil // a retry: already written
	}
	base, last, err = p.log.AppendChecked(cb, p.leaderEpoch)
	if err != nil {
		p.failLocked(err)
		return -1, -1, 0, err
	}
	h.BaseOffset = base
	p.track(h)
	p.advanceHWLocked()
	p.wakeLocked()
	return base, last, p.leaderEpoch, nil
}

// failLocked takes the partition offline when err is a storage failure
// (the segment log wraps every I/O failure in KAFKA_STORAGE_ERROR): it
// gives up its role at once, so nothing more is appended or served, and
// tells the broker. mu held.
func (p *Partition) failLocked(err error) {
	if p.offline || !errors.Is(err, kerr.KafkaStorageError) {
		return
	}
	p.offline = true
	p.role = None
	p.lg.Error("partition offline: its log directory failed", "err", err)
	p.wakeLocked()
	if p.onStorageError != nil {
		p.onStorageError(err)
	}
}

// failed is failLocked for the log calls made without mu.
func (p *Partition) failed(err error) {
	if err == nil || !errors.Is(err, kerr.KafkaStorageError) {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.failLocked(err)
}

// TakeOffline puts the partition offline (its log directory failed,
// maybe through another partition): it drops its role for good — SetState
// gives it none until the broker restarts — and returns the function that
// stops its fetcher, if it has one, to call outside mu.
func (p *Partition) TakeOffline() (stopFetcher func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	stop := p.stopFetcher
	p.stopFetcher = nil
	if !p.offline {
		p.offline = true
		p.lg.Error("partition offline: its log directory failed")
	}
	p.role = None
	p.wakeLocked()
	return stop
}

// Offline reports whether the partition's log directory failed.
func (p *Partition) Offline() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.offline
}

// wakeLocked wakes everyone waiting on notify. mu held.
func (p *Partition) wakeLocked() {
	close(p.notify)
	p.notify = make(chan struct{})
}

// WaitChan returns a channel closed at the next append, high-watermark or
// role change.
func (p *Partition) WaitChan() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.notify
}

// The log's own state, read without mu (the log guards itself).

// HighWatermark is the offset below which the ISR holds every record.
func (p *Partition) HighWatermark() int64 { return p.log.HighWatermark() }

// LogEndOffset is the offset the next batch gets.
func (p *Partition) LogEndOffset() int64 { return p.log.LogEndOffset() }

// LogStartOffset is the first offset still in the log.
func (p *Partition) LogStartOffset() int64 { return p.log.LogStartOffset() }

// Read returns whole batches from offset, below maxOffset (see
// segment.Log.Read); the caller releases the result.
func (p *Partition) Read(offset int64, maxBytes int, maxOffset int64) (segment.ReadResult, error) {
	return p.log.Read(offset, maxBytes, maxOffset)
}

// ReadBytes is Read with the bytes copied.
func (p *Partition) ReadBytes(offset int64, maxBytes int, maxOffset int64) ([]byte, error) {
	return p.log.ReadBytes(offset, maxBytes, maxOffset)
}

// OffsetForTimestamp is the first offset at or after ts.
func (p *Partition) OffsetForTimestamp(ts int64) (int64, error) { return p.log.OffsetForTimestamp(ts) }

// Flush fsyncs what was appended; a failed fsync takes the partition
// offline.
func (p *Partition) Flush() error {
	err := p.log.Flush()
	p.failed(err)
	return err
}

// FlushIfDue fsyncs what was appended when the log's flush interval has
// passed since its last fsync (segment.Log.FlushIfDue); a failed fsync
// takes the partition offline.
func (p *Partition) FlushIfDue(now time.Time) (bool, error) {
	did, err := p.log.FlushIfDue(now)
	p.failed(err)
	return did, err
}

// Clean runs a compaction pass when the log is compacted and due (see
// segment.Log.Clean).
func (p *Partition) Clean(ctx context.Context, now time.Time) (segment.CleanStats, error) {
	return p.log.Clean(ctx, now)
}

// EnforceRetention deletes the segments retention allows to go.
func (p *Partition) EnforceRetention(now time.Time) (int, error) { return p.log.EnforceRetention(now) }

// Close closes the log. A follower's fetcher must be stopped first
// (Resign returns it).
func (p *Partition) Close() error { return p.log.Close() }
