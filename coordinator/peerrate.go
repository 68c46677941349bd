package coordinator

import (
	"context"
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

// The accept loop's pace while it refuses. Refusing costs little, but a
// flood of connections from addresses that are no members (or over their
// rate) is accepted and reset as fast as it comes, thousands a second,
// and that work shares the cores with the member's clients. Past
// refuseBurst refusals the loop takes at most refuseRate a second: it
// waits before its next accept, the kernel's accept queue fills and
// then drops the flood's new connections, which retry later (Kafka's
// acceptor waits the same way when max.connection.creation.rate is
// exceeded). A member reconnecting during a flood waits its turn in the
// accept queue; established member connections are not touched.
const (
	refuseBurst = 64
	refuseRate  = 100 // per second
)

// refusePacer is the accept loop's bucket of refusals: refuseBurst of
// them, refilled at refuseRate a second. A refusal takes one; the bucket
// may run into debt (down to -refuseBurst), and while it is in debt the
// accept loop waits one refusal's worth (1/refuseRate) before each
// accept. The debt lets refusals made after the accept, by a
// connection's own goroutine (owe), pace the loop although the loop has
// gone on accepting meanwhile.
type refusePacer struct {
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) // time.Sleep that ends with ctx; tests replace it

	mu     sync.Mutex
	tokens float64
	last   time.Time
}

func newRefusePacer() *refusePacer {
	return &refusePacer{now: time.Now, sleep: sleepCtx, tokens: refuseBurst, last: time.Now()}
}

// refused counts a refusal made by the accept loop and waits if the
// bucket is in debt.
func (p *refusePacer) refused(ctx context.Context) {
	p.owe()
	p.wait(ctx)
}

// owe counts a refusal made outside the accept loop (the client port's
// connections closed before their session: a bad or too large connect
// packet, a throttled or failed handshake); the accept loop pays for it
// in its waits.
func (p *refusePacer) owe() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fill()
	p.tokens = max(p.tokens-1, -refuseBurst)
}

// wait makes the accept loop wait one refusal's worth while the bucket is
// in debt.
func (p *refusePacer) wait(ctx context.Context) {
	p.mu.Lock()
	p.fill()
	debt := p.tokens < 0
	p.mu.Unlock()
	if debt {
		p.sleep(ctx, time.Second/refuseRate)
	}
}

func (p *refusePacer) fill() {
	if now := p.now(); now.After(p.last) {
		p.tokens = min(p.tokens+now.Sub(p.last).Seconds()*refuseRate, refuseBurst)
		p.last = now
	}
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
