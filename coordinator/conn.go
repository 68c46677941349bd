package coordinator

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	zk "github.com/sluicelogs/sluice/coordinator/zkproto"
)

// maxFrame is ZooKeeper's default jute.maxbuffer (0xfffff): a request frame
// longer than this closes the connection without a reply, as in ZooKeeper.
const maxFrame = 1<<20 - 1

// A client connection's buffers. The read buffer is small: a client's
// packets are small but for a few large writes, and a read at least as
// large as the buffer goes straight to the packet's own buffer (bufio),
// so a large packet is no slower for it, while a connection held in the
// middle of one (sluice-bench attack's zk-huge-connect, up to maxCnxns of
// them) holds little beyond the packet, which largeRequestMaxBytes
// charges. ZooKeeper reads a 4-byte length and then the packet into a
// buffer of its size, with no read buffer at all. The write buffer
// gathers the replies queued while a write is under way.
const (
	clientReadBuffer  = 4 << 10
	clientWriteBuffer = 64 << 10
)

// outQueue is how many replies and notifications may wait for a slow client
// before its connection is closed.
const outQueue = 4096

// conn is one client connection. Three goroutines serve it:
//   - serve reads requests in order, starts each write's proposal at once
//     (so a client's writes are pipelined) and queues a call per request;
//     it answers a plain read itself when nothing of its client is still
//     unanswered;
//   - answer takes the other calls in order, waits for each result (a
//     write's apply, or runs the read then) and replies;
//   - write sends the watch notifications that apply queues (apply never
//     waits for a socket).
//
// Every reply and notification goes through one queue, in the order it
// was queued; whoever queues a reply also writes the queue to the socket
// unless another goroutine is writing it (see send), which spares a reply
// the handoff to the write goroutine. Replies therefore leave in request
// order, a read runs only after the same client's earlier writes were
// applied, and a notification queued by apply precedes the reply of any
// later read.
type conn struct {
	s  *Server
	nc net.Conn

	session atomic.Int64
	timeout time.Duration
	auth    atomic.Pointer[[]zk.ID] // ip:<address>, plus digest ids added by auth packets

	qmu   sync.Mutex
	q     [][]byte      // packets for the socket, in order (qmu)
	kick  chan struct{} // wakes the write goroutine (room for one)
	wmu   sync.Mutex    // held by the goroutine writing q to the socket
	w     *bufio.Writer // wmu; from the pool while drain writes, nil between
	spare [][]byte      // wmu: the slice q had before, for reuse
	free  [][]byte      // qmu: written packets' buffers, for replies to reuse

	calls   *callQueue   // made once the handshake is done (serve)
	pending atomic.Int32 // calls handed to answer and not yet answered
	held    atomic.Int64 // bytes this connection's requests hold of largeRequestMaxBytes
	closed  chan struct{}
	once    sync.Once

	expired atomic.Bool
	closing atomic.Bool // the client asked to close its session

	established time.Time // when accepted, for cons
	stats       *reqStats // this connection's, for cons; crst resets them
	last        connLast  // the last answered request, for cons
}

// call is one request waiting to be answered in order.
type call struct {
	xid  int32
	op   zk.Op
	wait <-chan result             // a write: the result of its apply
	lost <-chan struct{}           // a write: closed if the leader changes before it is applied
	read func() (zk.Record, error) // a read: run in turn, under applyMu
	sync bool                      // sync: wait for ReadIndex first
	last bool                      // closeSession: close after replying

	charge  int64     // what the request holds of largeRequestMaxBytes until answered
	arrived time.Time // when it was read: its latency runs to its reply
}

func newConn(s *Server, nc net.Conn) *conn {
	c := &conn{
		s: s, nc: nc,
		kick:   make(chan struct{}, 1),
		closed: make(chan struct{}),

		established: time.Now(),
		stats:       newReqStats(),
	}
	ids := []zk.ID{{Scheme: "ip", ID: c.remoteIP()}}
	c.auth.Store(&ids)
	return c
}

func (c *conn) sessionID() int64 { return c.session.Load() }

func (c *conn) ids() []zk.ID { return *c.auth.Load() }

// addAuth adds an identity; only the serve goroutine calls it, so the
// copy-and-swap cannot lose an update.
func (c *conn) addAuth(id zk.ID) {
	ids := append(append([]zk.ID(nil), c.ids()...), id)
	c.auth.Store(&ids)
}

