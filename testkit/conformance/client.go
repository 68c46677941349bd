package conformance

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"path"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/sluicelogs/sluice/internal/await"
)

// env is what one subtest works with: the target and its own root node.
type env struct {
	t      *testing.T
	target Target
	root   string // persistent node owned by this subtest, deleted at its end
}

// p returns the path of a node below the subtest's root.
func (e *env) p(rel string) string { return path.Join(e.root, rel) }

// client is a go-zookeeper connection with an event recorder and a dialer
// whose connections the test can cut.
type client struct {
	*zk.Conn
	t   *testing.T
	rec *recorder
	cut *cutter
}

// connect opens a session to the target and waits until it is established.
// The connection is closed when the subtest ends.
func (e *env) connect() *client {
	e.t.Helper()
	rec := &recorder{notify: make(chan struct{}, 1)}
	cut := &cutter{}
	conn, _, err := zk.Connect(e.target.Addrs, sessionTimeout,
		zk.WithDialer(cut.dial),
		zk.WithEventCallback(rec.add),
		zk.WithLogger(discard{}))
	if err != nil {
		e.t.Fatalf("zk.Connect(%v): %v", e.target.Addrs, err)
	}
	e.t.Cleanup(conn.Close)
	c := &client{Conn: conn, t: e.t, rec: rec, cut: cut}
	c.waitState(0, zk.StateHasSession)
	if conn.SessionID() == 0 {
		e.t.Fatalf("connected with session id 0")
	}
	return c
}

// setup connects a client and creates the subtest's root node, which is
// deleted with everything below it when the subtest ends.
func (e *env) setup() *client {
	e.t.Helper()
	c := e.connect()
	if _, err := c.Create(e.root, nil, zk.FlagPersistent, worldAll); err != nil {
		e.t.Fatalf("create subtest root %s: %v", e.root, err)
	}
	e.t.Cleanup(func() { e.removeTree(e.root) })
	return c
}

// removeTree deletes p and everything below it through a fresh session, so
// that it works whatever state the subtest's own clients are in.
func (e *env) removeTree(p string) {
	conn, _, err := zk.Connect(e.target.Addrs, sessionTimeout, zk.WithLogger(discard{}))
	if err != nil {
		e.t.Errorf("cleanup of %s: connect: %v", p, err)
		return
	}
	defer conn.Close()
	// Retried: requests queued before the session is established can fail
	// with ErrNoServer (a server that just started drops its first
	// connection, and go-zookeeper fails what it had queued).
	if err := await.Until(connectWait, pollEvery, func() error { return deleteTree(conn, p) }); err != nil {
		e.t.Errorf("cleanup of %s: %v", p, err)
	}
}

func deleteTree(conn *zk.Conn, p string) error {
	children, _, err := conn.Children(p)
	if errors.Is(err, zk.ErrNoNode) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("children of %s: %w", p, err)
	}
	for _, ch := range children {
		if err := deleteTree(conn, path.Join(p, ch)); err != nil {
			return err
		}
	}
	if err := conn.Delete(p, -1); err != nil && !errors.Is(err, zk.ErrNoNode) {
		return fmt.Errorf("delete %s: %w", p, err)
	}
	return nil
}

var worldAll = zk.WorldACL(zk.PermAll)

// mustCreate creates a node and fails the test on error.
func (c *client) mustCreate(p string, data []byte, flags int32) string {
	c.t.Helper()
	got, err := c.Create(p, data, flags, worldAll)
	if err != nil {
		c.t.Fatalf("create %s (flags %d): %v", p, flags, err)
	}
	return got
}

// mustStat returns the stat of an existing node.
func (c *client) mustStat(p string) zk.Stat {
	c.t.Helper()
	ok, st, err := c.Exists(p)
	if err != nil || !ok {
		c.t.Fatalf("exists %s = %v, %v; want true, nil", p, ok, err)
	}
	return *st
}

