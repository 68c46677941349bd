package group

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/sluicelogs/sluice/internal/await"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// memStore is an in-memory Store; fail makes Append return that error.
type memStore struct {
	mu      sync.Mutex
	records []record
	fail    error
}

type record struct{ key, value []byte }

func (s *memStore) Append(_ context.Context, key, value []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	s.records = append(s.records, record{bytes.Clone(key), bytes.Clone(value)})
	return nil
}

func (s *memStore) Replay(f func(key, value []byte) error) error {
	s.mu.Lock()
	recs := append([]record(nil), s.records...)
	s.mu.Unlock()
	for _, r := range recs {
		if err := f(r.key, r.value); err != nil {
			return err
		}
	}
	return nil
}

func (s *memStore) setFail(err error) {
	s.mu.Lock()
	s.fail = err
	s.mu.Unlock()
}

// fileStore is a Store in one file of length-prefixed records (value
// length -1 for a tombstone), synced on every append; a restart is a new
// fileStore and Manager on the same path.
type fileStore struct {
	mu sync.Mutex
	f  *os.File
}

func openFileStore(t *testing.T, path string) *fileStore {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return &fileStore{f: f}
}

func (s *fileStore) Append(_ context.Context, key, value []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b []byte
	b = binary.BigEndian.AppendUint32(b, uint32(len(key)))
	b = append(b, key...)
	if value == nil {
		b = binary.BigEndian.AppendUint32(b, 0xffffffff)
	} else {
		b = binary.BigEndian.AppendUint32(b, uint32(len(value)))
		b = append(b, value...)
	}
	if _, err := s.f.Write(b); err != nil {
		return err
	}
	return s.f.Sync()
}

func (s *fileStore) Replay(f func(key, value []byte) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	r := bufio.NewReader(s.f)
	read := func() ([]byte, bool, error) {
		var n [4]byte
		if _, err := io.ReadFull(r, n[:]); err != nil {
			return nil, false, err
		}
		l := binary.BigEndian.Uint32(n[:])
		if l == 0xffffffff {
			return nil, true, nil
		}
		b := make([]byte, l)
		_, err := io.ReadFull(r, b)
		return b, true, err
	}
	for {
		key, _, err := read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		value, _, err := read()
		if err != nil {
			return fmt.Errorf("record value: %w", err)
		}
		if err := f(key, value); err != nil {
			return err
		}
	}
}

// fakeClock is Options.Now for tests; time moves only by advance.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *fakeClock { return &fakeClock{now: time.Unix(1_700_000_000, 0)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// env is one manager under test with a fake clock.
type env struct {
	t     *testing.T
	c     *Manager
	clock *fakeClock
	store Store
}

func newEnv(t *testing.T, store Store, opts Options) *env {
	t.Helper()
	clock := newClock()
	opts.Now = clock.Now
	c, err := New(store, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, c: c, clock: clock, store: store}
}