// close ends the connection once: the goroutines see c.closed, a blocked
// read returns at once, and the writer sends what is queued (a close reply,
// an expired session's answer) before it closes the socket.
func (c *conn) close() {
	c.once.Do(func() {
		close(c.closed)
		_ = c.nc.SetReadDeadline(time.Now())
	})
}

// expire closes the connection because its session ended elsewhere.
func (c *conn) expire() {
	c.expired.Store(true)
	c.close()
}

// enqueue adds a packet to the queue, or closes a connection whose client
// does not keep up. It never blocks.
func (c *conn) enqueue(packet []byte) bool {
	c.qmu.Lock()
	full := len(c.q) >= outQueue
	if !full {
		c.q = append(c.q, packet)
	}
	c.qmu.Unlock()
	if full {
		c.s.log.Warn("client too slow, closing its connection", "remote", c.nc.RemoteAddr())
		c.close()
	}
	return !full
}

// queue adds a packet for the write goroutine to send: what apply uses,
// as it must not wait for a socket.
func (c *conn) queue(packet []byte) {
	if c.enqueue(packet) {
		select {
		case c.kick <- struct{}{}:
		default: // the write goroutine has a kick pending
		}
	}
}

// send adds a packet and writes the queue to the socket, unless another
// goroutine is writing it, which then writes this packet too: a writer
// checks the queue again after letting go of wmu.
func (c *conn) send(packet []byte) {
	if c.enqueue(packet) {
		c.flush()
	}
}

func (c *conn) flush() {
	for c.wmu.TryLock() {
		err := c.drain()
		c.wmu.Unlock()
		if err != nil {
			c.close()
			c.nc.Close()
			return
		}
		c.qmu.Lock()
		empty := len(c.q) == 0
		c.qmu.Unlock()
		if empty {
			return
		}
	}
}

// Reused reply buffers: at most keepFree per connection, none larger than
// keepFreeSize (a large getData reply's buffer is left to the GC).
const (
	keepFree     = 64
	keepFreeSize = 16 << 10
)

// buffer returns an empty buffer for a reply, reusing a written packet's.
func (c *conn) buffer() []byte {
	c.qmu.Lock()
	defer c.qmu.Unlock()
	if n := len(c.free); n > 0 {
		b := c.free[n-1]
		c.free[n-1] = nil
		c.free = c.free[:n-1]
		return b[:0]
	}
	return make([]byte, 0, 256)
}

// drain writes the queue to the socket until it is empty. The caller holds
// wmu. The packets written are kept for reuse by buffer.
func (c *conn) drain() error {
	if c.w == nil { // nothing written since the last drain
		c.w = c.s.bufs.Writer(c.nc)
	}
	var written [][]byte
	for {
		c.qmu.Lock()
		for _, p := range written {
			if len(c.free) < keepFree && cap(p) <= keepFreeSize {
				c.free = append(c.free, p)
			}
		}
		batch := c.q
		c.q = c.spare[:0]
		c.qmu.Unlock()
		if len(batch) == 0 {
			c.spare = batch
			if err := c.w.Flush(); err != nil {
				return err
			}
			// Written: the buffer goes back to the pool until the next
			// reply, so an idle connection (a session held open) holds
			// none (64 KiB each: most of a member's heap under
			// sluice-bench attack's zk-many-addrs).
			c.s.bufs.PutWriter(c.w)
			c.w = nil
			return nil
		}
		for _, p := range batch {
			if _, err := c.w.Write(p); err != nil {
				return err
			}
		}
		c.stats.sent.Add(int64(len(batch)))
		c.s.stats.sent.Add(int64(len(batch)))
		written = batch
		c.spare = batch
	}
}

func (c *conn) notify(ev zk.WatcherEvent) {
	e := zk.NewEncoder(make([]byte, 0, 64+len(ev.Path)))
	at := e.BeginPacket()
	hdr := zk.ReplyHeader{Xid: zk.XidWatchEvent, Zxid: -1}
	hdr.Encode(e)
	ev.Encode(e)
	e.EndPacket(at)
	c.queue(e.Bytes())
}

// reply queues a reply and writes the queue (see send).
func (c *conn) reply(xid int32, zxid int64, code zk.Err, body zk.Record) {
	if c.queueReply(xid, zxid, code, body) {
		c.flush()
	}
}

