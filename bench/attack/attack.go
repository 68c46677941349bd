package attack

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"

	benchagent "github.com/sluicelogs/sluice/bench/agent"
	"github.com/sluicelogs/sluice/bench/latency"
	"github.com/sluicelogs/sluice/testkit/proc"
	"golang.org/x/sys/unix"
)

// Port is the listener an attack is aimed at.
type Port string

const (
	PortKafka = Port("Kafka")            // the broker's client port
	PortZK    = Port("ZooKeeper client") // a standalone coordinator's client port
	PortPeer  = Port("coordinator peer") // member 1's peer port in a 3-member ensemble
)

// Attack is one hostile client. run attacks until ctx ends and returns
// what it saw (e.g. how many of its connections were refused); the
// processes it attacks are in env.
type Attack struct {
	Name   string
	Port   Port
	Does   string // what it sends, in a line
	Budget int64  // bytes the attacked node's RSS may grow over idle
	// BudgetFrom says where the budget comes from: a configuration key or
	// "constant".
	BudgetFrom string
	// MinDuration, if set, is the least the attack lasts whatever
	// -duration says (a server deadline it means to outlast).
	MinDuration time.Duration

	run func(ctx context.Context, env *env) (string, error)
	// before and after, if set, run before the attack and after it (e.g.
	// a consumer group joins); after's error counts as the node not
	// answering.
	before, after func(ctx context.Context, env *env) error
}

// Config is one run of the attacks.
type Config struct {
	Sluice   string        // the sluice binary
	Dir      string        // data directories and logs; "" for a temporary one
	Duration time.Duration // each attack, and the unloaded client before it
	Attacks  []string      // names to run; none: all
	// ClientRate, if positive, paces the normal client: at most that
	// many operations a second; 0 runs it one request after the other at
	// its own speed (the default).
	ClientRate int
	// Small divides the attacks' connection counts by 10 (at least a few
	// each) and ignores their MinDuration, for tests under the race
	// detector.
	Small    bool
	Progress io.Writer
	// Attacker, if set, makes the command that runs an attacker in a
	// process of its own (child.go) from ChildMain's arguments; nil runs
	// it in this process, beside the normal client.
	Attacker func(args []string) *exec.Cmd
}

// Result is one attack's outcome.
type Result struct {
	Attack   *Attack
	Nodes    int      // processes started
	Down     []string // nodes that exited or stopped answering, with why
	IdleRSS  int64    // the attacked node, just before the attack
	PeakRSS  int64    // its peak during the attack
	Unloaded latency.Histogram
	Loaded   latency.Histogram
	// ClientErrors counts the normal client's failed requests (unloaded,
	// under attack).
	UnloadedErrors, LoadedErrors int
	// UnloadedCPU and LoadedCPU are the attacked node's CPU use (user +
	// system) in each phase, as a fraction of one core: it tells a server
	// that spent its time on the attack from an attacker that took the
	// machine's cores (it runs on them too).
	UnloadedCPU, LoadedCPU float64
	Saw                    string // what the attacker saw
	Err                    error  // the run itself failed (before any verdict)
}

// RSSMet reports whether the peak RSS stayed within idle + budget.
func (r *Result) RSSMet() bool { return r.PeakRSS > 0 && r.PeakRSS <= r.IdleRSS+r.Attack.Budget }

// P99Met reports whether the p99 under attack is at most twice the
// unloaded p99.
func (r *Result) P99Met() bool {
	u, l := r.Unloaded.Quantile(0.99), r.Loaded.Quantile(0.99)
	return u > 0 && l > 0 && l <= 2*u
}

