// Package lograte bounds how often a kind of message about what a peer
// did is logged. A peer controls how often it makes a server close its
// connection (garbage, an oversized frame, a failed handshake): logged
// every time, a flood of such connections (sluice-bench attack's
// kafka-garbage opened ~440 a second) writes a line each, which costs the
// server's core a write each and fills the log's disk at the attacker's
// pace. A Limiter lets burst messages through in each interval and counts
// the others, so the next message logged can say how many were not.
package lograte

import (
	"sync"
	"time"
)

// Limiter lets at most burst messages through in each interval. It is
// safe for concurrent use.
type Limiter struct {
	burst int
	every time.Duration
	now   func() time.Time

	mu      sync.Mutex
	start   time.Time // of the current interval
	n       int       // let through in it
	dropped int       // not let through since the last one let through
}

// New returns a Limiter of burst messages every interval.
func New(burst int, every time.Duration) *Limiter {
	return &Limiter{burst: burst, every: every, now: time.Now}
}

// Allow reports whether to log one more message now and, if so, how many
// were not logged since the last one that was.
func (l *Limiter) Allow() (ok bool, dropped int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if now.Sub(l.start) >= l.every {
		l.start, l.n = now, 0
	}
	if l.n >= l.burst {
		l.dropped++
		return false, 0
	}
	l.n++
	dropped, l.dropped = l.dropped, 0
	return true, dropped
}
