package group

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
)

// Store is the durable storage of group state, provided by the broker: the
// manager's view of the __consumer_offsets log.
type Store interface {
	// Append writes one record (Kafka's __consumer_offsets key/value format,
	// see the package documentation; a nil value is a tombstone) and returns
	// once it is durable. An error that wraps a *kerr.Error (for example
	// kerr.NotCoordinator after losing leadership of the offsets partition)
	// is reported to the client with that code; any other error becomes
	// COORDINATOR_NOT_AVAILABLE.
	Append(ctx context.Context, key, value []byte) error
	// Replay calls f for every record in log order. New calls it once.
	Replay(f func(key, value []byte) error) error
}

// Options configure a Manager. Zero fields take the defaults noted,
// except RebalanceDelay, where zero means no delay; DefaultOptions returns
// Kafka's defaults.
type Options struct {
	// RebalanceDelay is group.initial.rebalance.delay.ms: how long the first
	// rebalance of an Empty group waits for more members (Kafka: 3s).
	RebalanceDelay time.Duration
	// MinSessionTimeout and MaxSessionTimeout are group.min.session.timeout.ms
	// and group.max.session.timeout.ms (defaults 6s and 30m).
	MinSessionTimeout, MaxSessionTimeout time.Duration
	// Now is the clock (default time.Now). Tests pass a fake one.
	Now func() time.Time
	// TickInterval is how often Run checks session, rebalance and sync
	// deadlines (default 100ms).
	TickInterval time.Duration
	// Skipped, when set, is called for each record New skips because it
	// does not decode (the broker counts them in a metric).
	Skipped func(err error)
	// OffsetsRetention is offsets.retention.minutes (default 7 days) and
	// OffsetsRetentionCheckInterval offsets.retention.check.interval.ms
	// (default 10 minutes): how old committed offsets expire, and how
	// often Run looks for them (retention.go).
	OffsetsRetention              time.Duration
	OffsetsRetentionCheckInterval time.Duration
}

// DefaultOptions returns Apache Kafka's defaults.
func DefaultOptions() Options {
	return Options{
		RebalanceDelay:    3 * time.Second,
		MinSessionTimeout: 6 * time.Second,
		MaxSessionTimeout: 30 * time.Minute,
		Now:               time.Now,
		TickInterval:      100 * time.Millisecond,

		OffsetsRetention:              7 * 24 * time.Hour,
		OffsetsRetentionCheckInterval: 10 * time.Minute,
	}
}

func (o *Options) setDefaults() {
	d := DefaultOptions()
	if o.MinSessionTimeout == 0 {
		o.MinSessionTimeout = d.MinSessionTimeout
	}
	if o.MaxSessionTimeout == 0 {
		o.MaxSessionTimeout = d.MaxSessionTimeout
	}
	if o.Now == nil {
		o.Now = d.Now
	}
	if o.OffsetsRetention == 0 {
		o.OffsetsRetention = d.OffsetsRetention
	}
	if o.OffsetsRetentionCheckInterval == 0 {
		o.OffsetsRetentionCheckInterval = d.OffsetsRetentionCheckInterval
	}
	if o.TickInterval == 0 {
		o.TickInterval = d.TickInterval
	}
}

// Validate reports options that cannot work.
func (o Options) Validate() error {
	switch {
	case o.RebalanceDelay < 0:
		return fmt.Errorf("group: RebalanceDelay %s is negative", o.RebalanceDelay)
	case o.MinSessionTimeout < 0 || o.MaxSessionTimeout < 0:
		return fmt.Errorf("group: session timeouts must not be negative")
	case o.MaxSessionTimeout != 0 && o.MinSessionTimeout > o.MaxSessionTimeout:
		return fmt.Errorf("group: MinSessionTimeout %s exceeds MaxSessionTimeout %s", o.MinSessionTimeout, o.MaxSessionTimeout)
	case o.TickInterval < 0:
		return fmt.Errorf("group: TickInterval %s is negative", o.TickInterval)
	case o.OffsetsRetention < 0 || o.OffsetsRetentionCheckInterval < 0:
		return fmt.Errorf("group: offsets retention and its check interval must not be negative")
	}
	return nil
}

