package coordinator

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"

	"github.com/sluicelogs/sluice/internal/accept"
)

// The peer transport: each member dials every other one and only writes
// on the connections it dialed, so each direction has its own connection
// (frames: peerframe.go). Messages to an unreachable peer are dropped
// (Raft retransmits) and reported to Raft.
//
// Who may connect. ZooKeeper's quorum port, without quorum TLS, trusts
// whoever connects; ours checks what it can:
//   - a connection from an address that is not one of the server.N hosts
//     (resolved at start, and again, at most every peerResolveEvery, when
//     an unknown address connects: a member may have moved) is closed at
//     accept and counted in sluice_coordinator_peer_connections_refused_total;
//   - the member id a connection claims must be one whose host resolves to
//     the address it comes from. When several members share an address (as
//     on one machine, or in the loopback tests) any of them may claim any
//     of their ids: the address check is all that is possible there. A
//     dialer binds its connections to the address of its own server.N
//     host, so that the check holds on hosts with several addresses;
//   - with sslQuorum=true, the connection is mutual TLS (quorumtls.go): the
//     certificate, not the address, is what authenticates a member, and
//     the address checks above are off, so that members behind NAT, or
//     whose server.N host is a proxy's or a service's address, can
//     connect (as with ZooKeeper's quorum TLS).
//
// Timeouts (ZooKeeper's keys): a connection must complete its TLS
// handshake and hello within initLimit ticks; then a read that makes no
// progress for syncLimit ticks ends it (a peer that stops mid-frame is
// dropped; an idle one is not, as its dialer pings every half tick).
const (
	peerQueue        = 1024
	peerResolveEvery = 10 * time.Second
)

type transport struct {
	id    uint64
	peers map[uint64]*peer
	ln    net.Listener
	log   *slog.Logger
	local *net.TCPAddr // dialed connections come from here; nil: any address
	tls   *quorumTLS   // nil without sslQuorum

	ping, idle, handshake time.Duration

	hosts       map[uint64]string // server.N hosts, to resolve
	resolveMu   sync.Mutex        // one resolution at a time; guards lastResolve
	lastResolve time.Time
	addrs       atomic.Pointer[peerAddrs]

	rate        *peerRate // connection attempts per address (peerrate.go)
	pacer       *refusePacer
	refused     *prometheus.CounterVec
	refuseMu    sync.Mutex // guards refusals and lastRefusal
	refusals    int
	lastRefusal time.Time

	// trusted counts the connections accepted past their hello, pings the
	// pings received: what tests watch.
	trusted, pings atomic.Int64

	step     func(ctx context.Context, m *pb.Message) error
	sessions func(ids []int64)
	report   func(id uint64, snap bool) // unreachable peer, failed snapshot

	wg sync.WaitGroup
}

// peerAddrs are the addresses the server.N hosts resolved to.
type peerAddrs struct {
	byIP     map[netip.Addr][]uint64 // → the members at that address
	ofMember map[uint64][]netip.Addr
}

type peer struct {
	id   uint64
	addr string // host:peerPort
	host string
	out  chan outFrame
}

// outFrame is a message queued for a peer: kind frameRaft or frameSessions.
type outFrame struct {
	kind    byte
	payload []byte
	snap    bool // a MsgSnap, whose loss Raft must hear of
}

// transportOptions are the settings of a member's peer port.
type transportOptions struct {
	id      uint64
	members map[uint64]Member // the server.N lines, this member's included
	listen  string            // "" = this member's host:peerPort
	tls     *quorumTLS        // nil: plain TCP
	// ping is how often an idle connection is pinged, idle how long a read
	// may make no progress, handshake how long a new connection has to
	// send its hello (after its TLS handshake).
	ping, idle, handshake time.Duration
	refused               *prometheus.CounterVec // by reason; nil: not counted
	// connBurst connections from one address at once, then connRate a
	// second; 0: PeerConnBurst, PeerConnRate (tests raise them).
	connBurst, connRate float64
	pacer               *refusePacer // nil: newRefusePacer() (tests pass one with their clock)
}