// restart builds a new Manager from the same store.
func (e *env) restart(store Store) *env {
	e.t.Helper()
	c, err := New(store, Options{Now: e.clock.Now}, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return &env{t: e.t, c: c, clock: e.clock, store: store}
}

func (e *env) tick() { e.c.tick(context.Background()) }

const (
	testGroup   = "g"
	sessionMS   = 10_000
	rebalanceMS = 30_000
)

func joinReq(group, memberID string, protocols ...string) *kmsg.JoinGroupRequest {
	req := kmsg.NewPtrJoinGroupRequest()
	req.Version = 9
	req.Group = group
	req.MemberID = memberID
	req.SessionTimeoutMillis = sessionMS
	req.RebalanceTimeoutMillis = rebalanceMS
	req.ProtocolType = "consumer"
	if len(protocols) == 0 {
		protocols = []string{"range"}
	}
	for _, p := range protocols {
		jp := kmsg.NewJoinGroupRequestProtocol()
		jp.Name = p
		jp.Metadata = []byte("meta-" + memberID + "-" + p)
		req.Protocols = append(req.Protocols, jp)
	}
	return req
}

// join starts a JoinGroup in its own goroutine, as the broker's connection
// would, and returns where its answer arrives.
func (e *env) join(ctx context.Context, req *kmsg.JoinGroupRequest) <-chan *kmsg.JoinGroupResponse {
	ch := make(chan *kmsg.JoinGroupResponse, 1)
	ctx = WithClient(ctx, "client", "10.0.0.1")
	go func() { ch <- e.c.Join(ctx, req) }()
	return ch
}

// memberID performs the MEMBER_ID_REQUIRED round trip.
func (e *env) memberID() string {
	e.t.Helper()
	resp := recv(e.t, e.join(context.Background(), joinReq(testGroup, "")))
	if resp.ErrorCode != kerr.MemberIDRequired.Code || resp.MemberID == "" {
		e.t.Fatalf("first join: error %d member %q, want MEMBER_ID_REQUIRED", resp.ErrorCode, resp.MemberID)
	}
	return resp.MemberID
}

func recv[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(5 * time.Second):
		t.Fatal("no answer within 5s")
		panic("unreachable")
	}
}

// blocked asserts that nothing has arrived on ch (yet).
func blocked[T any](t *testing.T, ch <-chan T) {
	t.Helper()
	select {
	case v := <-ch:
		t.Fatalf("answered early: %+v", v)
	default:
	}
}

// waitState waits until the group is in state.
func (e *env) waitState(state string) {
	e.t.Helper()
	await.Eventually(e.t, 5*time.Second, time.Millisecond, func() error {
		if got := e.describe().State; got != state {
			return fmt.Errorf("group state %s, want %s", got, state)
		}
		return nil
	})
}

// waitWaiting waits until n members of the group wait in JoinGroup.
func (e *env) waitWaiting(n int) {
	e.t.Helper()
	await.Eventually(e.t, 5*time.Second, time.Millisecond, func() error {
		e.c.mu.Lock()
		defer e.c.mu.Unlock()
		got := 0
		if g := e.c.groups[testGroup]; g != nil {
			for _, m := range g.members {
				if m.joinWait != nil {
					got++
				}
			}
		}
		if got != n {
			return fmt.Errorf("%d members waiting in JoinGroup, want %d", got, n)
		}
		return nil
	})
}

func (e *env) describe() kmsg.DescribeGroupsResponseGroup {
	req := kmsg.NewPtrDescribeGroupsRequest()
	req.Version = 5
	req.Groups = []string{testGroup}
	return e.c.DescribeGroups(req).Groups[0]
}

func (e *env) heartbeat(memberID string, generation int32) int16 {
	req := kmsg.NewPtrHeartbeatRequest()
	req.Version = 4
	req.Group, req.MemberID, req.Generation = testGroup, memberID, generation
	return e.c.Heartbeat(req).ErrorCode
}

func syncReq(memberID string, generation int32, assignments map[string]string) *kmsg.SyncGroupRequest {
	req := kmsg.NewPtrSyncGroupRequest()
	req.Version = 5
	req.Group, req.MemberID, req.Generation = testGroup, memberID, generation
	pt, p := "consumer", "range"
	req.ProtocolType, req.Protocol = &pt, &p
	for id, a := range assignments {
		ga := kmsg.NewSyncGroupRequestGroupAssignment()
		ga.MemberID, ga.MemberAssignment = id, []byte(a)
		req.GroupAssignment = append(req.GroupAssignment, ga)
	}
	return req
}

func (e *env) sync(req *kmsg.SyncGroupRequest) <-chan *kmsg.SyncGroupResponse {
	ch := make(chan *kmsg.SyncGroupResponse, 1)
	go func() { ch <- e.c.Sync(context.Background(), req) }()
	return ch
}

