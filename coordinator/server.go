package coordinator

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"

	"github.com/sluicelogs/sluice/coordinator/tree"
	"github.com/sluicelogs/sluice/coordinator/zkproto"
	"github.com/sluicelogs/sluice/internal/accept"
	"github.com/sluicelogs/sluice/internal/connbuf"
	"github.com/sluicelogs/sluice/internal/dirlock"
)

// Server is one coordinator member: a ZooKeeper-protocol front end on the
// client port over a data tree replicated with Raft.
type Server struct {
	cfg   *Config
	id    uint64
	log   *slog.Logger
	tree  *tree.Tree
	raft  *raftNode
	ln    net.Listener
	tlsLn net.Listener // the secure client port; nil when off
	tls   *tls.Config  // its settings
	peers *transport   // nil when standalone

	dirLocks []*dirlock.Lock // dataDir's and dataLogDir's, held from NewServer to Run's end

	// applyMu orders watch registration against changes: apply holds it
	// for writing while it changes the tree and fires watches, a read holds
	// it for reading while it reads, registers its watch and queues its
	// reply — so no change can fall between a read and its watch.
	applyMu sync.RWMutex
	watches *watches

	sessions *sessionTracker
	ids      *sessionIDs
	metrics  *metrics
	large    *largeRequests // largeRequestMaxBytes
	throttle *connThrottle  // connection_throttle_*; nil when off
	pacer    *refusePacer   // the client port's accept loop while it refuses (peerrate.go)
	bufs     *connbuf.Pool  // client connections' read (clientReadBuffer) and write (clientWriteBuffer) buffers
	seq      atomic.Uint64

	mu      sync.Mutex
	pending map[uint64]chan result
	conns   map[*conn]struct{}
	perIP   map[string]int
	started time.Time
	stats   *reqStats // srvr's and mntr's request statistics; srst resets them

	// mntr's counters, which srst leaves alone.
	refusedTotal  atomic.Int64 // connections refused at accept
	largeRejected atomic.Int64 // requests refused by largeRequestMaxBytes
	connRequests  atomic.Int64 // connect requests (session handshakes)

	// refusals counts connections refused since the last warning about
	// them, lastRefusal is when that was (both mu): a client retrying in a
	// loop against a full server must not flood the log.
	refusals    int
	lastRefusal time.Time

	connWG sync.WaitGroup

	beforeRead func(zkproto.Op) // tests only: runs before each read, under applyMu
}

