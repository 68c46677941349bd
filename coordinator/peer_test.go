package coordinator

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"

	pb "go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"

	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/testkit/memtest"
	"github.com/sluicelogs/sluice/testkit/proc"
	"github.com/sluicelogs/sluice/testkit/promtest"
)

// testPeers are transports of members on loopback, without Raft: what
// each receives goes to got.
type testPeers struct {
	tr  map[uint64]*transport
	got chan *pb.Message
}

// startPeers starts a transport for each member id at its host (a
// loopback address) on a free port, after tune changed its options.
func startPeers(t *testing.T, hosts map[uint64]string, tune func(*transportOptions)) *testPeers {
	t.Helper()
	members := map[uint64]Member{}
	for id, host := range hosts {
		port, err := proc.FreePort()
		if err != nil {
			t.Fatal(err)
		}
		members[id] = Member{ID: id, Host: host, PeerPort: port, ElectionPort: port}
	}
	tp := &testPeers{tr: map[uint64]*transport{}, got: make(chan *pb.Message, 16)}
	for id := range hosts {
		o := transportOptions{id: id, members: members, ping: 50 * time.Millisecond, idle: time.Second, handshake: 10 * time.Second}
		if tune != nil {
			tune(&o)
		}
		tr, err := newTransport(o, discardLog())
		if err != nil {
			t.Fatal(err)
		}
		tr.step = func(_ context.Context, m *pb.Message) error { tp.got <- m; return nil }
		tr.sessions = func([]int64) {}
		tr.report = func(uint64, bool) {}
		tp.tr[id] = tr
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); tr.run(ctx) }()
		t.Cleanup(func() { cancel(); <-done })
	}
	return tp
}

// dialFrom connects to tr's peer port from the loopback address ip.
func dialFrom(t *testing.T, ip string, tr *transport) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", tr.ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// awaitRefused connects to tr's peer port from ip, writes b, and waits
// for the port to close the connection; a refusal at accept resets it,
// which the dial itself may see.
func awaitRefused(t *testing.T, ip string, tr *transport, b []byte) {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", tr.ln.Addr().String())
	if errors.Is(err, syscall.ECONNRESET) {
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_, _ = c.Write(b) // may fail: the port closes it at once
	awaitClosed(t, c, "a connection from "+ip)
}

// awaitClosed waits for the other end to close c, failing if it writes.
func awaitClosed(t *testing.T, c net.Conn, what string) {
	t.Helper()
	read := make(chan error, 1)
	go func() { // ends when c is closed, by the peer or the test's cleanup
		_, err := c.Read(make([]byte, 1))
		read <- err
	}()
	await.Eventually(t, 30*time.Second, 10*time.Millisecond, func() error {
		select {
		case err := <-read:
			if err == nil {
				t.Fatalf("%s: the peer port wrote to it", what)
			}
			return nil
		default:
			return fmt.Errorf("%s: still open", what)
		}
	})
}

func hello(id uint64) []byte { return binary.BigEndian.AppendUint64(nil, id) }

// TestPeerFrameLengthBounded: a length header of 1 GiB (the old limit,
// "a snapshot travels in one frame") is refused before anything is
// allocated for it, and no frame the reader accepts costs more than one
// peerChunk.
func TestPeerFrameLengthBounded(t *testing.T) {
	for _, n := range []uint32{1 << 30, maxPeerFrame + 1, 0} {
		in := binary.BigEndian.AppendUint32(nil, n)
		in = append(in, frameRaft)
		var err error
		grew := memtest.Allocated(func() { _, _, err = (&frameReader{r: bytes.NewReader(in)}).next() })
		if err == nil || errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("length %d: %v, want the length refused", n, err)
		}
		if got := grew; got > 64<<10 {
			t.Fatalf("length %d: reading the header allocated %d bytes", n, got)
		}
	}
}