// stable brings ids (fresh member ids) into a Stable group: all join
// concurrently, the leader assigns "assign-<id>" to each, all sync. It
// returns the join responses by member id.
func (e *env) stable(ids ...string) map[string]*kmsg.JoinGroupResponse {
	e.t.Helper()
	chans := make(map[string]<-chan *kmsg.JoinGroupResponse)
	for _, id := range ids {
		chans[id] = e.join(context.Background(), joinReq(testGroup, id))
	}
	joins := make(map[string]*kmsg.JoinGroupResponse)
	for id, ch := range chans {
		joins[id] = recv(e.t, ch)
		if joins[id].ErrorCode != 0 {
			e.t.Fatalf("join %s: error %d", id, joins[id].ErrorCode)
		}
	}
	e.syncAll(joins)
	return joins
}

// syncAll syncs every member of a completed join, followers first.
func (e *env) syncAll(joins map[string]*kmsg.JoinGroupResponse) {
	e.t.Helper()
	var leader *kmsg.JoinGroupResponse
	syncs := make(map[string]<-chan *kmsg.SyncGroupResponse)
	for id, j := range joins {
		if j.LeaderID == id {
			leader = j
			continue
		}
		syncs[id] = e.sync(syncReq(id, j.Generation, nil))
	}
	if leader == nil {
		e.t.Fatal("no member got the leader's join response")
	}
	assign := make(map[string]string)
	for _, m := range leader.Members {
		assign[m.MemberID] = "assign-" + m.MemberID
	}
	syncs[leader.MemberID] = e.sync(syncReq(leader.MemberID, leader.Generation, assign))
	for id, ch := range syncs {
		resp := recv(e.t, ch)
		if resp.ErrorCode != 0 || string(resp.MemberAssignment) != "assign-"+id {
			e.t.Fatalf("sync %s: error %d assignment %q", id, resp.ErrorCode, resp.MemberAssignment)
		}
	}
}

func commitReq(memberID string, generation int32, topic string, offsets map[int32]int64) *kmsg.OffsetCommitRequest {
	req := kmsg.NewPtrOffsetCommitRequest()
	req.Version = 8
	req.Group, req.MemberID, req.Generation = testGroup, memberID, generation
	t := kmsg.NewOffsetCommitRequestTopic()
	t.Topic = topic
	for p, o := range offsets {
		rp := kmsg.NewOffsetCommitRequestTopicPartition()
		rp.Partition, rp.Offset, rp.LeaderEpoch = p, o, 7
		meta := fmt.Sprintf("meta-%d", p)
		rp.Metadata = &meta
		t.Partitions = append(t.Partitions, rp)
	}
	req.Topics = append(req.Topics, t)
	return req
}

// commit returns the distinct error codes of a commit.
func (e *env) commit(req *kmsg.OffsetCommitRequest) []int16 {
	resp := e.c.OffsetCommit(context.Background(), req)
	var codes []int16
	seen := make(map[int16]bool)
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			if !seen[p.ErrorCode] {
				seen[p.ErrorCode] = true
				codes = append(codes, p.ErrorCode)
			}
		}
	}
	return codes
}

// fetched returns the committed offsets of topic's partitions (v8 form).
func (e *env) fetched(topic string, partitions ...int32) map[int32]int64 {
	req := kmsg.NewPtrOffsetFetchRequest()
	req.Version = 8
	rg := kmsg.NewOffsetFetchRequestGroup()
	rg.Group = testGroup
	rt := kmsg.NewOffsetFetchRequestGroupTopic()
	rt.Topic, rt.Partitions = topic, partitions
	rg.Topics = append(rg.Topics, rt)
	req.Groups = append(req.Groups, rg)
	out := make(map[int32]int64)
	for _, t := range e.c.OffsetFetch(req).Groups[0].Topics {
		for _, p := range t.Partitions {
			out[p.Partition] = p.Offset
		}
	}
	return out
}

func tmpPath(t *testing.T) string { return filepath.Join(t.TempDir(), "__consumer_offsets") }