// Manager runs the classic consumer groups this broker hosts: it is what
// the Kafka protocol calls the group coordinator (see the package doc).
//
// Locking: mu guards every group's in-memory state and is never held while
// calling the Store. Each group's wmu serializes that group's Store appends
// and is held from the append until its effect is applied in memory, so the
// log and memory agree on the order of writes. Lock order: wmu, then mu.
type Manager struct {
	store Store
	opts  Options
	log   *slog.Logger

	mu        sync.Mutex
	groups    map[string]*group
	retention time.Time // when Run last expired offsets (retention.go); mu
}

// New returns a Manager whose committed offsets and group generations
// are rebuilt by replaying store. Members never survive a restart: every
// replayed group is Empty and its consumers rejoin.
func New(store Store, opts Options, log *slog.Logger) (*Manager, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	opts.setDefaults()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &Manager{
		store:  store,
		opts:   opts,
		log:    log.With("component", "group"),
		groups: make(map[string]*group),
	}
	// A record that does not decode is skipped, logged and counted, never
	// fatal: one bad record (the log is written by this package, but was
	// once writable by any producer, and a disk can lie) must not keep every
	// group from its coordinator for good. A store that cannot be read is.
	n, skipped := 0, 0
	if err := store.Replay(func(key, value []byte) error {
		n++
		if err := c.apply(key, value); err != nil {
			skipped++
			c.log.Warn("skipping an offsets log record that does not decode", "record", n, "err", err)
			if opts.Skipped != nil {
				opts.Skipped(err)
			}
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("group: replaying offsets log (record %d): %w", n, err)
	}
	now := c.opts.Now()
	c.retention = now
	for name, g := range c.groups {
		if len(g.offsets) == 0 && !g.persisted {
			delete(c.groups, name)
			continue
		}
	}
	c.log.Info("replayed offsets log", "records", n, "skipped", skipped, "groups", len(c.groups))
	return c, nil
}

// Run checks deadlines until ctx ends: expired sessions, rebalances whose
// timeout passed, the initial rebalance delay, leaders that never synced. It
// also writes pending group metadata and drops Empty groups without offsets.
// Joins of a group that waits for RebalanceDelay complete only while Run runs.
func (c *Manager) Run(ctx context.Context) {
	t := time.NewTicker(c.opts.TickInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			c.tick(ctx)
		}
	}
}

// tick is one pass of Run.
func (c *Manager) tick(ctx context.Context) {
	c.expireOffsets(ctx)
	c.mu.Lock()
	now := c.opts.Now()
	var dirty, idle []*group
	for _, g := range c.groups {
		c.expire(g, now)
		if g.metaDirty {
			dirty = append(dirty, g)
		}
		if g.state == stateEmpty && len(g.members) == 0 && len(g.pending) == 0 && len(g.offsets) == 0 {
			idle = append(idle, g)
		}
	}
	c.mu.Unlock()
	for _, g := range dirty {
		if err := c.writeMeta(ctx, g); err != nil {
			c.log.Warn("writing group metadata", "group", g.name, "err", err)
		}
	}
	for _, g := range idle {
		if err := c.removeIdle(ctx, g); err != nil {
			c.log.Warn("removing empty group", "group", g.name, "err", err)
		}
	}
}

// lockGroup returns the group named name with its wmu held, creating it
// when create is set. It returns nil if the group does not exist.
func (c *Manager) lockGroup(name string, create bool) *group {
	for {
		c.mu.Lock()
		g := c.groups[name]
		if g == nil {
			if !create {
				c.mu.Unlock()
				return nil
			}
			g = c.newGroup(name)
		}
		c.mu.Unlock()
		g.wmu.Lock()
		c.mu.Lock()
		same := c.groups[name] == g
		c.mu.Unlock()
		if same {
			return g
		}
		g.wmu.Unlock() // deleted while we waited; look again
	}
}

// newGroup adds an Empty group; c.mu must be held.
func (c *Manager) newGroup(name string) *group {
	g := &group{
		name:       name,
		state:      stateEmpty,
		stateSince: c.opts.Now(),
		pending:    make(map[string]time.Time),
		static:     make(map[string]string),
		offsets:    make(map[topicPartition]offset),
		assignGen:  -1,
	}
	c.groups[name] = g
	return g
}

// writeMeta appends a GroupMetadata record with the group's current state.
// The snapshot is taken after wmu is held, so a later write never carries
// older state than an earlier one.
func (c *Manager) writeMeta(ctx context.Context, g *group) error {
	g.wmu.Lock()
	defer g.wmu.Unlock()
	c.mu.Lock()
	if c.groups[g.name] != g || g.state == stateDead {
		c.mu.Unlock()
		return nil
	}
	key, value := groupMetadataRecord(g)
	g.metaDirty = false
	c.mu.Unlock()

	err := c.store.Append(ctx, key, value)

	c.mu.Lock()
	if err != nil {
		g.metaDirty = true
	} else {
		g.persisted = true
	}
	c.mu.Unlock()
	return err
}

// removeIdle drops an Empty group that has no members and no offsets, with
// a tombstone for its metadata record if it has one (Kafka does the same
// when its offsets expire).
func (c *Manager) removeIdle(ctx context.Context, g *group) error {
	if g = c.lockGroup(g.name, false); g == nil {
		return nil
	}
	defer g.wmu.Unlock()
	c.mu.Lock()
	if g.state != stateEmpty || len(g.members) > 0 || len(g.pending) > 0 || len(g.offsets) > 0 {
		c.mu.Unlock()
		return nil
	}
	persisted := g.persisted
	if !persisted {
		g.setState(stateDead, c.opts.Now())
		delete(c.groups, g.name)
		c.mu.Unlock()
		return nil
	}
	g.setState(stateDead, c.opts.Now())
	c.mu.Unlock()

	err := c.store.Append(ctx, groupMetadataKey(g.name), nil)

	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		g.setState(stateEmpty, c.opts.Now())
		return err
	}
	delete(c.groups, g.name)
	return nil
}