// TestPeerRefusedHeaderGetsNoBuffer: a trusted connection (a server.N
// address, its member's id) whose first frame header is refused (a 1 GiB
// length) is closed before it gets its 256 KiB read buffer: 50 of them
// allocate less than 64 KiB each in all (peer-huge-frame in bench/attack
// sends 25,000 in 5 s), and the peers' own connections still work.
func TestPeerRefusedHeaderGetsNoBuffer(t *testing.T) {
	// 50 connections in a row from one address: more than its rate.
	tp := startPeers(t, map[uint64]string{1: "127.0.0.1", 2: "127.0.0.1"}, func(o *transportOptions) { o.connBurst, o.connRate = 1000, 1000 })
	const conns = 50
	frame := append(hello(2), binary.BigEndian.AppendUint32(nil, 1<<30)...)
	frame = append(frame, frameRaft)
	allocated := memtest.Allocated(func() {
		for range conns {
			c := dialFrom(t, "127.0.0.1", tp.tr[1])
			if _, err := c.Write(frame); err != nil {
				t.Fatal(err)
			}
			awaitClosed(t, c, "a 1 GiB frame header")
		}
	})
	if allocated > conns*64<<10 {
		t.Fatalf("%d refused connections allocated %d bytes (%d each); the read buffer is %d", conns, allocated, allocated/conns, peerReadBuffer)
	}
	m := &pb.Message{Type: pb.MsgHeartbeat.Enum(), From: proto.Uint64(2), To: proto.Uint64(1), Term: proto.Uint64(1)}
	tp.tr[2].send([]*pb.Message{m})
	await.Eventually(t, time.Minute, 10*time.Millisecond, func() error {
		select {
		case got := <-tp.got:
			if got.GetFrom() == 2 {
				return nil
			}
			return errors.New("not yet member 2's message")
		default:
			return errors.New("member 2's message has not arrived")
		}
	})
}

// TestPeerSnapshotInPieces: a MsgSnap of 3.5 MiB travels between two
// members as frames no longer than maxPeerFrame and arrives whole.
func TestPeerSnapshotInPieces(t *testing.T) {
	tp := startPeers(t, map[uint64]string{1: "127.0.0.1", 2: "127.0.0.1"}, nil)
	data := make([]byte, 3*peerChunk+peerChunk/2)
	for i := range data {
		data[i] = byte(i * 7)
	}
	m := &pb.Message{Type: pb.MsgSnap.Enum(), From: proto.Uint64(1), To: proto.Uint64(2), Term: proto.Uint64(3),
		Snapshot: &pb.Snapshot{Data: data, Metadata: &pb.SnapshotMetadata{Index: proto.Uint64(9), Term: proto.Uint64(3)}}}
	tp.tr[1].send([]*pb.Message{m})
	var got *pb.Message
	await.Eventually(t, time.Minute, 10*time.Millisecond, func() error {
		select {
		case got = <-tp.got:
			return nil
		default:
			return errors.New("the snapshot has not arrived")
		}
	})
	if !proto.Equal(got, m) {
		t.Fatalf("received %v (%d bytes of data), want the %d bytes sent", got.GetType(), len(got.GetSnapshot().GetData()), len(data))
	}

	// What the sender writes: pieces, none above the limit.
	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	b, _ := proto.Marshal(m)
	if err := writeFrames(w, frameRaft, b); err != nil || w.Flush() != nil {
		t.Fatal(err)
	}
	frames := 0
	for r := buf.Bytes(); len(r) > 0; frames++ {
		n := binary.BigEndian.Uint32(r)
		if n > maxPeerFrame {
			t.Fatalf("frame %d is %d bytes, above %d", frames, n, maxPeerFrame)
		}
		r = r[4+n:]
	}
	if frames != 4 {
		t.Fatalf("%d frames, want 4", frames)
	}
}

// TestPeerStalledMidFrameDropped: a peer that stops in the middle of a
// frame is dropped once a read has made no progress for the idle timeout
// (syncLimit ticks), rather than holding the connection forever; one
// that stops before its hello, after the handshake timeout.
func TestPeerStalledMidFrameDropped(t *testing.T) {
	tp := startPeers(t, map[uint64]string{1: "127.0.0.1", 2: "127.0.0.1"}, func(o *transportOptions) {
		o.idle, o.handshake = 300*time.Millisecond, 300*time.Millisecond
	})
	c := dialFrom(t, "127.0.0.1", tp.tr[1])
	frame := binary.BigEndian.AppendUint32(hello(2), 100)
	frame = append(frame, frameRaft, 1, 2, 3)
	if _, err := c.Write(frame); err != nil {
		t.Fatal(err)
	}
	awaitClosed(t, c, "a connection stalled in a frame")

	silent := dialFrom(t, "127.0.0.1", tp.tr[1])
	awaitClosed(t, silent, "a connection that never said hello")
}

