package coordinator

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"

	"github.com/sluicelogs/sluice/coordinator/wal"
)

// stateMachine is what the Raft loop applies committed entries to.
type stateMachine interface {
	apply(index uint64, data []byte)
	snapshot() []byte
	// freeze copies the state quickly and returns what writes the copy's
	// encoding, which may run while the state goes on changing.
	freeze() func(io.Writer) error
	restore(data []byte) error
}

// raftNode owns the Raft Ready loop: the one place where the log and hard
// state are persisted and messages are sent, in the order go.etcd.io/raft
// requires; it hands committed entries to its applier goroutine, which
// applies them in log order and takes snapshots (see handle).
type raftNode struct {
	id        uint64
	node      raft.Node
	wal       *wal.WAL
	sm        stateMachine
	send      func([]*pb.Message) // the peer transport; nil when standalone
	tick      time.Duration
	snapCount uint64 // entries applied between snapshots
	log       *slog.Logger

	confState *pb.ConfState // owned by the applier once run has started
	snapIndex atomic.Uint64 // of the last snapshot taken or received
	snapping  atomic.Bool   // a snapshot is being written in the background
	snapWG    sync.WaitGroup
	leader    atomic.Uint64
	isLeader  atomic.Bool

	mu        sync.Mutex
	applied   uint64
	waiters   []appliedWaiter
	reads     map[uint64]chan uint64 // ReadIndex request id → index
	readSeq   uint64
	leaderChg chan struct{} // closed (and replaced) when the leader changes
}

type appliedWaiter struct {
	index uint64
	ch    chan struct{}
}

// raftOptions are the settings of a raftNode.
type raftOptions struct {
	id        uint64
	voters    []uint64
	learners  []uint64
	logDir    string
	snapDir   string
	tick      time.Duration
	snapCount uint64
}

// startRaft opens the WAL, restores the state machine from its snapshot
// (or bootstraps a new ensemble with the configured members) and starts
// Raft; the Ready loop runs in run.
func startRaft(o raftOptions, sm stateMachine, send func([]*pb.Message), log *slog.Logger) (*raftNode, error) {
	w, err := wal.Open(o.logDir, o.snapDir, log)
	if err != nil {
		return nil, fmt.Errorf("coordinator: open log: %w", err)
	}
	rn := &raftNode{
		id: o.id, wal: w, sm: sm, send: send, tick: o.tick,
		snapCount: o.snapCount, log: log,
		reads: map[uint64]chan uint64{}, leaderChg: make(chan struct{}),
	}
	storage := w.Storage()
	snap := w.Snapshot()
	hs, _, err := storage.InitialState()
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("coordinator: log state: %w", err)
	}
	last, _ := storage.LastIndex()
	if (snap == nil || raft.IsEmptySnap(snap)) && raft.IsEmptyHardState(hs) && last == 0 {
		// A new member: every member of the ensemble starts from the same
		// snapshot at index 1 naming the voters and learners (observers).
		snap = &pb.Snapshot{
			Data: sm.snapshot(),
			Metadata: &pb.SnapshotMetadata{
				Index: proto.Uint64(1), Term: proto.Uint64(1),
				ConfState: &pb.ConfState{Voters: o.voters, Learners: o.learners},
			},
		}
		if err := w.SaveSnapshot(snap); err != nil {
			w.Close()
			return nil, fmt.Errorf("coordinator: bootstrap: %w", err)
		}
		if err := w.Save(&pb.HardState{Term: proto.Uint64(1), Commit: proto.Uint64(1)}, nil, true); err != nil {
			w.Close()
			return nil, fmt.Errorf("coordinator: bootstrap: %w", err)
		}
	} else if snap != nil && !raft.IsEmptySnap(snap) {
		if err := sm.restore(snap.GetData()); err != nil {
			w.Close()
			return nil, fmt.Errorf("coordinator: restore snapshot %d: %w", snap.GetMetadata().GetIndex(), err)
		}
	}
	rn.confState = snap.GetMetadata().GetConfState()
	rn.snapIndex.Store(snap.GetMetadata().GetIndex())
	rn.applied = rn.snapIndex.Load()
	rn.node = raft.RestartNode(&raft.Config{
		ID:              o.id,
		ElectionTick:    10,
		HeartbeatTick:   1,
		Storage:         storage,
		Applied:         rn.applied,
		MaxSizePerMsg:   1 << 20,
		MaxInflightMsgs: 256,
		CheckQuorum:     true,
		PreVote:         true,
		Logger:          raftLogger{log},
	})
	return rn, nil
}

