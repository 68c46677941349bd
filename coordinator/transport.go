package coordinator

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"

	"github.com/sluicelogs/sluice/internal/accept"
)

// The peer transport carries, between members on their peer ports:
//
//	frame   = uint32 length (of kind+payload), kind byte, payload
//	kind 1  a Raft message (protobuf)
//	kind 2  session heartbeats: int64 session ids whose clients are
//	        connected to the sender, for the leader's expiry clock
//
// A connection starts with the dialer's member id (uint64). Each member
// dials every other one and only writes on the connections it dialed, so
// each direction has its own connection. Messages to an unreachable peer
// are dropped (Raft retransmits) and reported to Raft.
const (
	frameRaft     byte = 1
	frameSessions byte = 2
	maxPeerFrame       = 1 << 30 // a snapshot of a large tree travels in one frame
	peerQueue          = 1024
)

type transport struct {
	id    uint64
	peers map[uint64]*peer
	ln    net.Listener
	log   *slog.Logger

	step     func(ctx context.Context, m *pb.Message) error
	sessions func(ids []int64)
	report   func(id uint64, snap bool) // unreachable peer, failed snapshot

	wg sync.WaitGroup
}

type peer struct {
	id   uint64
	addr string
	out  chan []byte
}

func newTransport(id uint64, listen string, addrs map[uint64]string, log *slog.Logger) (*transport, error) {
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, fmt.Errorf("coordinator: listen on peer port: %w", err)
	}
	t := &transport{id: id, ln: ln, log: log, peers: map[uint64]*peer{}}
	for pid, addr := range addrs {
		if pid != id {
			t.peers[pid] = &peer{id: pid, addr: addr, out: make(chan []byte, peerQueue)}
		}
	}
	return t, nil
}

// send queues Raft messages for their peers; it never blocks.
func (t *transport) send(msgs []*pb.Message) {
	for _, m := range msgs {
		p := t.peers[m.GetTo()]
		if p == nil {
			continue
		}
		b, err := proto.Marshal(m)
		if err != nil {
			t.log.Error("marshal raft message", "err", err)
			continue
		}
		if !t.queue(p, frameRaft, b) {
			t.report(p.id, m.GetType() == pb.MsgSnap)
		}
	}
}

// heartbeat sends the ids of the sessions connected here to a member.
func (t *transport) heartbeat(to uint64, ids []int64) {
	p := t.peers[to]
	if p == nil || len(ids) == 0 {
		return
	}
	b := make([]byte, 8*len(ids))
	for i, id := range ids {
		binary.BigEndian.PutUint64(b[8*i:], uint64(id))
	}
	t.queue(p, frameSessions, b)
}

func (t *transport) queue(p *peer, kind byte, payload []byte) bool {
	f := make([]byte, 5+len(payload))
	binary.BigEndian.PutUint32(f, uint32(1+len(payload)))
	f[4] = kind
	copy(f[5:], payload)
	select {
	case p.out <- f:
		return true
	default:
		return false
	}
}

// run accepts peers and keeps a connection to each until ctx is done.
func (t *transport) run(ctx context.Context) {
	for _, p := range t.peers {
		t.wg.Add(1)
		go func() { defer t.wg.Done(); t.dialLoop(ctx, p) }()
	}
	t.wg.Add(1)
	go func() { defer t.wg.Done(); t.acceptLoop(ctx) }()
	<-ctx.Done()
	t.ln.Close()
	t.wg.Wait()
}