// TestPeerIdleConnectionKept: an idle connection is pinged, so its reader
// keeps it: after many idle timeouts' worth of pings, every member still
// has the one connection from each other member it had at first.
func TestPeerIdleConnectionKept(t *testing.T) {
	tp := startPeers(t, map[uint64]string{1: "127.0.0.1", 2: "127.0.0.1", 3: "127.0.0.1"}, func(o *transportOptions) {
		o.ping, o.idle = 20*time.Millisecond, time.Second // a second: room for a loaded machine's stalls
	})
	await.Eventually(t, time.Minute, 10*time.Millisecond, func() error {
		for id, tr := range tp.tr {
			if n := tr.pings.Load(); n < 300 { // from two peers every 20ms: 3 idle timeouts
				return fmt.Errorf("member %d has received %d pings", id, n)
			}
		}
		return nil
	})
	for id, tr := range tp.tr {
		if n := tr.trusted.Load(); n != 2 {
			t.Fatalf("member %d accepted %d peer connections, want 2 (idle ones were dropped)", id, n)
		}
	}
}

// TestPeerPortRefusesUnlistedAddress: without sslQuorum, a connection from
// an address that is no server.N host is closed at accept and counted,
// even if it says the id of a member.
func TestPeerPortRefusesUnlistedAddress(t *testing.T) {
	tp := startPeers(t, map[uint64]string{1: "127.0.0.1", 2: "127.0.0.1"}, nil)
	awaitRefused(t, "127.0.0.9", tp.tr[1], hello(2))
	if got := promtest.Value(t, promtest.Of(tp.tr[1].refused), "sluice_coordinator_peer_connections_refused_total", "reason", "address"); got != 1 {
		t.Fatalf("refused{reason=address} = %v, want 1", got)
	}
	if n := tp.tr[1].trusted.Load(); n > 1 { // member 2's own connection
		t.Fatalf("%d trusted connections", n)
	}
}

// TestPeerPortChecksClaimedMember: with the members at different
// addresses, a connection may only claim the id of the member at the
// address it comes from; the members themselves (which dial from their
// own address) are accepted.
func TestPeerPortChecksClaimedMember(t *testing.T) {
	tp := startPeers(t, map[uint64]string{1: "127.0.0.1", 2: "127.0.0.2", 3: "127.0.0.3"}, nil)
	await.Eventually(t, time.Minute, 10*time.Millisecond, func() error {
		for id, tr := range tp.tr {
			if n := tr.trusted.Load(); n != 2 {
				return fmt.Errorf("member %d has trusted %d connections, want 2", id, n)
			}
		}
		return nil
	})
	c := dialFrom(t, "127.0.0.2", tp.tr[1])
	if _, err := c.Write(hello(3)); err != nil {
		t.Fatal(err)
	}
	awaitClosed(t, c, "member 2's address claiming id 3")
	if got := promtest.Value(t, promtest.Of(tp.tr[1].refused), "sluice_coordinator_peer_connections_refused_total", "reason", "member"); got != 1 {
		t.Fatalf("refused{reason=member} = %v, want 1", got)
	}
	// A member's messages carry its own id only.
	c = dialFrom(t, "127.0.0.2", tp.tr[1])
	b, _ := proto.Marshal(&pb.Message{Type: pb.MsgHeartbeat.Enum(), From: proto.Uint64(3), To: proto.Uint64(1)})
	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	_ = writeFrames(w, frameRaft, b)
	_ = w.Flush()
	if _, err := c.Write(append(hello(2), buf.Bytes()...)); err != nil {
		t.Fatal(err)
	}
	awaitClosed(t, c, "member 2 sending a message from member 3")
	select {
	case m := <-tp.got:
		if m.GetFrom() == 3 && m.GetType() == pb.MsgHeartbeat {
			t.Fatalf("member 1 stepped %v", m)
		}
	default:
	}
}

// TestPeerPortWarnsUnauthenticated: without sslQuorum a member says loudly
// at start that its peer port trusts addresses only.
func TestPeerPortWarnsUnauthenticated(t *testing.T) {
	var logged bytes.Buffer
	port, err := proc.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	tr, err := newTransport(transportOptions{id: 1, members: map[uint64]Member{1: {ID: 1, Host: "127.0.0.1", PeerPort: port}},
		ping: time.Second, idle: time.Minute, handshake: time.Minute}, testLogger(&logged))
	if err != nil {
		t.Fatal(err)
	}
	tr.ln.Close()
	if out := logged.String(); !bytes.Contains([]byte(out), []byte("level=WARN")) || !bytes.Contains([]byte(out), []byte("set sslQuorum=true")) {
		t.Fatalf("log at start:\n%s\nwant a warning naming sslQuorum=true", out)
	}
}