// storeErrCode maps a Store error to the Kafka error code the client gets.
func storeErrCode(err error) int16 {
	var ke *kerr.Error
	if errors.As(err, &ke) {
		return ke.Code
	}
	return kerr.CoordinatorNotAvailable.Code
}

// PartitionOffset is one committed offset, as Offsets returns it.
type PartitionOffset struct {
	Topic       string
	Partition   int32
	Offset      int64
	LeaderEpoch int32 // -1 if unknown
	Metadata    string
	CommitTime  time.Time
}

// Offsets returns the offsets committed by group, sorted by topic and
// partition (for `sluice groups --describe`, which subtracts them from the
// partitions' end offsets to print the lag). ok is false if this
// manager does not know the group.
func (c *Manager) Offsets(group string) (offsets []PartitionOffset, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	g := c.groups[group]
	if g == nil || g.state == stateDead {
		return nil, false
	}
	for tp, o := range g.offsets {
		offsets = append(offsets, PartitionOffset{
			Topic: tp.topic, Partition: tp.partition,
			Offset: o.offset, LeaderEpoch: o.leaderEpoch, Metadata: o.metadata,
			CommitTime: time.UnixMilli(o.commitMillis),
		})
	}
	sort.Slice(offsets, func(i, j int) bool {
		if offsets[i].Topic != offsets[j].Topic {
			return offsets[i].Topic < offsets[j].Topic
		}
		return offsets[i].Partition < offsets[j].Partition
	})
	return offsets, true
}

// clientKey is the context key of the connection's client identity.
type clientKey struct{}

type clientInfo struct{ id, host string }

// WithClient returns ctx carrying the client id (from the request header)
// and host (the connection's remote address, without port) of the request
// being handled. Join reads them for the member id it generates
// ("clientID-uuid") and for DescribeGroups.
func WithClient(ctx context.Context, clientID, host string) context.Context {
	return context.WithValue(ctx, clientKey{}, clientInfo{clientID, host})
}

func clientFrom(ctx context.Context) clientInfo {
	ci, _ := ctx.Value(clientKey{}).(clientInfo)
	return ci
}

// newMemberID returns clientID-<random UUID>, as Kafka names members.
func newMemberID(clientID string) string {
	var u [16]byte
	_, _ = rand.Read(u[:]) // crypto/rand.Read never fails
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("%s-%x-%x-%x-%x-%x", clientID, u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}