// applyQueue is how many batches of committed entries may wait for the
// applier before the Ready loop waits for it.
const applyQueue = 64

// toApply is one batch for the applier, in log order: a snapshot from the
// leader to restore, then committed entries. done, if not nil, is closed
// once the batch is applied.
type toApply struct {
	snap    *pb.Snapshot
	entries []*pb.Entry
	done    chan struct{}
}

// run is the Ready loop; it returns when ctx is done, after stopping Raft
// and closing the WAL. Committed entries are applied by a goroutine of its
// own (applier), as etcd does, so that the state machine applies one batch
// while the loop persists the next one.
func (rn *raftNode) run(ctx context.Context) error {
	defer rn.wal.Close()
	defer rn.snapWG.Wait() // a snapshot being written finishes before the WAL closes
	defer rn.wal.Rush()    // ... at full speed
	defer rn.node.Stop()
	applyc := make(chan toApply, applyQueue)
	applyErr := make(chan error, 1)
	var applyWG sync.WaitGroup
	applyWG.Add(1)
	go func() { // owned by run: it ends when applyc is closed, below
		defer applyWG.Done()
		rn.applier(applyc, applyErr)
	}()
	defer func() {
		close(applyc) // the applier finishes what is queued (before snapWG.Wait)
		applyWG.Wait()
	}()
	if len(rn.confState.GetVoters()) == 1 && rn.confState.GetVoters()[0] == rn.id {
		_ = rn.node.Campaign(ctx) // standalone: lead at once
	}
	ticker := time.NewTicker(rn.tick)
	defer ticker.Stop()
	queue := func(b toApply) error {
		select {
		case applyc <- b:
			return nil
		case err := <-applyErr:
			return err
		}
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-applyErr:
			return err
		case <-ticker.C:
			rn.node.Tick()
		case rd := <-rn.node.Ready():
			if err := rn.handle(rd, queue); err != nil {
				return err
			}
			rn.node.Advance()
		}
	}
}

// handle processes one Ready in the order go.etcd.io/raft requires, with
// the two reorderings etcd makes:
//   - committed entries that were persisted by an earlier Ready go to the
//     applier before this Ready's entries are written, so that applying
//     them overlaps the write and its fsync; committed entries among this
//     Ready's own entries (a leader committed by its followers' acks) go
//     only after the write: nothing is applied before it is durable here;
//   - a leader sends its messages before writing (its followers write in
//     parallel; raft counts the leader's own ack only after this write).
//     Any other member sends only after writing, as its messages may vote
//     or acknowledge entries.
//
// A batch with a configuration change is waited for before Advance, so
// that Raft sees the new configuration before its next Ready.
func (rn *raftNode) handle(rd raft.Ready, queue func(toApply) error) error {
	if rd.SoftState != nil {
		rn.setLeader(rd.SoftState.Lead, rd.SoftState.RaftState == raft.StateLeader)
	}
	var early, late toApply
	if rd.Snapshot != nil && !raft.IsEmptySnap(rd.Snapshot) {
		if err := rn.wal.SaveSnapshot(rd.Snapshot); err != nil {
			return fmt.Errorf("coordinator: save snapshot: %w", err)
		}
		early.snap = rd.Snapshot
	}
	split := len(rd.CommittedEntries)
	if len(rd.Entries) > 0 {
		first := rd.Entries[0].GetIndex()
		split = sort.Search(len(rd.CommittedEntries), func(i int) bool { return rd.CommittedEntries[i].GetIndex() >= first })
	}
	early.entries, late.entries = rd.CommittedEntries[:split], rd.CommittedEntries[split:]
	if hasConfChange(rd.CommittedEntries) {
		late.done = make(chan struct{})
	}
	if early.snap != nil || len(early.entries) > 0 {
		if err := queue(early); err != nil {
			return err
		}
	}
	leader := rn.isLeader.Load()
	if leader && rn.send != nil && len(rd.Messages) > 0 {
		rn.send(rd.Messages)
	}
	if err := rn.wal.Save(rd.HardState, rd.Entries, rd.MustSync); err != nil {
		return fmt.Errorf("coordinator: save log: %w", err)
	}
	if !leader && rn.send != nil && len(rd.Messages) > 0 {
		rn.send(rd.Messages)
	}
	if len(late.entries) > 0 || late.done != nil {
		if err := queue(late); err != nil {
			return err
		}
	}
	for _, rs := range rd.ReadStates {
		rn.readDone(rs)
	}
	if late.done != nil {
		<-late.done // the applier closes it, or has failed and closes it on its way out
	}
	return nil
}