// NewServer opens the member's data directory and binds its client port.
func NewServer(cfg *Config, log *slog.Logger) (*Server, error) {
	id := cfg.MyID
	if cfg.Standalone() {
		id = 1
	}
	log = log.With("component", "coordinator", "myid", id)
	s := &Server{
		cfg: cfg, id: id, log: log, tree: tree.New(), watches: newWatches(),
		sessions: newSessionTracker(time.Now), ids: newSessionIDs(id, time.Now()),
		pending: map[uint64]chan result{}, conns: map[*conn]struct{}{}, perIP: map[string]int{},
		started: time.Now(), stats: newReqStats(), metrics: newMetrics(), large: newLargeRequests(cfg), bufs: connbuf.NewSizes(clientReadBuffer, clientWriteBuffer),
		throttle: newConnThrottle(cfg, nil, nil), pacer: newRefusePacer(),
	}
	// Replies are matched to requests by (proposer, seq). A restarted member
	// re-applies entries of its previous run; starting seq at a random point
	// keeps those from matching the new run's requests.
	var nonce [8]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return nil, fmt.Errorf("coordinator: random: %w", err)
	}
	s.seq.Store(binary.BigEndian.Uint64(nonce[:]) >> 1)
	voters, learners := []uint64{id}, []uint64(nil)
	if !cfg.Standalone() {
		voters = nil
		for _, mid := range cfg.MemberIDs() {
			if cfg.Servers[mid].Observer {
				learners = append(learners, mid)
			} else {
				voters = append(voters, mid)
			}
		}
	}
	logDir := cfg.DataLogDir
	if logDir == "" {
		logDir = filepath.Join(cfg.DataDir, "version-2")
	}
	var send func([]*pb.Message)
	if !cfg.Standalone() {
		o := transportOptions{id: id, members: cfg.Servers, refused: s.metrics.peerRefused}
		o.ping, o.idle, o.handshake = peerTimeouts(cfg)
		if cfg.SSLQuorum {
			q, err := loadQuorumTLS(cfg)
			if err != nil {
				return nil, err
			}
			o.tls = q
		}
		t, err := newTransport(o, log)
		if err != nil {
			return nil, err
		}
		s.peers, send = t, t.send
	}
	// Another member process on the same dataDir would write the same
	// Raft log: the second to start refuses (ZooKeeper has no such
	// lock; Kafka's log directories do).
	locks, err := lockDataDirs(cfg.DataDir, logDir)
	if err != nil {
		if s.peers != nil {
			s.peers.ln.Close()
		}
		return nil, err
	}
	s.dirLocks = locks
	tick := max(cfg.TickTime/20, 10*time.Millisecond)
	rn, err := startRaft(raftOptions{
		id: id, voters: voters, learners: learners,
		logDir: logDir, snapDir: filepath.Join(cfg.DataDir, "version-2"),
		tick: tick, snapCount: uint64(cfg.SnapCount),
	}, s, send, log)
	if err != nil {
		if s.peers != nil {
			s.peers.ln.Close()
		}
		s.releaseDirLocks()
		return nil, err
	}
	s.raft = rn
	if s.peers != nil {
		s.peers.step = rn.node.Step
		s.peers.sessions = s.sessions.touchAll
		s.peers.report = func(peer uint64, snap bool) {
			rn.node.ReportUnreachable(peer)
			if snap {
				rn.node.ReportSnapshot(peer, raft.SnapshotFailure)
			}
		}
	}
	var ln net.Listener
	if cfg.ClientAddr != "" { // else only the secure client port
		ln, err = net.Listen("tcp", cfg.ClientAddr)
	}
	if err != nil {
		rn.node.Stop()
		rn.wal.Close()
		if s.peers != nil {
			s.peers.ln.Close()
		}
		s.releaseDirLocks()
		return nil, fmt.Errorf("coordinator: listen on client port: %w", err)
	}
	s.ln = ln
	if cfg.SecureClientAddr != "" {
		if err := s.listenSecure(); err != nil {
			if ln != nil {
				ln.Close()
			}
			rn.node.Stop()
			rn.wal.Close()
			if s.peers != nil {
				s.peers.ln.Close()
			}
			s.releaseDirLocks()
			return nil, err
		}
	}
	return s, nil
}

// Addr is the address of the client port, "" when there is only the
// secure one.
func (s *Server) Addr() string {
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// Run serves until ctx is done, then closes every connection and stops.
func (s *Server) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 4)
	var wg sync.WaitGroup
	if s.peers != nil {
		wg.Add(1)
		go func() { defer wg.Done(); s.peers.run(ctx); errc <- nil }()
	}
	if s.cfg.PurgeInterval > 0 {
		wg.Add(1)
		go func() { defer wg.Done(); s.autopurge(ctx); errc <- nil }()
	}
	if s.tlsLn != nil {
		wg.Add(1)
		go func() { defer wg.Done(); errc <- s.accept(ctx, s.tlsLn, s.tls) }()
	}
	if s.ln != nil {
		wg.Add(1)
		go func() { defer wg.Done(); errc <- s.accept(ctx, s.ln, nil) }()
	}
	wg.Add(2)
	go func() { defer wg.Done(); errc <- s.raft.run(ctx) }()
	go func() { defer wg.Done(); s.leaderDuties(ctx); errc <- nil }()
	s.log.Info("coordinator serving", "addr", s.Addr(), "secure_addr", s.SecureAddr(), "standalone", s.cfg.Standalone())

	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	cancel()
	if s.ln != nil {
		s.ln.Close()
	}
	if s.tlsLn != nil {
		s.tlsLn.Close()
	}
	s.mu.Lock()
	for c := range s.conns {
		c.close()
	}
	s.mu.Unlock()
	s.connWG.Wait()
	wg.Wait()
	s.releaseDirLocks() // the Raft log is closed
	return err
}

// lockDataDirs makes and locks dataDir and the Raft log's directory
// (dataLogDir, or dataDir/version-2): each, so that a member whose
// dataLogDir is another's log directory is refused too.
func lockDataDirs(dataDir, logDir string) ([]*dirlock.Lock, error) {
	dirs := []string{dataDir}
	if filepath.Clean(logDir) != filepath.Clean(dataDir) {
		dirs = append(dirs, logDir)
	}
	var locks []*dirlock.Lock
	for _, d := range dirs {
		err := os.MkdirAll(d, 0o755)
		var l *dirlock.Lock
		if err == nil {
			l, err = dirlock.Take(d)
		}
		if err != nil {
			releaseAll(locks)
			if errors.Is(err, dirlock.ErrHeld) {
				return nil, fmt.Errorf("coordinator: another member uses this data directory: %w", err)
			}
			return nil, fmt.Errorf("coordinator: %w", err)
		}
		locks = append(locks, l)
	}
	return locks, nil
}