// peerTimeouts derives the peer port's timeouts from ZooKeeper's keys:
// pings every tickTime/2 (as a ZooKeeper leader pings its followers), a
// silent connection dropped after syncLimit ticks (ZooKeeper's read
// timeout on a follower's connection to its leader), and initLimit ticks
// to say hello.
func peerTimeouts(cfg *Config) (ping, idle, handshake time.Duration) {
	return cfg.TickTime / 2, cfg.TickTime * time.Duration(cfg.SyncLimit), cfg.TickTime * time.Duration(cfg.InitLimit)
}

func newTransport(o transportOptions, log *slog.Logger) (*transport, error) {
	listen := o.listen
	if listen == "" {
		listen = o.members[o.id].PeerAddr()
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, fmt.Errorf("coordinator: listen on peer port: %w", err)
	}
	t := &transport{
		id: o.id, ln: ln, log: log, peers: map[uint64]*peer{}, tls: o.tls,
		ping: o.ping, idle: o.idle, handshake: o.handshake,
		hosts: map[uint64]string{}, refused: o.refused, rate: newPeerRate(o.connBurst, o.connRate), pacer: o.pacer,
	}
	if t.pacer == nil {
		t.pacer = newRefusePacer()
	}
	if t.refused == nil {
		t.refused = newPeerRefused()
	}
	if ip := ln.Addr().(*net.TCPAddr).IP; !ip.IsUnspecified() {
		t.local = &net.TCPAddr{IP: ip}
	}
	for id, m := range o.members {
		t.hosts[id] = m.Host
		if id != o.id {
			t.peers[id] = &peer{id: id, addr: m.PeerAddr(), host: m.Host, out: make(chan outFrame, peerQueue)}
		}
	}
	if t.tls == nil { // with TLS, addresses are not checked
		t.resolve(context.Background())
		log.Warn("the quorum (peer) port is UNAUTHENTICATED: any process that can connect from the address of a server.N host can act as that member and change the data; set sslQuorum=true (with ssl.quorum.keyStore.* and ssl.quorum.trustStore.*) to authenticate members by certificate",
			"addr", ln.Addr().String())
	}
	return t, nil
}

// resolve looks up the server.N hosts, at most once per peerResolveEvery
// after the first time. A host that does not resolve keeps the addresses
// it had (none at first) and is warned about.
func (t *transport) resolve(ctx context.Context) {
	t.resolveMu.Lock()
	defer t.resolveMu.Unlock()
	if old := t.addrs.Load(); old != nil && time.Since(t.lastResolve) < peerResolveEvery {
		return
	}
	t.lastResolve = time.Now()
	old := t.addrs.Load()
	next := &peerAddrs{byIP: map[netip.Addr][]uint64{}, ofMember: map[uint64][]netip.Addr{}}
	for id, host := range t.hosts {
		var ips []netip.Addr
		if ip, err := netip.ParseAddr(host); err == nil {
			ips = []netip.Addr{ip.Unmap()}
		} else {
			rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			found, err := net.DefaultResolver.LookupNetIP(rctx, "ip", host)
			cancel()
			if err != nil {
				t.log.Warn("cannot resolve a member's host; connections from it are refused until it resolves", "member", id, "host", host, "err", err)
				if old != nil {
					found = old.ofMember[id]
				}
			}
			for _, ip := range found {
				ips = append(ips, ip.Unmap())
			}
		}
		next.ofMember[id] = ips
		for _, ip := range ips {
			if !ip.IsUnspecified() { // server.N=0.0.0.0:… is this member's own listen address
				next.byIP[ip] = append(next.byIP[ip], id)
			}
		}
	}
	t.addrs.Store(next)
}

// allowed reports whether ip is the address of a server.N host,
// resolving the hosts again (rate-limited) when it is not.
func (t *transport) allowed(ctx context.Context, ip netip.Addr) bool {
	if _, ok := t.addrs.Load().byIP[ip]; ok {
		return true
	}
	t.resolve(ctx)
	_, ok := t.addrs.Load().byIP[ip]
	return ok
}

// claimOK reports whether member id may connect from ip: its host
// resolved to ip.
func (t *transport) claimOK(id uint64, ip netip.Addr) bool {
	return slices.Contains(t.addrs.Load().ofMember[id], ip)
}

