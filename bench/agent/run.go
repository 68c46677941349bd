package agent

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sluicelogs/sluice/bench/compare"
	"github.com/sluicelogs/sluice/internal/kadmin"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// The shippers a comparison knows.
const (
	TargetSluice  = "sluice"  // `sluice agent`
	TargetRsyslog = "rsyslog" // rsyslogd with imfile, imjournal, imtcp or imudp, and omkafka
)

// rsyslog's queues for the messages of a syslog source (the other sources
// can be read again, and rsyslog reads them with its default memory queue).
const (
	QueueMemory = "memory" // rsyslog's default: lost when rsyslogd is killed
	QueueDisk   = "disk"   // the ruleset's queue.type="Disk": every message through a file, as sluice's disk queue
)

// File is one workload: Lines lines (or messages) of Size bytes each, the
// newline included.
type File struct {
	Size  int
	Lines int
}

// Name is the row label of f, e.g. "100 B × 1000000".
func (f File) Name() string { return fmt.Sprintf("%d B × %d", f.Size, f.Lines) }

// Bytes is the length of the file.
func (f File) Bytes() int64 { return int64(f.Size) * int64(f.Lines) }

// Config is one comparison: every target ships every file of every source.
type Config struct {
	Targets    []string
	Sources    []string      // nil means SourceFile only
	Files      []File        // the file source's files
	Messages   File          // the journal entries and syslog messages; zero means DefaultMessages
	UDPRate    int           // syslog-udp messages per second offered; 0 means DefaultUDPRate
	Idle       time.Duration // when positive, measure an idle agent with all four inputs after this long idle
	Partitions int           // of each topic; 0 means 1
	Limit      time.Duration // per run; 0 means 5 minutes
	Sluice     string        // the sluice binary (coordinator, broker, agent)
	Rsyslogd   string        // "" means rsyslogd on PATH
	Dir        string        // "" means a temporary directory, removed
	Progress   io.Writer     // progress lines; nil discards them
	CPUProfile string        // when set, each sluice agent run writes a CPU profile to CPUProfile.<run>
	// RsyslogQueues are the queues rsyslog runs with for a syslog source,
	// one run each; nil means both, QueueMemory first.
	RsyslogQueues []string
	// Kill, when positive, runs the kill test over TCP (Kill) with this
	// many messages for each shipper after the rows, when the sources
	// include syslog-tcp.
	Kill int
}

// Result is one shipper shipping one workload of one source.
type Result struct {
	Target  string
	Queue   string // rsyslog: QueueMemory or QueueDisk; "" for sluice
	Source  string
	File    File
	Arrived int64         // records in the topic when the run ended
	Elapsed time.Duration // from starting the shipper until the last record arrived
	CPU     time.Duration // the user+system CPU time of the shipper's process tree by then
	Err     error
}

// Lost is how many lines or messages did not arrive (syslog-udp only may
// lose some without failing).
func (r *Result) Lost() int64 { return int64(r.File.Lines) - r.Arrived }

// LinesPerSec is the throughput in lines per wall-clock second.
func (r *Result) LinesPerSec() float64 {
	if r.Err != nil || r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Arrived) / r.Elapsed.Seconds()
}

// MiBPerSec is the throughput in MiB of file (or message) bytes per
// wall-clock second.
func (r *Result) MiBPerSec() float64 {
	if r.Err != nil || r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Arrived) * float64(r.File.Size) / (1 << 20) / r.Elapsed.Seconds()
}

// CPUPerGiB is the shipper's CPU seconds per GiB of file (or message)
// bytes.
func (r *Result) CPUPerGiB() float64 {
	if r.Err != nil || r.Arrived <= 0 {
		return 0
	}
	return r.CPU.Seconds() / (float64(r.Arrived) * float64(r.File.Size) / (1 << 30))
}

// LinesPerCPUSec is lines shipped per second of the shipper's CPU time.
func (r *Result) LinesPerCPUSec() float64 {
	if r.Err != nil || r.CPU <= 0 {
		return 0
	}
	return float64(r.Arrived) / r.CPU.Seconds()
}

// Report is what a comparison found.
type Report struct {
	Results []Result
	Kills   []Kill // the kill tests, when Config.Kill asked for them
	Idle    *Idle  // nil unless Config.Idle was set
}

