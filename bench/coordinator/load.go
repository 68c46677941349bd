package coordinator

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/sluicelogs/sluice/bench/latency"
)

// Load is the workload run against one target: Clients sessions, each on
// its own connection, issue one request at a time (closed loop) in the
// phases create, setData and getData; Fill then creates many small znodes
// with pipelined multi requests.
//
// Clients spread over the members: client i starts at member i mod
// len(Servers) and fails over to the next ones, so a 3-member ensemble gets
// a third of the sessions on each member, as in a deployment whose clients
// list every member.
type Load struct {
	Servers  []string      // client addresses (host:port) of every member
	Clients  int           // concurrent sessions, default 32
	Duration time.Duration // length of each phase when Ops is 0, default 5s
	Ops      int           // operations per phase over all clients; overrides Duration when > 0
	Warmup   time.Duration // untimed create+getData before the phases (JIT, caches), 0 for none
	DataSize int           // bytes of data written by create and setData, default 1024
	Progress io.Writer     // a line per phase; nil for none
}

// Phase is the outcome of one phase.
type Phase struct {
	Name     string
	Ops      uint64 // operations that succeeded (for fill: znodes created)
	Errors   uint64
	FirstErr error
	Elapsed  time.Duration
	Latency  latency.Histogram // per successful request (for fill: per multi request)
}

// OpsPerSec is the rate of successful operations.
func (p *Phase) OpsPerSec() float64 {
	if p.Elapsed <= 0 {
		return 0
	}
	return float64(p.Ops) / p.Elapsed.Seconds()
}

// Report is what Run measured.
type Report struct {
	Parent string  // the znode under which the run created everything
	Phases []Phase // create, setData, getData
}

// Phase returns the phase called name, or nil.
func (r *Report) Phase(name string) *Phase {
	for i := range r.Phases {
		if r.Phases[i].Name == name {
			return &r.Phases[i]
		}
	}
	return nil
}

func (l *Load) defaults() {
	if l.Clients <= 0 {
		l.Clients = 32
	}
	if l.Duration <= 0 && l.Ops <= 0 {
		l.Duration = 5 * time.Second
	}
	if l.DataSize <= 0 {
		l.DataSize = 1024
	}
}

func (l *Load) progressf(format string, args ...any) {
	if l.Progress != nil {
		fmt.Fprintf(l.Progress, format+"\n", args...)
	}
}

// client is one session and what it did in the current phase.
type client struct {
	id      int
	conn    *zk.Conn
	created int // znodes this client created in the create phase: c<id>-<0..created-1>
	ops     uint64
	errs    uint64
	first   error
	hist    latency.Histogram
}

func (c *client) reset() {
	c.ops, c.errs, c.first = 0, 0, nil
	c.hist = latency.Histogram{}
}

// Run connects the clients, creates a parent znode for this run and runs the
// create, setData and getData phases one after the other.
func (l *Load) Run(ctx context.Context) (*Report, error) {
	l.defaults()
	if len(l.Servers) == 0 {
		return nil, errors.New("coordinator bench: no servers")
	}
	clients := make([]*client, l.Clients)
	defer func() {
		for _, c := range clients {
			if c != nil {
				c.conn.Close()
			}
		}
	}()
	for i := range clients {
		conn, err := Connect(ctx, l.Servers, i)
		if err != nil {
			return nil, fmt.Errorf("client %d: %w", i, err)
		}
		clients[i] = &client{id: i, conn: conn}
	}
	parent := fmt.Sprintf("/zkbench-%d", time.Now().UnixNano())
	if _, err := clients[0].conn.Create(parent, nil, 0, zk.WorldACL(zk.PermAll)); err != nil {
		return nil, fmt.Errorf("create %s: %w", parent, err)
	}
	data := make([]byte, l.DataSize)
	for i := range data {
		data[i] = byte('a' + i%26)
	}
	path := func(c *client, seq int) string { return fmt.Sprintf("%s/c%03d-%09d", parent, c.id, seq) }

	if l.Warmup > 0 {
		warm := parent + "/warmup"
		if _, err := clients[0].conn.Create(warm, nil, 0, zk.WorldACL(zk.PermAll)); err != nil {
			return nil, fmt.Errorf("create %s: %w", warm, err)
		}
		l.phase(ctx, "warmup", clients, 0, l.Warmup, func(c *client, i int) error {
			p := fmt.Sprintf("%s/c%03d-%09d", warm, c.id, i)
			if _, err := c.conn.Create(p, data, 0, zk.WorldACL(zk.PermAll)); err != nil {
				return err
			}
			_, _, err := c.conn.Get(p)
			return err
		})
	}

	rep := &Report{Parent: parent}
	rep.Phases = append(rep.Phases, l.phase(ctx, "create", clients, l.Ops, l.Duration, func(c *client, _ int) error {
		_, err := c.conn.Create(path(c, c.created), data, 0, zk.WorldACL(zk.PermAll))
		if err == nil {
			c.created++
		}
		return err
	}))
	for _, c := range clients {
		if c.created == 0 {
			return rep, fmt.Errorf("client %d created no znode: %v", c.id, rep.Phases[0].FirstErr)
		}
	}
	rep.Phases = append(rep.Phases, l.phase(ctx, "setData", clients, l.Ops, l.Duration, func(c *client, i int) error {
		_, err := c.conn.Set(path(c, i%c.created), data, -1)
		return err
	}))
	rep.Phases = append(rep.Phases, l.phase(ctx, "getData", clients, l.Ops, l.Duration, func(c *client, i int) error {
		got, _, err := c.conn.Get(path(c, i%c.created))
		if err == nil && len(got) != len(data) {
			err = fmt.Errorf("getData returned %d bytes, want %d", len(got), len(data))
		}
		return err
	}))
	return rep, ctx.Err()
}