// mustSet sets data and returns the new stat.
func (c *client) mustSet(p string, data []byte, version int32) zk.Stat {
	c.t.Helper()
	st, err := c.Set(p, data, version)
	if err != nil {
		c.t.Fatalf("set %s (version %d): %v", p, version, err)
	}
	return *st
}

// wantErr fails the test unless err is want.
func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: error %v; want %v", what, err, want)
	}
}

// sorted returns a sorted copy, for order-independent comparison of children.
func sorted(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

// expectEvent waits (bounded) for the one event of a watch channel and
// checks its type, path and state.
func expectEvent(t *testing.T, what string, ch <-chan zk.Event, typ zk.EventType, p string) {
	t.Helper()
	select {
	case ev := <-ch:
		// ZooKeeper: watch notifications carry KeeperState SyncConnected (3).
		if ev.Type != typ || ev.Path != p || ev.State != zk.StateSyncConnected || ev.Err != nil {
			t.Fatalf("%s: got event %+v; want %v on %s with state %v", what, ev, typ, p, zk.StateSyncConnected)
		}
	case <-time.After(eventWait):
		t.Fatalf("%s: no %v event on %s within %s", what, typ, p, eventWait)
	}
}

// recorder keeps every event a connection reports (session state changes and
// every watch notification the server sends, whether or not go-zookeeper
// still has a watcher for it).
type recorder struct {
	mu     sync.Mutex
	events []zk.Event
	notify chan struct{} // signalled after each event
}

func (r *recorder) add(ev zk.Event) {
	r.mu.Lock()
	r.events = append(r.events, ev)
	r.mu.Unlock()
	select {
	case r.notify <- struct{}{}:
	default:
	}
}

// mark returns the number of events so far, to look only at later ones.
func (r *recorder) mark() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.events)
}

// since returns the events recorded after mark.
func (r *recorder) since(mark int) []zk.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]zk.Event(nil), r.events[mark:]...)
}

// count counts node events of the given type and path after mark.
func (r *recorder) count(mark int, typ zk.EventType, p string) int {
	n := 0
	for _, ev := range r.since(mark) {
		if ev.Type == typ && ev.Path == p {
			n++
		}
	}
	return n
}

// waitState waits until the connection reports state after mark.
func (c *client) waitState(mark int, state zk.State) {
	c.t.Helper()
	await.Eventually(c.t, connectWait, pollEvery, func() error {
		for _, ev := range c.rec.since(mark) {
			if ev.Type == zk.EventSession && ev.State == state {
				return nil
			}
		}
		return fmt.Errorf("no %v yet; session events: %v", state, c.rec.since(mark))
	})
}

// expectNoEvent asserts that no node event of any of the given paths
// arrives after mark within absenceWait. Callers first read through the same
// connection, so an event caused by an earlier change would already be here.
func (c *client) expectNoEvent(what string, mark int, paths ...string) {
	c.t.Helper()
	check := func() {
		for _, ev := range c.rec.since(mark) {
			for _, p := range paths {
				if ev.Type != zk.EventSession && ev.Path == p {
					c.t.Fatalf("%s: unexpected event %+v", what, ev)
				}
			}
		}
	}
	timer := time.NewTimer(absenceWait)
	defer timer.Stop()
	for {
		check()
		select {
		case <-c.rec.notify:
		case <-timer.C:
			check()
			return
		}
	}
}

// cutter dials the server for a client and can cut the client's TCP
// connections and refuse new ones: the client-side equivalent of a network
// partition, which the server sees as the connection closing.
type cutter struct {
	mu      sync.Mutex
	blocked bool
	conns   []net.Conn
}

func (c *cutter) dial(network, addr string, timeout time.Duration) (net.Conn, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.blocked {
		return nil, errors.New("conformance: dialing is blocked by the test")
	}
	conn, err := net.DialTimeout(network, addr, timeout)
	if err == nil {
		c.conns = append(c.conns, conn)
	}
	return conn, err
}