func releaseAll(locks []*dirlock.Lock) {
	for _, l := range locks {
		_ = l.Release()
	}
}

func (s *Server) releaseDirLocks() {
	releaseAll(s.dirLocks)
	s.dirLocks = nil
}

// accept serves the clients of ln, over TLS with tlsCfg when it is set.
func (s *Server) accept(ctx context.Context, ln net.Listener, tlsCfg *tls.Config) error {
	for {
		// Refusing costs memory and CPU too: past refuseBurst refusals a
		// second (here, or connections closed before their session), the
		// loop takes at most refuseRate connections a second, the rest
		// waiting in the kernel's accept queue, as on the peer port.
		// Established sessions are not touched.
		s.pacer.wait(ctx)
		nc, err := accept.Next(ctx, ln, s.log)
		if err != nil { // closed by Run, which is stopping
			return nil
		}
		ip, _, _ := net.SplitHostPort(nc.RemoteAddr().String())
		s.mu.Lock()
		// maxCnxns bounds the connections in all, as maxClientCnxns those of
		// one address does not: a client with many addresses (127.0.0.2,
		// 127.0.0.3, … on loopback, or a NATed fleet) gets past the latter.
		if s.cfg.MaxCnxns > 0 && len(s.conns) >= s.cfg.MaxCnxns {
			s.refuseLocked("maxCnxns", "too many client connections", "remote", nc.RemoteAddr().String(), "max", s.cfg.MaxCnxns)
			s.mu.Unlock()
			nc.Close()
			s.pacer.owe()
			continue
		}
		if s.cfg.MaxClientCnxns > 0 && s.perIP[ip] >= s.cfg.MaxClientCnxns {
			s.refuseLocked("maxClientCnxns", "too many connections from one address", "ip", ip, "max", s.cfg.MaxClientCnxns)
			s.mu.Unlock()
			nc.Close()
			s.pacer.owe()
			continue
		}
		if ctx.Err() != nil { // Run is stopping and may have closed the others already
			s.mu.Unlock()
			nc.Close()
			return nil
		}
		// Set before the connection is shared, so that a close (which moves
		// the deadline to now) always comes after it.
		_ = nc.SetReadDeadline(time.Now().Add(s.handshakeTimeout()))
		var tc *tls.Conn
		if tlsCfg != nil {
			// The TLS handshake's writes are bounded too; serve's
			// replies have deadlines of their own.
			_ = nc.SetWriteDeadline(time.Now().Add(s.handshakeTimeout()))
			tc = tls.Server(nc, tlsCfg)
			nc = tc
		}
		s.perIP[ip]++
		s.metrics.conns.Inc()
		c := newConn(s, nc)
		s.conns[c] = struct{}{}
		s.mu.Unlock()
		s.connWG.Add(1)
		go func() { // owned by Run through connWG
			defer s.connWG.Done()
			if tc == nil || s.tlsHandshake(ctx, c, tc) {
				c.serve(ctx)
			} else {
				c.close()
				tc.Close()
			}
			s.mu.Lock()
			delete(s.conns, c)
			if s.perIP[ip]--; s.perIP[ip] <= 0 {
				delete(s.perIP, ip)
			}
			s.mu.Unlock()
		}()
	}
}

// refusalLogInterval is the least time between two warnings about refused
// connections.
const refusalLogInterval = 10 * time.Second

// refuseLocked counts a connection refused for limit and warns about it,
// at most once per refusalLogInterval with how many were refused since
// the last warning; the caller holds mu and closes the connection.
func (s *Server) refuseLocked(limit, msg string, attrs ...any) {
	s.metrics.refused.WithLabelValues(limit).Inc()
	s.refusedTotal.Add(1)
	s.warnRefusedLocked(msg, attrs...)
}

// rejectLarge counts a connection closed because its request of n bytes
// would exceed largeRequestMaxBytes, and warns about it as refuseLocked
// does.
func (s *Server) rejectLarge(remote net.Addr, n int) {
	s.metrics.largeRejected.Inc()
	s.largeRejected.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.warnRefusedLocked("closing a connection whose request would exceed largeRequestMaxBytes", "remote", remote.String(), "length", n, "in_use", s.large.used.Load(), "max", s.cfg.LargeRequestMaxBytes)
}