// phase runs op on every client concurrently, ops times over all clients
// if ops > 0 and otherwise for d, and merges what they measured.
func (l *Load) phase(ctx context.Context, name string, clients []*client, ops int, d time.Duration, op func(c *client, i int) error) Phase {
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(d)
	for _, c := range clients {
		c.reset()
		n := -1 // until the deadline
		if ops > 0 {
			n = ops / len(clients)
			if c.id < ops%len(clients) {
				n++
			}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; n < 0 || i < n; i++ {
				if n < 0 && time.Now().After(deadline) || ctx.Err() != nil {
					return
				}
				t0 := time.Now()
				if err := op(c, i); err != nil {
					c.errs++
					if c.first == nil {
						c.first = err
					}
					if errors.Is(err, zk.ErrClosing) || (errors.Is(err, zk.ErrConnectionClosed) && c.errs > 100) {
						return
					}
					continue
				}
				c.hist.Record(time.Since(t0))
				c.ops++
			}
		}()
	}
	wg.Wait()
	p := Phase{Name: name, Elapsed: time.Since(start)}
	for _, c := range clients {
		p.Ops += c.ops
		p.Errors += c.errs
		if p.FirstErr == nil {
			p.FirstErr = c.first
		}
		p.Latency.Merge(&c.hist)
	}
	l.progressf("  %-8s %8d ops in %5.1fs = %9.0f ops/s  p50 %-9v p99 %-9v errors %d",
		name, p.Ops, p.Elapsed.Seconds(), p.OpsPerSec(), p.Latency.Quantile(0.5).Round(time.Microsecond), p.Latency.Quantile(0.99).Round(time.Microsecond), p.Errors)
	return p
}

// Fill sizes: znodes per parent znode, and creates per multi request (the
// multis stay within one parent).
const (
	fillPerParent = 1000
	fillBatch     = 100
	fillConns     = 8
	fillDepth     = 4 // multi requests in flight per connection
	fillDataSize  = 16
)

