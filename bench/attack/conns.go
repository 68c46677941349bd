package attack

import (
	"context"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// tally counts what an attacker's connections met.
type tally struct {
	opened   atomic.Int64 // connections established
	dialErrs atomic.Int64 // connects that failed
	closed   atomic.Int64 // closed by the server while held
	quick    atomic.Int64 // of those, within 200 ms of being opened
	sends    atomic.Int64 // payloads written in full
}

func (t *tally) String() string {
	s := fmt.Sprintf("%d conns opened, %d closed by the server (%d within 200ms)", t.opened.Load(), t.closed.Load(), t.quick.Load())
	if n := t.dialErrs.Load(); n > 0 {
		s += fmt.Sprintf(", %d connects failed", n)
	}
	if n := t.sends.Load(); n > 0 {
		s += fmt.Sprintf(", %d sent in full", n)
	}
	return s
}

// dialer dials addr, from the source address src if set ("127.0.0.2").
func dialer(ctx context.Context, addr, src string) (net.Conn, error) {
	d := net.Dialer{Timeout: 5 * time.Second}
	if src != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(src)}
	}
	return d.DialContext(ctx, "tcp", addr)
}

// holdSpec says how hold opens and keeps its connections.
type holdSpec struct {
	addr    string
	sources []string // source addresses, taken in turn; none: the default
	conns   int      // connections kept open at once
	prelude []byte   // written once on each new connection
	// reconnect opens a new connection when the server closes one, so the
	// attack keeps its count up for its whole length.
	reconnect bool
	// every, if set, is called every tick for each open connection (a
	// slow writer's byte).
	every func(c net.Conn) error
	tick  time.Duration
}

// hold opens spec.conns connections (50 dialing at once), writes the
// prelude on each, and holds them until ctx ends, reading and discarding
// whatever the server sends; it returns what the connections met.
func hold(ctx context.Context, spec holdSpec) *tally {
	t := &tally{}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 50)
	for i := range spec.conns {
		src := ""
		if len(spec.sources) > 0 {
			src = spec.sources[i%len(spec.sources)]
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() { // owned by hold, which waits for it
			defer wg.Done()
			first := true
			for ctx.Err() == nil {
				lived := keepOne(ctx, spec, src, t, func() {
					if first {
						first = false
						<-sem
					}
				})
				if !spec.reconnect {
					break
				}
				// A connection the server held is reopened at once; one
				// refused (closed within 200ms, or not opened) a second
				// later, so that the attack measures the held connections,
				// not a flood of refused connects.
				wait := 10 * time.Millisecond
				if lived < 200*time.Millisecond {
					wait = time.Second
				}
				select {
				case <-ctx.Done():
				case <-time.After(wait):
				}
			}
			if first {
				<-sem
			}
		}()
	}
	wg.Wait()
	return t
}

// keepOne opens one connection and holds it until the server closes it or
// ctx ends, and returns how long it was open; opened is called once the
// connect finished (or failed).
func keepOne(ctx context.Context, spec holdSpec, src string, t *tally, opened func()) time.Duration {
	c, err := dialer(ctx, spec.addr, src)
	opened()
	if err != nil {
		if ctx.Err() == nil {
			t.dialErrs.Add(1)
		}
		return 0
	}
	t.opened.Add(1)
	since := time.Now()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	defer c.Close()
	if len(spec.prelude) > 0 {
		if _, err := c.Write(spec.prelude); err != nil {
			t.countClosed(ctx, since)
			return time.Since(since)
		}
	}
	ended := make(chan struct{})
	go func() { // owned by keepOne, which waits for ended
		defer close(ended)
		_, _ = io.Copy(io.Discard, c)
	}()
	if spec.every != nil {
		tick := time.NewTicker(spec.tick)
		defer tick.Stop()
	loop:
		for {
			select {
			case <-ended:
				break loop
			case <-ctx.Done():
				break loop
			case <-tick.C:
				if err := spec.every(c); err != nil {
					break loop
				}
			}
		}
		c.Close()
	}
	<-ended
	t.countClosed(ctx, since)
	return time.Since(since)
}

// countClosed counts a connection the server closed (not one ctx ended).
func (t *tally) countClosed(ctx context.Context, since time.Time) {
	if ctx.Err() != nil {
		return
	}
	t.closed.Add(1)
	if time.Since(since) < 200*time.Millisecond {
		t.quick.Add(1)
	}
}

// blast runs workers that each, until ctx ends, open a connection, write
// the payload next returns (their worker number and attempt), read until
// the server closes it or a second passes, and start again.
func blast(ctx context.Context, addr, src string, workers int, next func(worker, attempt int) []byte) *tally {
	t := &tally{}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() { // owned by blast, which waits for it
			defer wg.Done()
			for attempt := 0; ctx.Err() == nil; attempt++ {
				c, err := dialer(ctx, addr, src)
				if err != nil {
					if ctx.Err() == nil {
						t.dialErrs.Add(1)
						time.Sleep(10 * time.Millisecond)
					}
					continue
				}
				t.opened.Add(1)
				since := time.Now()
				stop := context.AfterFunc(ctx, func() { c.Close() })
				if _, err := c.Write(next(w, attempt)); err == nil {
					t.sends.Add(1)
				}
				_ = c.SetReadDeadline(time.Now().Add(time.Second))
				_, err = io.Copy(io.Discard, c)
				if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
					t.countClosed(ctx, since)
				}
				stop()
				c.Close()
			}
		}()
	}
	wg.Wait()
	return t
}