func testLogger(w io.Writer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }

// TestPeerPortRateLimit: a member's address that opens connections faster
// than PeerConnRate gets PeerConnBurst of them, then the rest are closed
// at accept (nothing read) and counted; the member's own connection, open
// before the flood, goes on carrying its messages. The clock is stopped
// for the flood, so that no attempt is refilled meanwhile.
func TestPeerPortRateLimit(t *testing.T) {
	const flood = 30
	tp := startPeers(t, map[uint64]string{1: "127.0.0.1", 2: "127.0.0.2"}, nil)
	await.Eventually(t, time.Minute, 10*time.Millisecond, func() error {
		if n := tp.tr[1].trusted.Load(); n != 1 {
			return fmt.Errorf("member 1 trusts %d connections, want member 2's", n)
		}
		return nil
	})
	r := tp.tr[1].rate
	stopped := time.Now()
	r.mu.Lock()
	r.now, r.lastPrune = func() time.Time { return stopped }, stopped
	clear(r.buckets) // member 2's dial is forgotten: a full bucket
	r.mu.Unlock()

	for range PeerConnBurst {
		dialFrom(t, "127.0.0.2", tp.tr[1]) // accepted, held open
	}
	for range flood - PeerConnBurst {
		awaitRefused(t, "127.0.0.2", tp.tr[1], nil)
	}
	if got := promtest.Value(t, promtest.Of(tp.tr[1].refused), "sluice_coordinator_peer_connections_refused_total", "reason", "rate"); got != flood-PeerConnBurst {
		t.Fatalf("refused{reason=rate} = %v, want %d", got, flood-PeerConnBurst)
	}
	tp.awaitHeartbeat(t, 7)
}

// TestPeerPortPacesRefusals: a flood of connections from an address that
// is no member gets refuseBurst refusals at the speed it comes, then the
// accept loop waits a refusal's worth (1/refuseRate) after each one, so
// that the flood takes little of the member's time; member 2's
// connection goes on carrying its messages. The pacer's clock is stopped
// and its waits counted instead of slept.
func TestPeerPortPacesRefusals(t *testing.T) {
	const flood = refuseBurst + 20
	stopped := time.Now()
	var mu sync.Mutex
	var waits []time.Duration
	pacer := newRefusePacer()
	pacer.now = func() time.Time { return stopped }
	pacer.sleep = func(_ context.Context, d time.Duration) {
		mu.Lock()
		waits = append(waits, d)
		mu.Unlock()
	}
	tp := startPeers(t, map[uint64]string{1: "127.0.0.1", 2: "127.0.0.2"}, func(o *transportOptions) {
		if o.id == 1 {
			o.pacer = pacer
		}
	})
	await.Eventually(t, time.Minute, 10*time.Millisecond, func() error {
		if n := tp.tr[1].trusted.Load(); n != 1 {
			return fmt.Errorf("member 1 trusts %d connections, want member 2's", n)
		}
		return nil
	})
	for range flood {
		awaitRefused(t, "127.0.0.9", tp.tr[1], nil)
	}
	await.Eventually(t, time.Minute, 10*time.Millisecond, func() error {
		mu.Lock()
		defer mu.Unlock()
		if len(waits) != flood-refuseBurst {
			return fmt.Errorf("the accept loop waited %d times, want %d (one per refusal past the burst)", len(waits), flood-refuseBurst)
		}
		for _, d := range waits {
			if d != time.Second/refuseRate {
				return fmt.Errorf("waited %v, want %v", d, time.Second/refuseRate)
			}
		}
		return nil
	})
	tp.awaitHeartbeat(t, 9)
}

// awaitHeartbeat has member 2 send member 1 a heartbeat of term and
// waits for it to arrive.
func (tp *testPeers) awaitHeartbeat(t *testing.T, term uint64) {
	t.Helper()
	tp.tr[2].send([]*pb.Message{{Type: pb.MsgHeartbeat.Enum(), From: proto.Uint64(2), To: proto.Uint64(1), Term: proto.Uint64(term)}})
	select {
	case m := <-tp.got:
		if m.GetFrom() != 2 || m.GetTerm() != term {
			t.Fatalf("member 1 got %v", m)
		}
	case <-time.After(time.Minute):
		t.Fatal("member 2's message did not arrive after the flood")
	}
}