// cutAndBlock closes the open connections and refuses new ones.
func (c *cutter) cutAndBlock() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.blocked = true
	for _, conn := range c.conns {
		conn.Close()
	}
	c.conns = nil
}

// unblock lets the client connect again.
func (c *cutter) unblock() {
	c.mu.Lock()
	c.blocked = false
	c.mu.Unlock()
}

type discard struct{}

func (discard) Printf(string, ...interface{}) {}

// handshake is the server's answer to a raw ConnectRequest.
type handshake struct {
	protocolVersion int32
	timeoutMs       int32
	sessionID       int64
	passwdLen       int
	frameLen        int // length of the ConnectResponse frame body
}

// rawHandshake sends a ConnectRequest asking for timeoutMs over a new TCP
// connection, reads the ConnectResponse, and closes the session it got.
// go-zookeeper does not expose the negotiated timeout, hence the raw frames.
func rawHandshake(addr string, timeoutMs int32) (handshake, error) {
	var h handshake
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return h, err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))

	// ConnectRequest: protocolVersion int32, lastZxidSeen int64, timeOut
	// int32, sessionId int64, passwd buffer (int32 length + bytes), readOnly
	// bool (as Apache ZooKeeper's Java client sends it).
	req := binary.BigEndian.AppendUint32(nil, 0) // frame length, set below
	req = binary.BigEndian.AppendUint32(req, 0)  // protocolVersion
	req = binary.BigEndian.AppendUint64(req, 0)  // lastZxidSeen
	req = binary.BigEndian.AppendUint32(req, uint32(timeoutMs))
	req = binary.BigEndian.AppendUint64(req, 0) // sessionId
	req = binary.BigEndian.AppendUint32(req, 16)
	req = append(req, make([]byte, 16)...) // passwd
	req = append(req, 0)                   // readOnly
	binary.BigEndian.PutUint32(req, uint32(len(req)-4))
	if _, err := conn.Write(req); err != nil {
		return h, fmt.Errorf("write ConnectRequest: %w", err)
	}
	body, err := readFrame(conn)
	if err != nil {
		return h, fmt.Errorf("read ConnectResponse: %w", err)
	}
	h.frameLen = len(body)
	if len(body) < 20 {
		return h, fmt.Errorf("ConnectResponse of %d bytes", len(body))
	}
	h.protocolVersion = int32(binary.BigEndian.Uint32(body[0:]))
	h.timeoutMs = int32(binary.BigEndian.Uint32(body[4:]))
	h.sessionID = int64(binary.BigEndian.Uint64(body[8:]))
	h.passwdLen = int(int32(binary.BigEndian.Uint32(body[16:])))

	// closeSession: RequestHeader{xid 1, type -11}; the reply header is
	// xid int32, zxid int64, err int32.
	cl := binary.BigEndian.AppendUint32(nil, 8)
	cl = binary.BigEndian.AppendUint32(cl, 1)
	cl = binary.BigEndian.AppendUint32(cl, uint32(0xfffffff5)) // -11
	if _, err := conn.Write(cl); err != nil {
		return h, fmt.Errorf("write closeSession: %w", err)
	}
	reply, err := readFrame(conn)
	if err != nil {
		return h, fmt.Errorf("read closeSession reply: %w", err)
	}
	if len(reply) < 16 || binary.BigEndian.Uint32(reply) != 1 || binary.BigEndian.Uint32(reply[12:]) != 0 {
		return h, fmt.Errorf("closeSession reply % x", reply)
	}
	return h, nil
}

func readFrame(r io.Reader) ([]byte, error) {
	var n [4]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return nil, err
	}
	size := binary.BigEndian.Uint32(n[:])
	if size > 1<<20 {
		return nil, fmt.Errorf("frame of %d bytes", size)
	}
	body := make([]byte, size)
	_, err := io.ReadFull(r, body)
	return body, err
}