// Compare writes the workloads, starts one sluice coordinator and broker,
// and runs every target on every workload in turn, each into a fresh
// topic. A failed run is reported in its Result; the error is for what
// stops the whole comparison (the workloads, the broker).
func Compare(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.Partitions <= 0 {
		cfg.Partitions = 1
	}
	if cfg.Limit <= 0 {
		cfg.Limit = 5 * time.Minute
	}
	if cfg.Rsyslogd == "" {
		cfg.Rsyslogd = "rsyslogd"
	}
	if cfg.Sources == nil {
		cfg.Sources = []string{SourceFile}
	}
	if cfg.Messages == (File{}) {
		cfg.Messages = DefaultMessages
	}
	if cfg.UDPRate <= 0 {
		cfg.UDPRate = DefaultUDPRate
	}
	if cfg.RsyslogQueues == nil {
		cfg.RsyslogQueues = []string{QueueMemory, QueueDisk}
	}
	progress := compare.Progress(cfg.Progress)
	dir := cfg.Dir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "sluice-abench-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var jobs []job
	for _, src := range cfg.Sources {
		js, err := prepare(ctx, progress, dir, src, cfg)
		if err != nil {
			return nil, err
		}
		jobs = append(jobs, js...)
	}
	fmt.Fprintf(progress, "abench: starting a sluice coordinator and broker\n")
	broker, err := testpeer.StartBrokers(ctx, testpeer.BrokersSpec{Kind: testpeer.KindSluice, Dir: dir, Sluice: cfg.Sluice})
	if err != nil {
		return nil, err
	}
	defer broker.Stop()
	cl, err := kgo.NewClient(kgo.SeedBrokers(broker.Addr))
	if err != nil {
		return nil, err
	}
	defer cl.Close()

	rep := &Report{}
	run := 0
	for _, j := range jobs {
		for _, target := range cfg.Targets {
			for _, queue := range queues(cfg, target, j.source) {
				run++
				r := runOne(ctx, cfg, cl, broker.Addr, dir, j, target, queue, run)
				rep.Results = append(rep.Results, r)
			}
		}
	}
	if cfg.Kill > 0 && slices.Contains(cfg.Sources, SourceSyslogTCP) {
		for _, target := range cfg.Targets {
			for _, queue := range queues(cfg, target, SourceSyslogTCP) {
				run++
				rep.Kills = append(rep.Kills, killRun(ctx, cfg, cl, broker.Addr, broker.Servers[0].Pid(), dir, target, queue, cfg.Kill, run))
			}
		}
	}
	if cfg.Idle > 0 {
		rep.Idle = measureIdle(ctx, cfg, cl, broker.Addr, filepath.Join(dir, "idle"))
	}
	return rep, nil
}

// queues are the rsyslog queues target runs with for source: one run each
// ("" for sluice, which has one configuration).
func queues(cfg Config, target, source string) []string {
	switch {
	case target != TargetRsyslog:
		return []string{""}
	case source == SourceSyslogTCP || source == SourceSyslogUDP:
		return cfg.RsyslogQueues
	}
	return []string{QueueMemory}
}

// shipperName names target with queue (for rsyslog) in progress lines,
// topics and directories, e.g. "rsyslog-disk".
func shipperName(target, queue string) string {
	if queue == "" {
		return target
	}
	return target + "-" + queue
}

// runOne runs target (with queue, for rsyslog) on job j into a fresh topic.
func runOne(ctx context.Context, cfg Config, cl *kgo.Client, addr, dir string, j job, target, queue string, run int) Result {
	progress := compare.Progress(cfg.Progress)
	r := Result{Target: target, Queue: queue, Source: j.source, File: j.f}
	name := shipperName(target, queue)
	rn := shipRun{cfg: cfg, cl: cl, addr: addr, job: j, queue: queue,
		topic: fmt.Sprintf("abench-%d-%s-%s-%d", run, name, j.source, j.f.Size),
		dir:   filepath.Join(dir, fmt.Sprintf("run-%d-%s-%s", run, name, j.source))}
	if err := os.MkdirAll(rn.dir, 0o755); err != nil {
		r.Err = err
		return r
	}
	fmt.Fprintf(progress, "abench: %s ships %s %s into topic %s\n", name, j.source, j.f.Name(), rn.topic)
	if err := kadmin.CreateTopic(ctx, cl, rn.topic, cfg.Partitions); err != nil {
		r.Err = err
	} else {
		rctx, cancel := context.WithTimeout(ctx, cfg.Limit)
		if target == TargetSluice && cfg.CPUProfile != "" {
			rn.profile = fmt.Sprintf("%s.%d", cfg.CPUProfile, run)
		}
		r.Arrived, r.Elapsed, r.CPU, r.Err = rn.run(rctx, target)
		cancel()
	}
	if r.Err != nil {
		fmt.Fprintf(progress, "abench: %s %s %s: %v\n", name, j.source, j.f.Name(), r.Err)
	} else {
		fmt.Fprintf(progress, "abench: %s %s %s: %d arrived in %v, CPU %v: %.0f lines/s, %.0f lines/CPU s\n",
			name, j.source, j.f.Name(), r.Arrived, r.Elapsed.Round(time.Millisecond), r.CPU, r.LinesPerSec(), r.LinesPerCPUSec())
	}
	return r
}