// warnRefusedLocked warns about a refused connection at most once per
// refusalLogInterval; the caller holds mu.
func (s *Server) warnRefusedLocked(msg string, attrs ...any) {
	s.refusals++
	if now := time.Now(); now.Sub(s.lastRefusal) >= refusalLogInterval {
		s.log.Warn(msg, append(attrs, "refused", s.refusals)...)
		s.refusals, s.lastRefusal = 0, now
	}
}

// handshakeTimeout bounds how long a new connection may take, from its
// accept, to send its connect request (or a four-letter word): a client
// that connects and stays silent would otherwise hold a socket and a
// maxClientCnxns slot forever. ZooKeeper drops a connection that has no
// session after zookeeper.nio.sessionlessCnxnTimeout, 10s by default; we
// take that, or tickTime*initLimit when larger, the time a member is given
// to connect to its leader, so a slow ensemble does not refuse the clients
// it is slow for.
func (s *Server) handshakeTimeout() time.Duration {
	return max(s.cfg.TickTime*time.Duration(s.cfg.InitLimit), 10*time.Second)
}

// propose puts an entry in the log and returns a channel that receives its
// result once this member has applied it.
func (s *Server) propose(ctx context.Context, e *entry) (<-chan result, error) {
	e.proposer = s.id
	e.seq = s.seq.Add(1)
	e.time = time.Now().UnixMilli()
	ch := make(chan result, 1)
	s.mu.Lock()
	s.pending[e.seq] = ch
	s.mu.Unlock()
	if err := s.raft.propose(ctx, e.encode()); err != nil {
		s.mu.Lock()
		delete(s.pending, e.seq)
		s.mu.Unlock()
		return nil, err
	}
	return ch, nil
}

func (s *Server) deliver(seq uint64, res result) {
	s.mu.Lock()
	ch := s.pending[seq]
	delete(s.pending, seq)
	s.mu.Unlock()
	if ch != nil {
		ch <- res
	}
}

// closeSessionConns closes this member's connections of a session that
// has ended (expired, or closed through another connection), except the
// one whose client asked to close it: that one closes after its reply.
func (s *Server) closeSessionConns(session int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		if c.sessionID() == session && !c.closing.Load() {
			c.expire()
		}
	}
}

// leaderDuties runs on every member and acts while it leads: it expires
// silent sessions and removes empty containers and expired TTL znodes.
// On every member it also drops the client port's unused spare buffers.
func (s *Server) leaderDuties(ctx context.Context) {
	t := time.NewTicker(max(s.cfg.TickTime/2, 10*time.Millisecond))
	defer t.Stop()
	wasLeader := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		s.large.expire(time.Now())
		leader := s.raft.isLeader.Load()
		if leader && !wasLeader {
			s.sessions.reset()
		}
		wasLeader = leader
		if !leader {
			if lead := s.raft.leader.Load(); lead != raft.None && s.peers != nil {
				s.peers.heartbeat(lead, s.localSessions())
			}
			continue
		}
		for _, id := range s.sessions.expired(s.tree.Sessions()) {
			s.log.Info("session expired", "session", fmt.Sprintf("%#x", id))
			if _, err := s.propose(ctx, &entry{kind: entryCloseSession, session: id}); err != nil {
				s.log.Warn("proposing session expiry failed", "err", err)
			}
			s.sessions.forget(id)
		}
		if paths := s.tree.Removable(time.Now().UnixMilli()); len(paths) > 0 {
			if _, err := s.propose(ctx, &entry{kind: entryRemove, paths: paths}); err != nil {
				s.log.Warn("proposing container removal failed", "err", err)
			}
		}
	}
}

// autopurge keeps autopurge.snapRetainCount snapshots, every
// autopurge.purgeInterval, as ZooKeeper's purge task does.
func (s *Server) autopurge(ctx context.Context) {
	t := time.NewTicker(s.cfg.PurgeInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.raft.purge(s.cfg.SnapRetainCount); err != nil {
				s.log.Warn("autopurge failed", "err", err)
			}
		}
	}
}

// localSessions returns the sessions of the clients connected here.
func (s *Server) localSessions() []int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]int64, 0, len(s.conns))
	for c := range s.conns {
		if id := c.sessionID(); id != 0 {
			ids = append(ids, id)
		}
	}
	return ids
}

// stateMachine for the Raft loop.

func (s *Server) snapshot() []byte { return s.tree.Snapshot() }

func (s *Server) freeze() func(io.Writer) error { return s.tree.Freeze().EncodeTo }

func (s *Server) restore(data []byte) error { return s.tree.Restore(data) }
