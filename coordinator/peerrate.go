package coordinator

import (
	"net"
	"net/netip"
	"sync"
	"time"
)

// The peer port's connection rate per address. ZooKeeper has no key for
// it: members connect once and reconnect only when a connection breaks,
// so an address that opens more than a few connections a second is not
// a member doing its work. Each address has a bucket of PeerConnBurst
// attempts refilled at PeerConnRate a second; an attempt that finds it
// empty is closed at accept, before anything is read or allocated for
// it, and counted in sluice_coordinator_peer_connections_refused_total
// {reason="rate"}. The burst covers the members that share an address
// (several on one host, or every member in a loopback test) all
// reconnecting at once after a restart.
const (
	PeerConnBurst = 8
	PeerConnRate  = 4 // per second
	// peerRatePrune is how often the buckets that are full again (their
	// address quiet for burst/rate seconds) are forgotten.
	peerRatePrune = time.Second
)

// peerRate holds the buckets of the addresses seen lately.
type peerRate struct {
	burst, perSecond float64
	now              func() time.Time

	mu        sync.Mutex // the accept loop and tests
	buckets   map[netip.Addr]*peerBucket
	lastPrune time.Time
}

type peerBucket struct {
	tokens float64
	last   time.Time
}

// newPeerRate returns the buckets for burst attempts refilled at
// perSecond; 0 takes PeerConnBurst, PeerConnRate.
func newPeerRate(burst, perSecond float64) *peerRate {
	if burst == 0 {
		burst, perSecond = PeerConnBurst, PeerConnRate
	}
	return &peerRate{burst: burst, perSecond: perSecond, now: time.Now, buckets: map[netip.Addr]*peerBucket{}, lastPrune: time.Now()}
}

// allow takes an attempt from a's bucket, or says a is over its rate.
func (r *peerRate) allow(a netip.Addr) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	if now.Sub(r.lastPrune) >= peerRatePrune {
		for addr, b := range r.buckets {
			if r.fill(b, now) >= r.burst {
				delete(r.buckets, addr)
			}
		}
		r.lastPrune = now
	}
	b := r.buckets[a]
	if b == nil {
		b = &peerBucket{tokens: r.burst, last: now}
		r.buckets[a] = b
	}
	if r.fill(b, now) < 1 {
		return false
	}
	b.tokens--
	return true
}

// fill adds to b what the time since its last fill is worth and returns
// its tokens.
func (r *peerRate) fill(b *peerBucket, now time.Time) float64 {
	b.tokens = min(b.tokens+now.Sub(b.last).Seconds()*r.perSecond, r.burst)
	b.last = now
	return b.tokens
}

// refuseNow closes c at once, with a reset rather than the FIN exchange:
// nothing is read from it, and the port keeps no TIME_WAIT state for it.
func refuseNow(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	c.Close()
}