func hasConfChange(ents []*pb.Entry) bool {
	for _, e := range ents {
		if t := e.GetType(); t == pb.EntryConfChange || t == pb.EntryConfChangeV2 {
			return true
		}
	}
	return false
}

// applier applies the batches of the Ready loop in order until in is
// closed, and takes snapshots every snapCount entries. It owns confState.
// An error is sent on errc (which has room for it), which stops the loop;
// the applier then applies nothing more but still closes the done
// channels of what is queued, so that the loop is never left waiting.
func (rn *raftNode) applier(in <-chan toApply, errc chan<- error) {
	failed := false
	for b := range in {
		if !failed {
			if err := rn.applyBatch(b); err != nil {
				failed = true
				errc <- err
			}
		}
		if b.done != nil {
			close(b.done)
		}
	}
}

func (rn *raftNode) applyBatch(b toApply) error {
	if b.snap != nil {
		rn.log.Info("restoring the leader's snapshot", "index", b.snap.GetMetadata().GetIndex(), "bytes", len(b.snap.GetData()))
		if err := rn.sm.restore(b.snap.GetData()); err != nil {
			return fmt.Errorf("coordinator: restore snapshot: %w", err)
		}
		rn.confState = b.snap.GetMetadata().GetConfState()
		rn.snapIndex.Store(b.snap.GetMetadata().GetIndex())
		rn.setApplied(b.snap.GetMetadata().GetIndex())
	}
	if len(b.entries) == 0 {
		return nil
	}
	for _, e := range b.entries {
		switch e.GetType() {
		case pb.EntryNormal:
			if len(e.GetData()) > 0 {
				rn.sm.apply(e.GetIndex(), e.GetData())
			}
		case pb.EntryConfChange, pb.EntryConfChangeV2:
			cc, err := decodeConfChange(e)
			if err != nil {
				return err
			}
			rn.confState = rn.node.ApplyConfChange(cc)
		}
	}
	rn.setApplied(b.entries[len(b.entries)-1].GetIndex())
	return rn.maybeSnapshot()
}

func decodeConfChange(e *pb.Entry) (pb.ConfChangeI, error) {
	if e.GetType() == pb.EntryConfChange {
		var cc pb.ConfChange
		if err := proto.Unmarshal(e.GetData(), &cc); err != nil {
			return nil, fmt.Errorf("coordinator: conf change at %d: %w", e.GetIndex(), err)
		}
		return &cc, nil
	}
	var cc pb.ConfChangeV2
	if err := proto.Unmarshal(e.GetData(), &cc); err != nil {
		return nil, fmt.Errorf("coordinator: conf change at %d: %w", e.GetIndex(), err)
	}
	return &cc, nil
}

// maybeSnapshot starts a snapshot every snapCount applied entries: the
// state is frozen here, at the applied index (a quick copy), and encoded
// and written in the background so that the applier goes on. Only the
// applier calls it.
func (rn *raftNode) maybeSnapshot() error {
	rn.mu.Lock()
	applied := rn.applied
	rn.mu.Unlock()
	if applied-rn.snapIndex.Load() < rn.snapCount || rn.snapping.Load() {
		return nil
	}
	encode := rn.sm.freeze()
	cs := proto.Clone(rn.confState).(*pb.ConfState)
	rn.snapping.Store(true)
	rn.snapWG.Add(1)
	go func() { // owned by run, which waits for snapWG
		defer rn.snapWG.Done()
		defer rn.snapping.Store(false)
		if err := rn.wal.CreateSnapshotFrom(applied, cs, encode); err != nil {
			rn.log.Warn("snapshot failed; the log keeps everything meanwhile", "index", applied, "err", err)
			return
		}
		if applied > rn.snapIndex.Load() {
			rn.snapIndex.Store(applied)
		}
	}()
	return nil
}