// queueReply queues a reply without writing it: what a read does while it
// holds applyMu, which must never wait for a socket (a client that does not
// read would stop every apply).
func (c *conn) queueReply(xid int32, zxid int64, code zk.Err, body zk.Record) bool {
	e := zk.NewEncoder(c.buffer())
	at := e.BeginPacket()
	hdr := zk.ReplyHeader{Xid: xid, Zxid: zxid, Err: code}
	hdr.Encode(e)
	if body != nil && (code == zk.ErrOK || isMulti(body)) {
		body.Encode(e)
	}
	e.EndPacket(at)
	c.s.stats.response(len(e.Bytes()))
	return c.enqueue(e.Bytes())
}

func isMulti(r zk.Record) bool {
	_, ok := r.(*zk.MultiResponse)
	return ok
}

// serve runs the connection until it closes.
func (c *conn) serve(ctx context.Context) {
	var wg sync.WaitGroup
	var r *bufio.Reader
	defer func() {
		c.close()
		wg.Wait()
		// Every goroutine that reads or writes is done: the buffers go
		// back to the server's pools (internal/connbuf).
		c.s.bufs.PutReader(r)
		c.s.bufs.PutWriter(c.w)
		c.w = nil
		c.s.watches.remove(c)
		// What requests never answered (read in part, queued when the
		// connection closed) still held of largeRequestMaxBytes.
		c.s.large.give(c.held.Swap(0))
	}()
	defer c.survive()
	wg.Add(1)
	go func() { defer wg.Done(); c.write() }() // ends when c.closed is closed

	// The first four bytes are read before the connection gets its read
	// buffer (and its write buffer comes with its first reply): a
	// connection that never sends a byte holds no buffers, nor one whose
	// connect request does not fit in largeRequestMaxBytes.
	var first [4]byte
	if _, err := io.ReadFull(c.nc, first[:]); err != nil {
		return
	}
	if word := string(first[:]); fourLetterWord(word) {
		c.fourLetter(word)
		return
	}
	n := int(int32(binary.BigEndian.Uint32(first[:])))
	if n < 0 || n > maxFrame {
		c.s.log.Debug("bad connect packet", "remote", c.nc.RemoteAddr(), "length", n)
		c.s.pacer.owe()
		return
	}
	charged, buf, err := c.charge(n)
	if err != nil {
		c.s.pacer.owe()
		return
	}
	r = c.s.bufs.Reader(io.MultiReader(bytes.NewReader(first[:]), c.nc))
	ok, undecoded := c.handshake(ctx, r, buf)
	if undecoded != nil && c.s.large.keep(undecoded, charged, time.Now()) {
		c.held.Add(-charged) // the spare buffer's now
	} else {
		c.uncharge(charged) // answered, or refused
		c.s.large.free(buf) // the packet, if decoded, was copied
	}
	if !ok {
		c.s.pacer.owe()
		return
	}
	c.calls = newCallQueue()
	wg.Add(1)
	go func() { defer wg.Done(); defer c.survive(); c.answer(ctx) }() // ends when c.closed is closed
	c.readRequests(ctx, r)
}

// survive is deferred by the connection's goroutines that run request code
// (reading and dispatching, answering): a panic there, a bug some request
// reaches, is logged with its stack, counted, and closes this connection
// only; the member goes on serving every other client. Writes are applied
// by the Raft loop, not here: a panic in apply still ends the process, as
// a member whose tree may be half-changed must not serve it.
func (c *conn) survive() {
	p := recover()
	if p == nil {
		return
	}
	c.s.metrics.panics.Inc()
	c.s.log.Error("panic while serving a client; closing its connection", "remote", c.nc.RemoteAddr(), "session", fmt.Sprintf("0x%x", c.sessionID()), "panic", p, "stack", string(debug.Stack()))
	c.close()
}

// deadline gives the client its session timeout to send its next packet
// (pings come every third of it), as ZooKeeper closes silent connections.
func (c *conn) deadline() {
	_ = c.nc.SetReadDeadline(time.Now().Add(c.timeout))
}

