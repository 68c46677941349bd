// Package compare holds what the side-by-side benchmark comparisons
// (bench/coordinator against Apache ZooKeeper, bench/broker against Apache
// Kafka, and the others against their anchors) share: the line describing
// the machine, the cells of their tables, the rounds the targets take in
// turn, the CPU profile of a server run inside the benchmark process, and
// the summary rows (summary.go). Starting and measuring the server
// processes is testkit/testpeer's and testkit/proc's.
package compare

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sluicelogs/sluice/bench/latency"
)

// Machine describes where the run happened: CPUs, CPU model, Go and Java.
func Machine(ctx context.Context) string {
	// The machine's processors, not runtime.NumCPU's: a run confined to
	// some cores (sluice-bench attack -pin) counts only those.
	model, cpus := "unknown", 0
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			k, v, ok := strings.Cut(sc.Text(), ":")
			switch k = strings.TrimSpace(k); {
			case ok && k == "processor":
				cpus++
			case ok && k == "model name" && model == "unknown":
				model = strings.TrimSpace(v)
			}
		}
		f.Close()
	}
	if cpus == 0 {
		cpus = runtime.NumCPU()
	}
	java := "java not found"
	if b, err := exec.CommandContext(ctx, "java", "-version").CombinedOutput(); err == nil {
		java, _, _ = strings.Cut(strings.TrimSpace(string(b)), "\n")
	}
	return fmt.Sprintf("nproc %d, %s, %s, %s", cpus, model, runtime.Version(), java)
}

// Progress returns w, or io.Discard if w is nil.
func Progress(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

// NewTable returns the tabwriter every comparison table is printed with:
// right-aligned columns two spaces apart.
func NewTable(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
}

// Rate is a whole-number rate, followed by the count of errors if any.
func Rate(perSec float64, errors uint64) string {
	s := fmt.Sprintf("%.0f", perSec)
	if errors > 0 {
		s += fmt.Sprintf(" (%d err)", errors)
	}
	return s
}

// Ratio is ours divided by theirs with two decimals, or "-" unless both are
// positive.
func Ratio(ours, theirs float64) string {
	if ours <= 0 || theirs <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", ours/theirs)
}

// Quantile is the q-quantile of h in milliseconds, or "-" if h is empty.
func Quantile(h *latency.Histogram, q float64) string {
	if h.Count() == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2fms", float64(h.Quantile(q))/float64(time.Millisecond))
}

// MiB is b bytes in whole MiB, or "-" if b is negative (unknown).
func MiB(b int64) string {
	if b < 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f", float64(b)/(1<<20))
}

// ProfileCPU runs serve in the background, then load with the CPU profile
// of this process written to path, then stops serve (cancels its context)
// and waits for it. Servers run in-process for this because their commands
// have no profiling flag, so the profile also holds the load generator.
func ProfileCPU(ctx context.Context, path string, serve, load func(context.Context) error) error {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- serve(ctx) }()
	defer func() {
		cancel()
		<-done
	}()

	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := pprof.StartCPUProfile(f); err != nil {
		return err
	}
	defer pprof.StopCPUProfile()
	return load(ctx)
}

// Plural is "1 broker", "3 brokers".
func Plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// Median is the middle value of v (the mean of the two middle ones for an
// even count), or 0 for none: benches that run each target in several
// rounds report the median round, which one busy spell of a shared machine
// does not decide.
func Median[T ~int64 | ~float64](v []T) T {
	if len(v) == 0 {
		return 0
	}
	v = slices.Clone(v)
	slices.Sort(v)
	if n := len(v); n%2 == 0 {
		return (v[n/2-1] + v[n/2]) / 2
	}
	return v[len(v)/2]
}

// TakeTurns runs round 1 of every target, then round 2 of every target, and
// so on (at least one round), so that a busy spell of a shared machine
// falls on one round of each target rather than on all of one target's.
// run reports whether that round of the target failed; a failed target is
// not run again. It returns ctx's error if ctx ends first.
func TakeTurns(ctx context.Context, rounds, targets int, run func(round, target int) (failed bool)) error {
	failed := make([]bool, targets)
	for round := 1; round <= max(rounds, 1); round++ {
		for i := range targets {
			if err := ctx.Err(); err != nil {
				return err
			}
			if !failed[i] {
				failed[i] = run(round, i)
			}
		}
	}
	return nil
}