func newPeerRefused() *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sluice_coordinator_peer_connections_refused_total",
		Help: "Connections to the peer (quorum) port closed before they were trusted, by reason: address (not a server.N host), member (claims an id that is not a member at its address), tls (no TLS, or a certificate the trust store does not vouch for), certificate (does not name the claimed member's host), handshake (no hello in time, or a bad one), rate (more connections from one address than peerrate.go allows).",
	}, []string{"reason"})
}

// refuse counts a refused peer connection and warns about it, at most
// once per refusalLogInterval with how many were refused since.
func (t *transport) refuse(reason, msg string, attrs ...any) {
	t.refused.WithLabelValues(reason).Inc()
	t.refuseMu.Lock()
	defer t.refuseMu.Unlock()
	t.refusals++
	if now := time.Now(); now.Sub(t.lastRefusal) >= refusalLogInterval {
		t.log.Warn(msg, append(attrs, "reason", reason, "refused", t.refusals)...)
		t.refusals, t.lastRefusal = 0, now
	}
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
		snap := m.GetType() == pb.MsgSnap
		if !t.queue(p, outFrame{kind: frameRaft, payload: b, snap: snap}) {
			t.report(p.id, snap)
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
	t.queue(p, outFrame{kind: frameSessions, payload: b})
}

func (t *transport) queue(p *peer, f outFrame) bool {
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
		remote := remoteIP(c)
		if t.tls == nil && !t.allowed(ctx, remote) {
			t.refuse("address", "peer connection from an address that is no server.N host", "remote", remote)
			refuseNow(c)
			t.pacer.refused(ctx)
			continue
		}
		// After the address check, so that only the server.N hosts'
		// addresses (or with sslQuorum, every address) take a bucket.
		if !t.rate.allow(remote) {
			t.refuse("rate", "peer connections from one address too often", "remote", remote, "burst", t.rate.burst, "per_second", t.rate.perSecond)
			refuseNow(c)
			t.pacer.refused(ctx)
			continue
		}
		// Set before the connection is shared, so that a close (which
		// moves the deadline to now) always comes after it.
		_ = c.SetDeadline(time.Now().Add(t.handshake))
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
			if err := t.receive(ctx, c, remote); err != nil && ctx.Err() == nil && !errors.Is(err, io.EOF) {
				t.log.Debug("peer connection ended", "remote", c.RemoteAddr(), "err", err)
			}
			c.Close()
			mu.Lock()
			delete(open, c)
			mu.Unlock()
		}()
	}
}

func remoteIP(c net.Conn) netip.Addr {
	if a, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		ip, _ := netip.AddrFromSlice(a.IP)
		return ip.Unmap()
	}
	ap, _ := netip.ParseAddrPort(c.RemoteAddr().String())
	return ap.Addr().Unmap()
}

// refusal is an error that ends a connection before it was trusted.
type refusal struct {
	reason string
	err    error
}

func (r *refusal) Error() string { return r.err.Error() }