// handshake reads the connect request into buf and answers it; ok: the
// session is open. undecoded is buf (as grown) when the packet did not
// arrive whole, so that nothing was decoded from it (a spare buffer, see
// largerequests.go).
func (c *conn) handshake(ctx context.Context, r *bufio.Reader, buf []byte) (ok bool, undecoded []byte) {
	// The read deadline is the one accept set: the connect request must
	// arrive within handshakeTimeout of the accept, however it trickles in.
	packet, err := zk.ReadPacket(r, buf, maxFrame)
	if err != nil {
		c.s.log.Debug("bad connect packet", "remote", c.nc.RemoteAddr(), "err", err)
		return false, packet
	}
	if buf != nil {
		// A large packet's buffer is off the heap and freed after the
		// handshake: what is decoded must not refer to it.
		packet = bytes.Clone(packet)
	}
	req, err := zk.DecodeConnectRequest(packet)
	if err != nil {
		c.s.log.Debug("bad connect request", "remote", c.nc.RemoteAddr(), "err", err)
		return false, nil
	}
	// ZooKeeper counts the connect request as a packet received.
	c.s.connRequests.Add(1)
	c.stats.recv.Add(1)
	c.s.stats.recv.Add(1)
	c.s.stats.bytesRecv.Add(int64(len(packet)) + 4)
	// Clients since 3.4 send a readOnly flag and get one back; older ones
	// (and go-zookeeper) do not, and get none.
	withReadOnly := len(packet) > connectRequestSize+len(req.Passwd)
	if c.s.raft.leader.Load() == 0 {
		// No quorum in sight: like a ZooKeeper server that is not in read-only
		// mode, refuse the client so that it tries another member.
		c.s.log.Debug("refusing a client: no leader", "remote", c.nc.RemoteAddr())
		return false, nil
	}
	if !c.s.throttle.allow() {
		// As ZooKeeper: closed without a reply, before the request costs
		// anything more (a new session is a Raft write). A member that
		// does not serve (no leader) refuses first and takes no token.
		c.s.mu.Lock()
		c.s.refuseLocked("connection_throttle", "connect requests throttled (connection_throttle_tokens)", "remote", c.nc.RemoteAddr().String())
		c.s.mu.Unlock()
		return false, nil
	}
	if req.LastZxidSeen > c.s.tree.LastZxid() {
		// The client has seen a newer state than this member has applied:
		// it must try another member (ZooKeeper refuses it the same way).
		c.s.log.Info("refusing a client ahead of this member", "client_zxid", req.LastZxidSeen, "zxid", c.s.tree.LastZxid())
		return false, nil
	}
	timeout := min(max(time.Duration(req.TimeOut)*time.Millisecond, c.s.cfg.MinSessionTimeout), c.s.cfg.MaxSessionTimeout)
	c.timeout = timeout
	resp := zk.ConnectResponse{TimeOut: int32(timeout.Milliseconds())}
	if req.SessionID == 0 {
		id := c.s.ids.newID()
		lost := c.s.raft.leaderChanged()
		ch, err := c.s.propose(ctx, &entry{kind: entryCreateSession, session: id, timeout: resp.TimeOut})
		if err != nil {
			return false, nil
		}
		select {
		case res := <-ch:
			if res.err != zk.ErrOK {
				return false, nil
			}
		case <-lost:
			// A new leader need not have the session's entry, and then it
			// is never applied: as answer does for a write, give it half
			// the session timeout, then close the connection so that the
			// client connects again. (Waiting for ch alone left the client
			// waiting until its own connect timeout, and this goroutine
			// for good.)
			select {
			case res := <-ch:
				if res.err != zk.ErrOK {
					return false, nil
				}
			case <-time.After(c.timeout / 2):
				c.s.log.Info("closing a connection whose session was not created before the leader changed", "remote", c.nc.RemoteAddr())
				return false, nil
			case <-c.closed:
				return false, nil
			case <-ctx.Done():
				return false, nil
			}
		case <-c.closed:
			return false, nil
		case <-ctx.Done():
			return false, nil
		}
		resp.SessionID, resp.Passwd = id, sessionPassword(id)
	} else {
		stored, live := c.s.tree.Session(req.SessionID)
		if !live || string(req.Passwd) != string(sessionPassword(req.SessionID)) {
			// Expired (or never ours): timeout 0 tells the client so.
			resp = zk.ConnectResponse{Passwd: make([]byte, 16)}
			c.sendConnect(&resp, withReadOnly)
			return false, nil
		}
		resp.TimeOut, c.timeout = stored, time.Duration(stored)*time.Millisecond
		resp.SessionID, resp.Passwd = req.SessionID, sessionPassword(req.SessionID)
	}
	c.session.Store(resp.SessionID)
	c.s.sessions.touch(resp.SessionID)
	c.sendConnect(&resp, withReadOnly)
	return true, nil
}

