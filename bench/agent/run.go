package agent

import (
	"bufio"
	"context"
	"fmt"
	"github.com/sluicelogs/sluice/internal/kadmin"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicelogs/sluice/bench/compare"
	"github.com/sluicelogs/sluice/testkit/proc"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// The shippers a comparison knows.
const (
	TargetSluice  = "sluice"  // `sluice agent`
	TargetRsyslog = "rsyslog" // rsyslogd with imfile and omkafka
)

// File is one pre-written input: Lines lines of Size bytes each, the
// newline included.
type File struct {
	Size  int
	Lines int
}

// Name is the row label of f, e.g. "100 B × 1000000".
func (f File) Name() string { return fmt.Sprintf("%d B × %d", f.Size, f.Lines) }

// Bytes is the length of the file.
func (f File) Bytes() int64 { return int64(f.Size) * int64(f.Lines) }

// Config is one comparison: every target ships every file.
type Config struct {
	Targets    []string
	Files      []File
	Partitions int           // of each topic; 0 means 1
	Limit      time.Duration // per run; 0 means 5 minutes
	Sluice     string        // the sluice binary (coordinator, broker, agent)
	Rsyslogd   string        // "" means rsyslogd on PATH
	Dir        string        // "" means a temporary directory, removed
	Progress   io.Writer     // progress lines; nil discards them
	CPUProfile string        // when set, each sluice agent run writes a CPU profile to CPUProfile.<run>
}

// Result is one shipper shipping one file.
type Result struct {
	Target  string
	File    File
	Arrived int64         // records in the topic when the run ended
	Elapsed time.Duration // from starting the shipper until every line arrived
	CPU     time.Duration // the shipper's user+system CPU time by then
	Err     error
}

// LinesPerSec is the throughput in lines per wall-clock second.
func (r *Result) LinesPerSec() float64 {
	if r.Err != nil || r.Elapsed <= 0 {
		return 0
	}
	return float64(r.File.Lines) / r.Elapsed.Seconds()
}

// MiBPerSec is the throughput in MiB of file per wall-clock second.
func (r *Result) MiBPerSec() float64 {
	if r.Err != nil || r.Elapsed <= 0 {
		return 0
	}
	return float64(r.File.Bytes()) / (1 << 20) / r.Elapsed.Seconds()
}

// CPUPerGiB is the shipper's CPU seconds per GiB of file.
func (r *Result) CPUPerGiB() float64 {
	if r.Err != nil || r.File.Bytes() == 0 {
		return 0
	}
	return r.CPU.Seconds() / (float64(r.File.Bytes()) / (1 << 30))
}

// LinesPerCPUSec is lines shipped per second of the shipper's CPU time.
func (r *Result) LinesPerCPUSec() float64 {
	if r.Err != nil || r.CPU <= 0 {
		return 0
	}
	return float64(r.File.Lines) / r.CPU.Seconds()
}

// Compare writes the files, starts one sluice coordinator and broker, and
// runs every target on every file in turn, each into a fresh topic. A
// failed run is reported in its Result; the error is for what stops the
// whole comparison (the files, the broker).
func Compare(ctx context.Context, cfg Config) ([]Result, error) {
	if cfg.Partitions <= 0 {
		cfg.Partitions = 1
	}
	if cfg.Limit <= 0 {
		cfg.Limit = 5 * time.Minute
	}
	if cfg.Rsyslogd == "" {
		cfg.Rsyslogd = "rsyslogd"
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
	paths := make([]string, len(cfg.Files))
	for i, f := range cfg.Files {
		paths[i] = filepath.Join(dir, fmt.Sprintf("lines-%d-%d.log", f.Size, f.Lines))
		fmt.Fprintf(progress, "abench: writing %s (%s)\n", paths[i], compare.MiB(f.Bytes())+" MiB")
		if err := WriteLines(paths[i], f); err != nil {
			return nil, err
		}
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

	var results []Result
	run := 0
	for i, f := range cfg.Files {
		for _, target := range cfg.Targets {
			run++
			r := Result{Target: target, File: f}
			topic := fmt.Sprintf("abench-%d-%s-%d", run, target, f.Size)
			rdir := filepath.Join(dir, fmt.Sprintf("run-%d-%s", run, target))
			if err := os.MkdirAll(rdir, 0o755); err != nil {
				return nil, err
			}
			fmt.Fprintf(progress, "abench: %s ships %s into topic %s\n", target, f.Name(), topic)
			if err := kadmin.CreateTopic(ctx, cl, topic, cfg.Partitions); err != nil {
				r.Err = err
			} else {
				rctx, cancel := context.WithTimeout(ctx, cfg.Limit)
				switch target {
				case TargetSluice:
					prof := ""
					if cfg.CPUProfile != "" {
						prof = fmt.Sprintf("%s.%d", cfg.CPUProfile, run)
					}
					r.Arrived, r.Elapsed, r.CPU, r.Err = runSluice(rctx, cl, cfg, rdir, broker.Addr, topic, paths[i], f, prof)
				case TargetRsyslog:
					r.Arrived, r.Elapsed, r.CPU, r.Err = runRsyslog(rctx, cl, cfg, rdir, broker.Addr, topic, paths[i], f)
				default:
					r.Err = fmt.Errorf("abench: unknown target %q", target)
				}
				cancel()
			}
			if r.Err != nil {
				fmt.Fprintf(progress, "abench: %s %s: %v\n", target, f.Name(), r.Err)
			} else {
				fmt.Fprintf(progress, "abench: %s %s: %v, CPU %v: %.0f lines/s, %.1f MiB/s, %.1f CPU s/GiB\n",
					target, f.Name(), r.Elapsed.Round(time.Millisecond), r.CPU, r.LinesPerSec(), r.MiBPerSec(), r.CPUPerGiB())
			}
			results = append(results, r)
		}
	}
	return results, nil
}

// WriteLines writes f to path: each line "seq=<n> " padded with letters to
// f.Size-1 bytes, then a newline.
func WriteLines(path string, f File) error {
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(out, 1<<20)
	line := make([]byte, 0, f.Size)
	const pad = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	for n := range f.Lines {
		line = append(line[:0], "seq="...)
		line = strconv.AppendInt(line, int64(n), 10)
		line = append(line, ' ')
		for i := 0; len(line) < f.Size-1; i++ {
			line = append(line, pad[(n+i)%len(pad)])
		}
		line = append(line[:f.Size-1], '\n')
		w.Write(line)
	}
	if err := w.Flush(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// runSluice runs `sluice agent` on path into topic and measures it.
// A non-empty profile is passed to the agent's -cpuprofile.
func runSluice(ctx context.Context, cl *kgo.Client, cfg Config, dir, addr, topic, path string, f File, profile string) (int64, time.Duration, time.Duration, error) {
	yml := fmt.Sprintf(`# written by sluice-bench agent
inputs:
  - id: abench
    paths: [%q]
output.kafka:
  hosts: [%q]
  topic: %q
  partition: round_robin
  required_acks: -1
  compression: none
registry:
  path: %q
`, path, addr, topic, filepath.Join(dir, "registry"))
	conf := filepath.Join(dir, "agent.yml")
	if err := os.WriteFile(conf, []byte(yml), 0o644); err != nil {
		return 0, 0, 0, err
	}
	args := []string{"agent", "-c", conf, "-e", "-metrics-addr", ""}
	if profile != "" {
		args = append(args, "-cpuprofile", profile)
	}
	cmd := exec.Command(cfg.Sluice, args...)
	return measure(ctx, cl, "sluice agent", cmd, filepath.Join(dir, "agent.log"), topic, cfg.Partitions, f)
}

// runRsyslog runs rsyslogd with imfile on path and omkafka into topic, its
// configuration checked with -N1 first, and measures it.
func runRsyslog(ctx context.Context, cl *kgo.Client, cfg Config, dir, addr, topic, path string, f File) (int64, time.Duration, time.Duration, error) {
	work := filepath.Join(dir, "work")
	if err := os.MkdirAll(work, 0o755); err != nil {
		return 0, 0, 0, err
	}
	// Its own ruleset keeps rsyslogd's own messages out of the topic; the
	// template sends the line alone, without a syslog header.
	text := fmt.Sprintf(`# written by sluice-bench agent
global(workDirectory=%q)
module(load="imfile")
module(load="omkafka")
template(name="abench_msg" type="string" string="%%msg%%")
ruleset(name="abench") {
  action(type="omkafka" broker=[%q] topic=%q template="abench_msg" partitions.auto="on"
         confParam=["compression.codec=none"] topicConfParam=["request.required.acks=-1"])
}
input(type="imfile" file=%q tag="abench" ruleset="abench")
`, work, addr, topic, path)
	conf := filepath.Join(dir, "rsyslog.conf")
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		return 0, 0, 0, err
	}
	if out, err := exec.CommandContext(ctx, cfg.Rsyslogd, "-N1", "-f", conf).CombinedOutput(); err != nil {
		return 0, 0, 0, fmt.Errorf("rsyslogd -N1 -f %s: %w\n%s", conf, err, out)
	}
	cmd := exec.Command(cfg.Rsyslogd, "-n", "-f", conf, "-i", filepath.Join(work, "rsyslogd.pid"))
	return measure(ctx, cl, "rsyslogd", cmd, filepath.Join(dir, "rsyslogd.log"), topic, cfg.Partitions, f)
}

// measure starts cmd, polls the end offsets of topic until they sum to
// f.Lines, reads the process's CPU time and stops it. It returns the
// records that arrived, the wall time and the CPU time.
func measure(ctx context.Context, cl *kgo.Client, name string, cmd *exec.Cmd, logPath, topic string, partitions int, f File) (int64, time.Duration, time.Duration, error) {
	start := time.Now()
	p, err := proc.Start(name, cmd, logPath)
	if err != nil {
		return 0, 0, 0, err
	}
	defer p.Stop()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	var arrived int64
	for {
		n, err := endOffsets(ctx, cl, topic, partitions)
		if err == nil {
			arrived = n
			if n >= int64(f.Lines) {
				elapsed := time.Since(start)
				cpu, err := CPUTime(p.Pid())
				if err != nil {
					return n, elapsed, 0, err
				}
				if n > int64(f.Lines) {
					return n, elapsed, cpu, fmt.Errorf("%d records in the topic, %d lines in the file", n, f.Lines)
				}
				return n, elapsed, cpu, nil
			}
		}
		if exited, werr := p.Exited(); exited {
			return arrived, 0, 0, fmt.Errorf("%s exited after %d of %d lines: %v\n%s", name, arrived, f.Lines, werr, p.Tail(20))
		}
		select {
		case <-ctx.Done():
			return arrived, 0, 0, fmt.Errorf("%d of %d lines after %v: %w (last offsets error: %v)\n%s", arrived, f.Lines, time.Since(start).Round(time.Millisecond), ctx.Err(), err, p.Tail(20))
		case <-tick.C:
		}
	}
}

// endOffsets sums the end offsets (the high watermarks) of topic's
// partitions.
func endOffsets(ctx context.Context, cl *kgo.Client, topic string, partitions int) (int64, error) {
	req := kmsg.NewPtrListOffsetsRequest()
	req.ReplicaID = -1
	rt := kmsg.NewListOffsetsRequestTopic()
	rt.Topic = topic
	for i := range partitions {
		rp := kmsg.NewListOffsetsRequestTopicPartition()
		rp.Partition, rp.Timestamp = int32(i), -1
		rt.Partitions = append(rt.Partitions, rp)
	}
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return 0, err
	}
	var sum int64
	seen := 0
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
				return 0, fmt.Errorf("list offsets %s[%d]: %w", topic, p.Partition, err)
			}
			sum += p.Offset
			seen++
		}
	}
	if seen != partitions {
		return 0, fmt.Errorf("list offsets %s: %d of %d partitions", topic, seen, partitions)
	}
	return sum, nil
}