func (t *transport) acceptLoop(ctx context.Context) {
	var conns sync.WaitGroup
	defer conns.Wait()
	var mu sync.Mutex
	open := map[net.Conn]struct{}{}
	closing := false
	go func() { // closes inbound connections when ctx ends; owned by acceptLoop
		<-ctx.Done()
		mu.Lock()
		closing = true
		for c := range open {
			c.Close()
		}
		mu.Unlock()
	}()
	for {
		c, err := accept.Next(ctx, t.ln, t.log)
		if err != nil { // closed by run, which is stopping
			return
		}
		mu.Lock()
		if closing { // accepted after the closer ran: nobody else would close it
			mu.Unlock()
			c.Close()
			continue
		}
		open[c] = struct{}{}
		mu.Unlock()
		conns.Add(1)
		go func() {
			defer conns.Done()
			if err := t.receive(ctx, c); err != nil && ctx.Err() == nil && !errors.Is(err, io.EOF) {
				t.log.Debug("peer connection ended", "remote", c.RemoteAddr(), "err", err)
			}
			c.Close()
			mu.Lock()
			delete(open, c)
			mu.Unlock()
		}()
	}
}

func (t *transport) receive(ctx context.Context, c net.Conn) error {
	r := bufio.NewReaderSize(c, 256<<10)
	var hello [8]byte
	if _, err := io.ReadFull(r, hello[:]); err != nil {
		return err
	}
	from := binary.BigEndian.Uint64(hello[:])
	if _, ok := t.peers[from]; !ok {
		return fmt.Errorf("unknown member %d", from)
	}
	var hdr [5]byte
	for {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return err
		}
		n := binary.BigEndian.Uint32(hdr[:4])
		if n < 1 || n > maxPeerFrame {
			return fmt.Errorf("bad frame length %d from member %d", n, from)
		}
		payload := make([]byte, n-1)
		if _, err := io.ReadFull(r, payload); err != nil {
			return err
		}
		switch hdr[4] {
		case frameRaft:
			m := &pb.Message{}
			if err := proto.Unmarshal(payload, m); err != nil {
				return fmt.Errorf("bad raft message from member %d: %w", from, err)
			}
			if err := t.step(ctx, m); err != nil && ctx.Err() == nil && !errors.Is(err, raft.ErrStopped) {
				t.log.Debug("raft step", "from", from, "err", err)
			}
		case frameSessions:
			ids := make([]int64, len(payload)/8)
			for i := range ids {
				ids[i] = int64(binary.BigEndian.Uint64(payload[8*i:]))
			}
			t.sessions(ids)
		default:
			return fmt.Errorf("unknown frame kind %d from member %d", hdr[4], from)
		}
	}
}

// dialLoop keeps a connection to p and writes its queue to it.
func (t *transport) dialLoop(ctx context.Context, p *peer) {
	backoff := 50 * time.Millisecond
	for ctx.Err() == nil {
		var d net.Dialer
		dctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		c, err := d.DialContext(dctx, "tcp", p.addr)
		cancel()
		if err != nil {
			t.drain(p)
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, time.Second)
			continue
		}
		backoff = 50 * time.Millisecond
		err = t.write(ctx, c, p)
		c.Close()
		if err != nil && ctx.Err() == nil {
			t.log.Debug("peer connection lost", "peer", p.id, "err", err)
			t.report(p.id, false)
		}
	}
}

// drain drops what is queued for an unreachable peer, telling Raft.
func (t *transport) drain(p *peer) {
	for {
		select {
		case f := <-p.out:
			if f[4] == frameRaft {
				t.report(p.id, isSnapFrame(f))
			}
		default:
			return
		}
	}
}

func isSnapFrame(f []byte) bool {
	m := &pb.Message{}
	return proto.Unmarshal(f[5:], m) == nil && m.GetType() == pb.MsgSnap
}

func (t *transport) write(ctx context.Context, c net.Conn, p *peer) error {
	w := bufio.NewWriterSize(c, 256<<10)
	var hello [8]byte
	binary.BigEndian.PutUint64(hello[:], t.id)
	if _, err := w.Write(hello[:]); err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case f := <-p.out:
			_ = c.SetWriteDeadline(time.Now().Add(10 * time.Second))
			if _, err := w.Write(f); err != nil {
				return err
			}
			if len(p.out) == 0 {
				if err := w.Flush(); err != nil {
					return err
				}
			}
		}
	}
}