// connectRequestSize is the size of a connect request without its
// password bytes and readOnly flag.
const connectRequestSize = 4 + 8 + 4 + 8 + 4

// sendConnect queues a connect response, which has no reply header; its
// trailing readOnly flag only when the client sent one.
func (c *conn) sendConnect(r *zk.ConnectResponse, withReadOnly bool) {
	e := zk.NewEncoder(nil)
	at := e.BeginPacket()
	r.Encode(e)
	if !withReadOnly {
		e.Reset(e.Bytes()[:e.Len()-1])
	}
	e.EndPacket(at)
	c.send(e.Bytes())
}

// write sends what queue adds until the connection closes, then what is
// still queued (a close reply, a final notification), giving a client that
// does not read a second at most, and closes the socket.
func (c *conn) write() {
	for {
		select {
		case <-c.kick:
			c.flush()
		case <-c.closed:
			_ = c.nc.SetWriteDeadline(time.Now().Add(time.Second))
			c.wmu.Lock() // a goroutine stuck writing fails by the deadline
			_ = c.drain()
			c.wmu.Unlock()
			c.nc.Close()
			return
		}
	}
}

// errLargeRequests closes a connection whose request would take the
// client port past largeRequestMaxBytes.
var errLargeRequests = errors.New("request would exceed largeRequestMaxBytes")

// charge counts a request of n bytes, the length its header announces,
// against largeRequestMaxBytes before its body is read, and returns what
// it charged with an empty buffer of that capacity for the packet:
// nothing for a request that is not large, or one whose length
// ReadPacket refuses anyway (ReadPacket grows their buffers as their
// bytes arrive). A large packet's buffer is allocated whole, the budget
// having room for it, rather than grown (which leaves the outgrown
// buffers, up to the packet's length again, to the GC), or it is a spare
// one (largerequests.go). A request that does not fit closes the
// connection without a reply, as in ZooKeeper.
func (c *conn) charge(n int) (int64, []byte, error) {
	if n < 0 || n > maxFrame || !c.s.large.large(n) {
		return 0, nil, nil
	}
	buf, ok := c.s.large.takeBuffer(int64(n))
	if !ok {
		c.s.rejectLarge(c.nc.RemoteAddr(), n)
		return 0, nil, errLargeRequests
	}
	c.held.Add(int64(n))
	return int64(n), buf, nil
}

// uncharge gives back what charge took, once the request is answered.
func (c *conn) uncharge(n int64) {
	if n > 0 {
		c.held.Add(-n)
		c.s.large.give(n)
	}
}

// readPacket reads the next request packet, its length (peeked from its
// header) charged first; the charge is the caller's to give back.
func (c *conn) readPacket(r *bufio.Reader, buf []byte) ([]byte, int64, error) {
	head, err := r.Peek(4)
	if err != nil {
		return nil, 0, err
	}
	charged, large, err := c.charge(int(int32(binary.BigEndian.Uint32(head))))
	if err != nil {
		return nil, 0, err
	}
	if charged > 0 {
		buf = large
	}
	packet, err := zk.ReadPacket(r, buf, maxFrame)
	if charged > 0 {
		// The buffer is off the heap (largerequests.go): the packet goes
		// to the heap whole, where the decoded request may refer to it,
		// and the buffer is unmapped at once. The charge stays the
		// request's until it is answered.
		if err == nil {
			packet = bytes.Clone(packet)
		}
		c.s.large.free(large)
	}
	return packet, charged, err
}