func (rn *raftNode) setLeader(lead uint64, me bool) {
	if rn.leader.Swap(lead) == lead && rn.isLeader.Load() == me {
		return
	}
	rn.isLeader.Store(me)
	rn.log.Info("raft leader", "leader", lead, "me", me)
	rn.mu.Lock()
	close(rn.leaderChg)
	rn.leaderChg = make(chan struct{})
	rn.mu.Unlock()
}

// leaderChanged returns a channel closed at the next change of leader.
func (rn *raftNode) leaderChanged() <-chan struct{} {
	rn.mu.Lock()
	defer rn.mu.Unlock()
	return rn.leaderChg
}

func (rn *raftNode) setApplied(index uint64) {
	rn.mu.Lock()
	defer rn.mu.Unlock()
	if index <= rn.applied {
		return
	}
	rn.applied = index
	kept := rn.waiters[:0]
	for _, w := range rn.waiters {
		if w.index <= index {
			close(w.ch)
		} else {
			kept = append(kept, w)
		}
	}
	rn.waiters = kept
}

// waitApplied returns when entries up to index have been applied.
func (rn *raftNode) waitApplied(ctx context.Context, index uint64) error {
	rn.mu.Lock()
	if rn.applied >= index {
		rn.mu.Unlock()
		return nil
	}
	ch := make(chan struct{})
	rn.waiters = append(rn.waiters, appliedWaiter{index, ch})
	rn.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// readIndex returns once this member has applied everything committed when
// it was called (Raft's ReadIndex): what sync needs.
func (rn *raftNode) readIndex(ctx context.Context) error {
	rn.mu.Lock()
	rn.readSeq++
	id := rn.readSeq
	ch := make(chan uint64, 1)
	rn.reads[id] = ch
	rn.mu.Unlock()
	defer func() {
		rn.mu.Lock()
		delete(rn.reads, id)
		rn.mu.Unlock()
	}()
	rctx := binary.BigEndian.AppendUint64(nil, id)
	if err := rn.node.ReadIndex(ctx, rctx); err != nil {
		return err
	}
	select {
	case index := <-ch:
		return rn.waitApplied(ctx, index)
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (rn *raftNode) readDone(rs raft.ReadState) {
	if len(rs.RequestCtx) != 8 {
		return
	}
	id := binary.BigEndian.Uint64(rs.RequestCtx)
	rn.mu.Lock()
	ch := rn.reads[id]
	rn.mu.Unlock()
	if ch != nil {
		ch <- rs.Index
	}
}

// purge deletes snapshots (and the log before them) beyond the newest
// retain ones: ZooKeeper's autopurge.
func (rn *raftNode) purge(retain int) error { return rn.wal.Purge(retain) }

// propose puts data in the log; it returns ErrProposalDropped-style errors
// when there is no leader.
func (rn *raftNode) propose(ctx context.Context, data []byte) error {
	return rn.node.Propose(ctx, data)
}

// raftLogger sends the raft library's log lines to slog.
type raftLogger struct{ l *slog.Logger }

func (r raftLogger) Debug(v ...any)                 { r.l.Debug(fmt.Sprint(v...)) }
func (r raftLogger) Debugf(format string, v ...any) { r.l.Debug(fmt.Sprintf(format, v...)) }
func (r raftLogger) Info(v ...any)                  { r.l.Debug(fmt.Sprint(v...)) }
func (r raftLogger) Infof(format string, v ...any)  { r.l.Debug(fmt.Sprintf(format, v...)) }
func (r raftLogger) Warning(v ...any)               { r.l.Warn(fmt.Sprint(v...)) }
func (r raftLogger) Warningf(format string, v ...any) {
	r.l.Warn(fmt.Sprintf(format, v...))
}
func (r raftLogger) Error(v ...any)                 { r.l.Error(fmt.Sprint(v...)) }
func (r raftLogger) Errorf(format string, v ...any) { r.l.Error(fmt.Sprintf(format, v...)) }
func (r raftLogger) Fatal(v ...any)                 { r.l.Error(fmt.Sprint(v...)); panic(fmt.Sprint(v...)) }
func (r raftLogger) Fatalf(format string, v ...any) {
	r.l.Error(fmt.Sprintf(format, v...))
	panic(fmt.Sprintf(format, v...))
}
func (r raftLogger) Panic(v ...any)                 { panic(fmt.Sprint(v...)) }
func (r raftLogger) Panicf(format string, v ...any) { panic(fmt.Sprintf(format, v...)) }