// Fill creates n small (16-byte) znodes under parent/fill (parent is
// created if missing), fillPerParent
// to an intermediate parent znode, with multi requests of fillBatch creates
// pipelined fillDepth deep on each of fillConns sessions. Its Phase counts
// znodes; its latency is per multi request.
func (l *Load) Fill(ctx context.Context, parent string, n int) (Phase, error) {
	l.defaults()
	p := Phase{Name: "fill"}
	conns := make([]*zk.Conn, min(fillConns, max(l.Clients, 1)))
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
	}()
	for i := range conns {
		c, err := Connect(ctx, l.Servers, i)
		if err != nil {
			return p, fmt.Errorf("fill client %d: %w", i, err)
		}
		conns[i] = c
	}
	acl := zk.WorldACL(zk.PermAll)
	if _, err := conns[0].Create(parent, nil, 0, acl); err != nil && !errors.Is(err, zk.ErrNodeExists) {
		return p, fmt.Errorf("create %s: %w", parent, err)
	}
	root := parent + "/fill"
	if _, err := conns[0].Create(root, nil, 0, acl); err != nil {
		return p, fmt.Errorf("create %s: %w", root, err)
	}
	parents := (n + fillPerParent - 1) / fillPerParent
	dir := func(b int) string { return fmt.Sprintf("%s/p%05d", root, b) }
	for b := 0; b < parents; b += fillBatch {
		ops := make([]any, 0, fillBatch)
		for j := b; j < min(b+fillBatch, parents); j++ {
			ops = append(ops, &zk.CreateRequest{Path: dir(j), Acl: acl})
		}
		if _, err := conns[0].Multi(ops...); err != nil {
			return p, fmt.Errorf("create fill parents: %w", err)
		}
	}

	data := make([]byte, fillDataSize)
	for i := range data {
		data[i] = 'z'
	}
	var next atomic.Int64 // index of the next batch's first znode
	hists := make([]latency.Histogram, len(conns)*fillDepth)
	var errs atomic.Uint64
	var firstErr atomic.Value
	var created atomic.Uint64
	var wg sync.WaitGroup
	start := time.Now()
	for w := range hists {
		conn, h := conns[w%len(conns)], &hists[w]
		wg.Add(1)
		go func() {
			defer wg.Done()
			ops := make([]any, 0, fillBatch)
			for ctx.Err() == nil {
				first := int(next.Add(fillBatch)) - fillBatch
				if first >= n {
					return
				}
				ops = ops[:0]
				for k := first; k < min(first+fillBatch, n); k++ {
					ops = append(ops, &zk.CreateRequest{Path: fmt.Sprintf("%s/n%04d", dir(k/fillPerParent), k%fillPerParent), Data: data, Acl: acl})
				}
				t0 := time.Now()
				if _, err := conn.Multi(ops...); err != nil {
					errs.Add(1)
					firstErr.CompareAndSwap(nil, err)
					if errors.Is(err, zk.ErrClosing) || errors.Is(err, zk.ErrConnectionClosed) {
						return
					}
					continue
				}
				h.Record(time.Since(t0))
				created.Add(uint64(len(ops)))
			}
		}()
	}
	wg.Wait()
	p.Elapsed = time.Since(start)
	p.Ops, p.Errors = created.Load(), errs.Load()
	if e, ok := firstErr.Load().(error); ok {
		p.FirstErr = e
	}
	for i := range hists {
		p.Latency.Merge(&hists[i])
	}
	l.progressf("  %-8s %8d znodes in %5.1fs = %9.0f znodes/s  multi p50 %-9v p99 %-9v errors %d",
		"fill", p.Ops, p.Elapsed.Seconds(), p.OpsPerSec(), p.Latency.Quantile(0.5).Round(time.Microsecond), p.Latency.Quantile(0.99).Round(time.Microsecond), p.Errors)
	return p, ctx.Err()
}

// Connect opens a session that starts at servers[first mod len] and fails
// over to the following members in order, and waits until it has a session.
func Connect(ctx context.Context, servers []string, first int) (*zk.Conn, error) {
	hp := &rotation{first: first}
	conn, events, err := zk.Connect(servers, 30*time.Second,
		zk.WithHostProvider(hp), zk.WithLogger(quiet{}), zk.WithLogInfo(false))
	if err != nil {
		return nil, err
	}
	timeout := time.NewTimer(30 * time.Second)
	defer timeout.Stop()
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				return nil, errors.New("coordinator bench: connection closed before a session was established")
			}
			if ev.State == zk.StateHasSession {
				go drain(events) // the library drops events when nobody reads; keep it simple
				return conn, nil
			}
			if ev.State == zk.StateAuthFailed || ev.State == zk.StateExpired {
				conn.Close()
				return nil, fmt.Errorf("coordinator bench: session to %s: %v", strings.Join(servers, ","), ev.State)
			}
		case <-timeout.C:
			conn.Close()
			return nil, fmt.Errorf("coordinator bench: no session with %s within 30s", strings.Join(servers, ","))
		case <-ctx.Done():
			conn.Close()
			return nil, ctx.Err()
		}
	}
}

// drain reads a session's events until the library closes the channel
// (when the connection is closed).
func drain(events <-chan zk.Event) {
	for range events {
	}
}

// rotation is a zk.HostProvider that tries the servers in the given order
// starting at index first, instead of go-zookeeper's shuffled order, so that
// sessions spread evenly over the members.
type rotation struct {
	servers []string
	first   int
	tried   int
}

func (r *rotation) Init(servers []string) error {
	// zk.Connect shuffles the list before it gets here: sort it back so
	// every client sees the same order.
	r.servers = slices.Sorted(slices.Values(servers))
	return nil
}

func (r *rotation) Len() int { return len(r.servers) }

func (r *rotation) Next() (string, bool) {
	s := r.servers[(r.first+r.tried)%len(r.servers)]
	r.tried++
	return s, r.tried > len(r.servers)
}

func (r *rotation) Connected() { r.tried = 0 }

type quiet struct{}

func (quiet) Printf(string, ...any) {}