// Select returns the attacks named (all for none), in the suite's order.
func Select(names []string) ([]*Attack, error) {
	all := Suite()
	if len(names) == 0 {
		return all, nil
	}
	var out []*Attack
	for _, n := range names {
		found := false
		for _, a := range all {
			if a.Name == n {
				out = append(out, a)
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("unknown attack %q (see -h for the list)", n)
		}
	}
	return out, nil
}

// Suite is every attack, in the order they run.
func Suite() []*Attack {
	return append(append(kafkaAttacks(), zkAttacks()...), peerAttacks()...)
}

// Run runs the chosen attacks one after the other, each on processes of
// its own, and returns their results. A failed run (processes that do not
// start) is recorded in its Result and the others still run; only ctx
// ending stops them all.
func Run(ctx context.Context, cfg Config) ([]*Result, error) {
	attacks, err := Select(cfg.Attacks)
	if err != nil {
		return nil, err
	}
	if cfg.Duration <= 0 {
		cfg.Duration = 5 * time.Second
	}
	if cfg.Dir == "" {
		d, err := os.MkdirTemp(memDir(), "sluice-bench-attack-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(d)
		cfg.Dir = d
	}
	var out []*Result
	for _, a := range attacks {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		fmt.Fprintf(progress(cfg.Progress), "attack %s (%s port)\n", a.Name, a.Port)
		r := runOne(ctx, cfg, a)
		if r.Err != nil {
			fmt.Fprintf(progress(cfg.Progress), "  failed: %v\n", r.Err)
		} else {
			fmt.Fprintf(progress(cfg.Progress), "  up %d/%d, RSS idle %s peak %s MiB, p99 unloaded %v under attack %v, node CPU %.0f%% then %.0f%%; %s\n",
				r.Nodes-len(r.Down), r.Nodes, mib(r.IdleRSS), mib(r.PeakRSS), r.Unloaded.Quantile(0.99), r.Loaded.Quantile(0.99),
				100*r.UnloadedCPU, 100*r.LoadedCPU, r.Saw)
		}
		out = append(out, r)
	}
	return out, ctx.Err()
}

func runOne(ctx context.Context, cfg Config, a *Attack) *Result {
	r := &Result{Attack: a}
	dir := filepath.Join(cfg.Dir, a.Name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		r.Err = err
		return r
	}
	env, err := start(ctx, cfg, a.Port, dir)
	if err != nil {
		r.Err = err
		return r
	}
	defer env.stop()
	env.small = cfg.Small
	r.Nodes = len(env.nodes)
	cl, err := env.newClient(ctx)
	if err != nil {
		r.Err = fmt.Errorf("normal client: %w", err)
		return r
	}
	defer cl.close()
	if a.before != nil { // after the client, which creates its topic
		if err := a.before(ctx, env); err != nil {
			r.Err = fmt.Errorf("before the attack: %w", err)
			return r
		}
	}

	// Unloaded: the client alone.
	target := env.nodes[0]
	cpu := cpuMeter(target.Pid())
	r.UnloadedErrors = drive(ctx, cl, cfg.Duration, cfg.ClientRate, &r.Unloaded)
	r.UnloadedCPU = cpu()

	// Under attack: the client beside it, RSS sampled throughout.
	r.IdleRSS, _ = proc.RSS(target.Pid())
	d := cfg.Duration
	if !cfg.Small {
		d = max(d, a.MinDuration)
	}
	actx, cancel := context.WithTimeout(ctx, d)
	sampler := sampleRSS(target.Pid())
	cpu = cpuMeter(target.Pid())
	var wg sync.WaitGroup
	var saw string
	var runErr error
	wg.Add(1)
	go func() { // owned by runOne, which waits for it below
		defer wg.Done()
		if cfg.Attacker == nil {
			saw, runErr = a.run(actx, env)
			return
		}
		// The child stops itself after d; the margin is for its start and
		// its report.
		cctx, ccancel := context.WithTimeout(ctx, d+time.Minute)
		defer ccancel()
		saw, runErr = runAttacker(cctx, cfg, a, env, d)
	}()
	r.LoadedErrors = drive(actx, cl, d, cfg.ClientRate, &r.Loaded)
	wg.Wait()
	cancel()
	r.LoadedCPU = cpu()
	r.PeakRSS = sampler.stop()
	r.Saw = saw
	if runErr != nil && ctx.Err() == nil {
		r.Saw += fmt.Sprintf(" (attacker: %v)", runErr)
	}

	// Up: every process alive and answering.
	r.Down = env.check(ctx)
	if a.after != nil && len(r.Down) == 0 {
		if err := a.after(ctx, env); err != nil {
			r.Down = append(r.Down, err.Error())
		}
	}
	return r
}

// client is the normal client that runs beside an attack: op does one
// request (or a small fixed set) and returns its error.
type client interface {
	op(ctx context.Context, h *latency.Histogram) error
	close()
}

// opTimeout bounds one request of the normal client; a request that takes
// that long is recorded as that long and counted as an error.
const opTimeout = 5 * time.Second

// drive runs the client for d (or until ctx ends), one request at a time
// (at most rate operations a second if rate > 0), recording each request's
// latency in h, and returns how many failed. A paced operation that ends
// late is not made up for by a burst: the next one starts at once, then
// the pace goes on.
func drive(ctx context.Context, cl client, d time.Duration, rate int, h *latency.Histogram) int {
	now := time.Now()
	end := now.Add(d)
	gap := time.Duration(0)
	if rate > 0 {
		gap = time.Second / time.Duration(rate)
	}
	next := now
	errs := 0
	for now.Before(end) && ctx.Err() == nil {
		if wait := next.Sub(now); wait > 0 {
			select {
			case <-ctx.Done():
				return errs
			case <-time.After(wait):
			}
		}
		if t := time.Now(); t.After(next) {
			next = t
		}
		next = next.Add(gap)
		octx, cancel := context.WithTimeout(ctx, opTimeout)
		err := cl.op(octx, h)
		cancel()
		if err != nil && ctx.Err() == nil {
			errs++
			// A failing client would otherwise spin; its failures are
			// counted, not its speed.
			select {
			case <-ctx.Done():
			case <-time.After(50 * time.Millisecond):
			}
		}
		now = time.Now()
	}
	return errs
}

// memDir is where the attacked nodes keep their data when no -dir is
// given: /dev/shm, a tmpfs, if it is there and writable, else the
// temporary directory. The suite measures listeners, not disks: on a
// disk, each setData of the coordinator's normal client waits for an
// fsync, and the disk's jitter (an unloaded p99 of 1.7 to 5.5 ms on one
// machine, 0.1 to 0.2 ms on tmpfs) would hide what an attack does.
func memDir() string {
	const shm = "/dev/shm"
	if unix.Access(shm, unix.W_OK) == nil {
		return shm
	}
	return ""
}

// cpuMeter starts measuring process pid's CPU time; the function it
// returns gives the time used since, as a fraction of the wall-clock time
// (1 = one core busy), or 0 if it cannot be read.
func cpuMeter(pid int) func() float64 {
	start := time.Now()
	before, err := benchagent.CPUTime(pid)
	return func() float64 {
		after, err2 := benchagent.CPUTime(pid)
		if err != nil || err2 != nil {
			return 0
		}
		return (after - before).Seconds() / time.Since(start).Seconds()
	}
}

// rssSampler reads a process's VmRSS every 20 ms and keeps the peak.
type rssSampler struct {
	done chan struct{}
	peak chan int64
}

func sampleRSS(pid int) *rssSampler {
	s := &rssSampler{done: make(chan struct{}), peak: make(chan int64, 1)}
	go func() { // owned by s: ends when stop closes done
		var peak int64
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			if v, err := proc.RSS(pid); err == nil {
				peak = max(peak, v)
			}
			select {
			case <-s.done:
				s.peak <- peak
				return
			case <-tick.C:
			}
		}
	}()
	return s
}

// stop ends the sampling and returns the peak (0 if never read).
func (s *rssSampler) stop() int64 {
	close(s.done)
	return <-s.peak
}

// count is n, or n/10 (at least min) for a small run.
func (e *env) count(n, least int) int {
	if e.small {
		return max(n/10, least)
	}
	return n
}

func progress(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

func mib(b int64) string {
	if b <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f", float64(b)/(1<<20))
}

// dataDir says where the nodes' data goes for -dir dir.
func dataDir(dir string) string {
	switch {
	case dir != "":
		return dir
	case memDir() != "":
		return memDir() + " (tmpfs)"
	}
	return os.TempDir()
}