// receive authenticates an accepted connection (TLS, then the claimed
// id), then reads its frames until it ends. c's deadline bounds the
// handshake.
func (t *transport) receive(ctx context.Context, c net.Conn, remote netip.Addr) error {
	from, rc, err := t.hello(ctx, c, remote)
	if err != nil {
		var r *refusal
		if errors.As(err, &r) && ctx.Err() == nil {
			t.refuse(r.reason, "peer connection refused", "remote", c.RemoteAddr().String(), "err", r.err)
		}
		return err
	}
	t.trusted.Add(1)
	_ = rc.SetDeadline(time.Time{}) // from now on, each read has its own (idleReader)
	idle := idleReader{rc, t.idle}
	fr := &frameReader{r: idle, buffered: idle, onPing: func() { t.pings.Add(1) }}
	for {
		kind, payload, err := fr.next()
		if err != nil {
			return fmt.Errorf("member %d: %w", from, err)
		}
		switch kind {
		case frameRaft:
			m := &pb.Message{}
			if err := proto.Unmarshal(payload, m); err != nil {
				return fmt.Errorf("bad raft message from member %d: %w", from, err)
			}
			if m.GetFrom() != from {
				return fmt.Errorf("member %d sent a raft message from member %d", from, m.GetFrom())
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
		}
	}
}

// hello runs the TLS handshake if any and reads the member id the dialer
// claims, checking it against the address (and certificate) it comes
// with. It returns the id and the connection to read frames from.
func (t *transport) hello(ctx context.Context, c net.Conn, remote netip.Addr) (uint64, net.Conn, error) {
	rc := c
	var tc *tls.Conn
	if t.tls != nil {
		tc = tls.Server(c, t.tls.server)
		if err := tc.HandshakeContext(ctx); err != nil {
			return 0, nil, &refusal{"tls", fmt.Errorf("TLS handshake: %w", err)}
		}
		rc = tc
	}
	var hello [8]byte
	if _, err := io.ReadFull(rc, hello[:]); err != nil {
		return 0, nil, &refusal{"handshake", fmt.Errorf("no hello: %w", err)}
	}
	from := binary.BigEndian.Uint64(hello[:])
	if _, ok := t.peers[from]; !ok {
		return 0, nil, &refusal{"member", fmt.Errorf("claims to be member %d, which is not a peer", from)}
	}
	if t.tls == nil && !t.claimOK(from, remote) {
		return 0, nil, &refusal{"member", fmt.Errorf("claims to be member %d, whose host %s is not at %s", from, t.hosts[from], remote)}
	}
	if tc != nil && t.tls.verifyHost {
		if err := tc.ConnectionState().PeerCertificates[0].VerifyHostname(t.hosts[from]); err != nil {
			return 0, nil, &refusal{"certificate", fmt.Errorf("claims to be member %d: %w", from, err)}
		}
	}
	return from, rc, nil
}

// idleReader is a connection whose every read must make progress within
// idle: a peer that goes silent, even in the middle of a frame, is dropped
// after that long (it pings while it has nothing to send).
type idleReader struct {
	c    net.Conn
	idle time.Duration
}

func (r idleReader) Read(p []byte) (int, error) {
	_ = r.c.SetReadDeadline(time.Now().Add(r.idle))
	return r.c.Read(p)
}

// dialLoop keeps a connection to p and writes its queue to it.
func (t *transport) dialLoop(ctx context.Context, p *peer) {
	backoff := 50 * time.Millisecond
	for ctx.Err() == nil {
		dctx, cancel := context.WithTimeout(ctx, t.handshake)
		c, err := t.dial(dctx, p)
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

// dial connects to p from this member's own address, over TLS with
// sslQuorum.
func (t *transport) dial(ctx context.Context, p *peer) (net.Conn, error) {
	d := &net.Dialer{}
	if t.local != nil {
		d.LocalAddr = t.local
	}
	if t.tls == nil {
		return d.DialContext(ctx, "tcp", p.addr)
	}
	td := &tls.Dialer{NetDialer: d, Config: t.tls.clientFor(p.host)}
	c, err := td.DialContext(ctx, "tcp", p.addr)
	if err != nil && ctx.Err() == nil {
		t.log.Debug("TLS connection to a peer failed", "peer", p.id, "err", err)
	}
	return c, err
}

// drain drops what is queued for an unreachable peer, telling Raft.
func (t *transport) drain(p *peer) {
	for {
		select {
		case f := <-p.out:
			if f.kind == frameRaft {
				t.report(p.id, f.snap)
			}
		default:
			return
		}
	}
}

func (t *transport) write(ctx context.Context, c net.Conn, p *peer) error {
	w := bufio.NewWriterSize(c, 256<<10)
	var hello [8]byte
	binary.BigEndian.PutUint64(hello[:], t.id)
	_ = c.SetWriteDeadline(time.Now().Add(t.idle))
	if _, err := w.Write(hello[:]); err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	ping := time.NewTicker(t.ping)
	defer ping.Stop()
	wrote := false // since the last tick of ping
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-ping.C:
			if wrote {
				wrote = false
				continue
			}
			_ = c.SetWriteDeadline(time.Now().Add(t.idle))
			if err := writeFrames(w, framePing, nil); err != nil {
				return err
			}
			if err := w.Flush(); err != nil {
				return err
			}
		case f := <-p.out:
			wrote = true
			_ = c.SetWriteDeadline(time.Now().Add(max(t.idle, 10*time.Second)))
			if err := writeFrames(w, f.kind, f.payload); err != nil {
				if f.snap {
					t.report(p.id, true)
				}
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