var clockTicks = sync.OnceValue(func() float64 {
	out, err := exec.Command("getconf", "CLK_TCK").Output()
	if err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(string(out))); err == nil && n > 0 {
			return float64(n)
		}
	}
	return 100
})

// CPUTime is the user+system CPU time of process pid, all its threads,
// from /proc/<pid>/stat.
func CPUTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name, in parentheses, may hold spaces: fields count from
	// after its closing parenthesis, where field 3 (state) begins.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	fields := strings.Fields(string(b[i+1:]))
	if len(fields) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(fields)+2)
	}
	utime, err1 := strconv.ParseInt(fields[11], 10, 64) // field 14
	stime, err2 := strconv.ParseInt(fields[12], 10, 64) // field 15
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: utime %q, stime %q", pid, fields[11], fields[12])
	}
	return time.Duration(float64(utime+stime) / clockTicks() * float64(time.Second)), nil
}

// RsyslogVersion is the first line of `rsyslogd -v`, or a note that it is
// missing.
func RsyslogVersion(ctx context.Context, rsyslogd string) string {
	out, err := exec.CommandContext(ctx, rsyslogd, "-v").Output()
	if err != nil {
		return "rsyslogd not found"
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	line, _, _ = strings.Cut(line, " (aka")
	return strings.Join(strings.Fields(line), " ")
}