func (c *conn) readRequests(ctx context.Context, r *bufio.Reader) {
	buf := make([]byte, 0, 4096)
	for {
		c.deadline()
		packet, charged, err := c.readPacket(r, buf[:0])
		if errors.Is(err, errLargeRequests) {
			return
		}
		if errors.Is(err, zk.ErrTooLarge) {
			// Like ZooKeeper, no reply; but read what the client is still
			// sending (bounded) so that it sees the connection close rather
			// than a reset in the middle of its write.
			_ = c.nc.SetReadDeadline(time.Now().Add(time.Second))
			_, _ = io.CopyN(io.Discard, r, 2*maxFrame)
			return
		}
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				c.s.log.Debug("closing connection", "remote", c.nc.RemoteAddr(), "err", err)
			}
			return
		}
		arrived := time.Now()
		c.stats.recv.Add(1)
		c.s.stats.recv.Add(1)
		c.s.stats.bytesRecv.Add(int64(len(packet)) + 4)
		c.s.sessions.touch(c.sessionID())
		hdr, req, err := zk.DecodeRequestPacket(packet)
		if err != nil {
			c.s.log.Info("closing connection after a bad request", "remote", c.nc.RemoteAddr(), "err", err)
			return
		}
		c.s.metrics.requests.WithLabelValues(hdr.Type.String()).Inc()
		cl, err := c.dispatch(ctx, hdr, req)
		if err != nil {
			c.s.log.Info("closing connection", "remote", c.nc.RemoteAddr(), "op", hdr.Type, "err", err)
			return
		}
		cl.charge, cl.arrived = charged, arrived
		// A plain read with nothing ahead of it is answered here: the
		// reply order stays the request order, and the read skips a
		// goroutine handoff.
		if cl.read != nil && cl.wait == nil && !cl.sync && !cl.last && c.pending.Load() == 0 {
			c.runRead(cl)
			c.uncharge(cl.charge)
			continue
		}
		c.pending.Add(1)
		if !c.calls.push(cl, c.closed) {
			return
		}
		if cl.last {
			<-c.closed
			return
		}
	}
}

// answer replies to the calls in order.
func (c *conn) answer(ctx context.Context) {
	for {
		cl := c.calls.pop(c.closed)
		if cl == nil {
			return
		}
		switch {
		case cl.wait != nil:
			select {
			case res := <-cl.wait:
				c.reply(cl.xid, res.zxid, res.err, res.body)
				c.recordAnswer(cl, res.zxid)
			case <-cl.lost:
				// The write may or may not be committed by the new leader:
				// like a ZooKeeper follower that lost its leader, close the
				// connection, and the client sees ConnectionLoss.
				select {
				case res := <-cl.wait:
					c.reply(cl.xid, res.zxid, res.err, res.body)
					c.recordAnswer(cl, res.zxid)
					c.answered(cl)
					continue
				case <-time.After(c.timeout / 2):
				}
				c.close()
				return
			case <-c.closed:
				return
			}
		case cl.sync:
			sctx, cancel := context.WithTimeout(ctx, c.timeout)
			err := c.s.raft.readIndex(sctx)
			cancel()
			if err != nil {
				c.close() // no quorum: the client retries elsewhere
				return
			}
			c.runRead(cl)
		default:
			c.runRead(cl)
		}
		c.answered(cl)
		if cl.last {
			c.close()
			return
		}
	}
}

// answered marks a call handed to answer as answered.
func (c *conn) answered(cl *call) {
	c.pending.Add(-1)
	c.uncharge(cl.charge)
}

// runRead runs a read and queues its reply under applyMu, so that watches
// it sets cannot miss a change and its reply precedes their notifications;
// it writes the reply after letting go of applyMu.
func (c *conn) runRead(cl *call) {
	if c.readLocked(cl) {
		c.flush()
	}
}

func (c *conn) readLocked(cl *call) bool {
	c.s.applyMu.RLock()
	defer c.s.applyMu.RUnlock()
	if c.s.beforeRead != nil {
		c.s.beforeRead(cl.op)
	}
	body, err := cl.read()
	code := zk.ErrOK
	if err != nil {
		var ok bool
		if code, ok = err.(zk.Err); !ok {
			code = zk.ErrSystemError
		}
	}
	zxid := c.s.tree.LastZxid()
	queued := c.queueReply(cl.xid, zxid, code, body)
	c.recordAnswer(cl, zxid)
	return queued
}

// fourLetterWord reports whether the first four bytes of a connection are a
// four-letter command rather than a packet length.
func fourLetterWord(w string) bool {
	for _, a := range allFourLetterWords {
		if w == a {
			return true
		}
	}
	return false
}

func (c *conn) String() string {
	return fmt.Sprintf("conn %s session %#x", c.nc.RemoteAddr(), c.sessionID())
}
