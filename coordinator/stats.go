package coordinator

import (
	"math"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	zk "github.com/sluicelogs/sluice/coordinator/zkproto"
)

// reqStats are ZooKeeper's request statistics: packets received and sent
// and the latency of answered requests (from the request read to its reply
// queued), in milliseconds as srvr, stat, mntr and cons print them. The
// server has one set (srst resets it), every connection another (crst).
// All atomic: the request path only adds.
type reqStats struct {
	recv, sent  atomic.Int64
	count       atomic.Int64
	totalMicros atomic.Int64
	minMicros   atomic.Int64 // math.MaxInt64 until the first request
	maxMicros   atomic.Int64

	bytesRecv atomic.Int64 // request bytes, length prefixes included
	lastResp  atomic.Int64 // reply sizes: -1 until the first reply
	minResp   atomic.Int64
	maxResp   atomic.Int64
}

func newReqStats() *reqStats {
	s := &reqStats{}
	s.reset()
	return s
}

func (s *reqStats) reset() {
	s.recv.Store(0)
	s.sent.Store(0)
	s.count.Store(0)
	s.totalMicros.Store(0)
	s.minMicros.Store(math.MaxInt64)
	s.maxMicros.Store(0)
	s.bytesRecv.Store(0)
	s.lastResp.Store(-1)
	s.minResp.Store(math.MaxInt64)
	s.maxResp.Store(-1)
}

// response records the size of a reply.
func (s *reqStats) response(n int) {
	v := int64(n)
	s.lastResp.Store(v)
	for m := s.minResp.Load(); v < m && !s.minResp.CompareAndSwap(m, v); m = s.minResp.Load() {
	}
	for m := s.maxResp.Load(); v > m && !s.maxResp.CompareAndSwap(m, v); m = s.maxResp.Load() {
	}
}

// respMin is the smallest reply, -1 before the first.
func (s *reqStats) respMin() int64 {
	if v := s.minResp.Load(); v != math.MaxInt64 {
		return v
	}
	return -1
}

func (s *reqStats) latency(d time.Duration) {
	us := d.Microseconds()
	s.count.Add(1)
	s.totalMicros.Add(us)
	for v := s.minMicros.Load(); us < v && !s.minMicros.CompareAndSwap(v, us); v = s.minMicros.Load() {
	}
	for v := s.maxMicros.Load(); us > v && !s.maxMicros.CompareAndSwap(v, us); v = s.maxMicros.Load() {
	}
}

// minAvgMax are the latencies in milliseconds, 0/0.0/0 before any
// request, the average as Java prints a double (ZooKeeper's format).
func (s *reqStats) minAvgMax() (minMs int64, avgMs string, maxMs int64) {
	n := s.count.Load()
	if n == 0 {
		return 0, "0.0", 0
	}
	avg := float64(s.totalMicros.Load()) / float64(n) / 1000
	return s.minMicros.Load() / 1000, javaDouble(math.Round(avg*100) / 100), s.maxMicros.Load() / 1000
}

// javaDouble formats v as Java's Double.toString does for the values these
// counters take: shortest form, always with a fraction.
func javaDouble(v float64) string {
	s := strconv.FormatFloat(v, 'f', -1, 64)
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			return s
		}
	}
	return s + ".0"
}

// connLast is what cons shows of a connection's last answered request.
type connLast struct {
	mu      sync.Mutex
	op      string
	cxid    int32
	zxid    int64
	at      time.Time
	latency time.Duration
}

// answered records a request answered on c: its latency in the server's
// and the connection's statistics and, for cons, what it was.
func (c *conn) recordAnswer(cl *call, zxid int64) {
	if cl.arrived.IsZero() {
		return
	}
	now := time.Now()
	d := now.Sub(cl.arrived)
	c.s.stats.latency(d)
	c.stats.latency(d)
	c.last.mu.Lock()
	c.last.op, c.last.cxid, c.last.zxid, c.last.at, c.last.latency = opAbbrev(cl.op), cl.xid, zxid, now, d
	c.last.mu.Unlock()
}

// opAbbrev is cons's lop: ZooKeeper's four-letter abbreviation of the op
// (EXIS, GETD, SETD, CREA, …), here the first four letters of its name.
func opAbbrev(op zk.Op) string {
	name := []byte(op.String())
	if len(name) > 4 {
		name = name[:4]
	}
	for i, b := range name {
		if 'a' <= b && b <= 'z' {
			name[i] = b - 'a' + 'A'
		}
	}
	return string(name)
}
