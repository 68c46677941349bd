package agent

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicelogs/sluice/testkit/proc"
)

// shipRun is one shipper shipping one job into a fresh topic.
type shipRun struct {
	cfg     Config
	cl      *kgo.Client
	addr    string // the broker
	job     job
	topic   string
	dir     string // the run's own directory
	profile string // sluice only: the agent's -cpuprofile
	port    int    // syslog sources: the port the shipper listens on
	queue   string // rsyslog: QueueMemory or QueueDisk
}

// shipper is how one shipper of a run is started: its command, its name
// and its log's, and what undoes its setup once it stopped.
type shipper struct {
	cmd           *exec.Cmd
	name, logName string
	undo          func()
}

// shipper writes the configuration of target for the run and returns how
// to start it; called again, it writes the same one (same port, same
// directories), so that a shipper can be started again after a kill.
func (rn *shipRun) shipper(ctx context.Context, target string) (shipper, error) {
	switch target {
	case TargetSluice:
		cmd, err := rn.sluiceCommand()
		return shipper{cmd: cmd, name: "sluice agent", logName: "agent.log", undo: func() {}}, err
	case TargetRsyslog:
		cmd, undo, err := rn.rsyslogCommand(ctx)
		return shipper{cmd: cmd, name: "rsyslogd", logName: "rsyslogd.log", undo: undo}, err
	}
	return shipper{}, fmt.Errorf("abench: unknown target %q", target)
}

// run starts target on the run's job and measures it.
func (rn *shipRun) run(ctx context.Context, target string) (int64, time.Duration, time.Duration, error) {
	sh, err := rn.shipper(ctx, target)
	if err != nil {
		return 0, 0, 0, err
	}
	defer sh.undo()
	return rn.measure(ctx, sh.name, sh.cmd, sh.logName)
}

// sluiceCommand writes the configuration of `sluice agent` with the job's
// input and returns the command that runs it.
func (rn *shipRun) sluiceCommand() (*exec.Cmd, error) {
	input, err := rn.sluiceInput()
	if err != nil {
		return nil, err
	}
	yml := fmt.Sprintf(`# written by sluice-bench agent
inputs:
%soutput.kafka:
  hosts: [%q]
  topic: %q
  partition: round_robin
  required_acks: -1
  compression: none
registry:
  path: %q
queue.disk:
  path: %q
`, input, rn.addr, rn.topic, filepath.Join(rn.dir, "registry"), filepath.Join(rn.dir, "diskqueue"))
	conf := filepath.Join(rn.dir, "agent.yml")
	if err := os.WriteFile(conf, []byte(yml), 0o644); err != nil {
		return nil, err
	}
	args := []string{"agent", "-c", conf, "-e", "-metrics-addr", ""}
	if rn.profile != "" {
		args = append(args, "-cpuprofile", rn.profile)
	}
	return exec.Command(rn.cfg.Sluice, args...), nil
}

// sluiceInput is the agent's inputs list for the job.
func (rn *shipRun) sluiceInput() (string, error) {
	switch rn.job.source {
	case SourceFile:
		return fmt.Sprintf("  - id: abench\n    paths: [%q]\n", rn.job.path), nil
	case SourceJournald:
		return fmt.Sprintf("  - id: abench\n    type: journald\n    directory: %q\n", rn.job.path), nil
	case SourceSyslogTCP, SourceSyslogUDP:
		if err := rn.listenPort(); err != nil {
			return "", err
		}
		return fmt.Sprintf("  - id: abench\n    type: syslog\n    format: rfc3164\n    protocol.%s:\n      host: 127.0.0.1:%d\n", rn.proto(), rn.port), nil
	}
	return "", fmt.Errorf("abench: unknown source %q", rn.job.source)
}

// rsyslogCommand writes the configuration of rsyslogd with the job's
// input and omkafka into the topic, checks it with -N1, and returns the
// command that runs it and what undoes the setup (journald's link).
func (rn *shipRun) rsyslogCommand(ctx context.Context) (_ *exec.Cmd, undo func(), err error) {
	undo = func() {}
	work := filepath.Join(rn.dir, "work")
	if err := os.MkdirAll(work, 0o755); err != nil {
		return nil, undo, err
	}
	var input string
	switch rn.job.source {
	case SourceFile:
		input = fmt.Sprintf("module(load=\"imfile\")\ninput(type=\"imfile\" file=%q tag=\"abench\" ruleset=\"abench\")\n", rn.job.path)
	case SourceJournald:
		// imjournal reads the system journal only, and has no ruleset
		// of its own: its messages are sent on from the default ruleset.
		// Its state file is the run's own, so it reads from the head.
		// A state file written every 1000 messages rather than every 10
		// (the default) spares it most of that cost.
		if undo, err = linkSystemJournal(rn.job.path); err != nil {
			return nil, func() {}, err
		}
		defer func() {
			if err != nil {
				undo()
			}
		}()
		input = fmt.Sprintf("module(load=\"imjournal\" StateFile=%q IgnorePreviousMessages=\"off\" Ratelimit.Interval=\"0\" PersistStateInterval=\"1000\")\n"+
			"if $inputname == \"imjournal\" then {\n  call abench\n}\n", filepath.Join(work, "imjournal.state"))
	case SourceSyslogTCP, SourceSyslogUDP:
		if err := rn.listenPort(); err != nil {
			return nil, undo, err
		}
		m := "im" + rn.proto()
		input = fmt.Sprintf("module(load=%q)\ninput(type=%q address=\"127.0.0.1\" port=\"%d\" ruleset=\"abench\")\n", m, m, rn.port)
	default:
		return nil, undo, fmt.Errorf("abench: unknown source %q", rn.job.source)
	}
	// Its own ruleset keeps rsyslogd's own messages out of the topic; the
	// template sends the message alone, without a syslog header. With
	// QueueDisk the ruleset has a queue of its own, kept in files of the
	// work directory: the input hands each message to it and omkafka takes
	// it from there, as sluice's syslog input appends to its disk queue
	// and ships from it. Its bookkeeping is left at rsyslog's default,
	// which spares rsyslog most of the queue's cost but also loses the
	// whole queue to a kill -9 (no .qi file: a restart starts afresh);
	// queue.checkpointInterval="1", which rsyslog's documentation names
	// for "no data can be lost", costs it more still.
	var queue string
	switch rn.queue {
	case QueueMemory, "":
	case QueueDisk:
		queue = ` queue.type="Disk" queue.filename="abench"`
	default:
		return nil, undo, fmt.Errorf("abench: unknown rsyslog queue %q", rn.queue)
	}
	text := fmt.Sprintf(`# written by sluice-bench agent
global(workDirectory=%q)
module(load="omkafka")
template(name="abench_msg" type="string" string="%%msg%%")
ruleset(name="abench"%s) {
  action(type="omkafka" broker=[%q] topic=%q template="abench_msg" partitions.auto="on"
         confParam=["compression.codec=none"] topicConfParam=["request.required.acks=-1"])
}
%s`, work, queue, rn.addr, rn.topic, input)
	conf := filepath.Join(rn.dir, "rsyslog.conf")
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		return nil, undo, err
	}
	if out, err := exec.CommandContext(ctx, rn.cfg.Rsyslogd, "-N1", "-f", conf).CombinedOutput(); err != nil {
		return nil, undo, fmt.Errorf("rsyslogd -N1 -f %s: %w\n%s", conf, err, out)
	}
	return exec.Command(rn.cfg.Rsyslogd, "-n", "-f", conf, "-i", filepath.Join(work, "rsyslogd.pid")), undo, nil
}

// proto is "tcp" or "udp" for a syslog job.
func (rn *shipRun) proto() string { return strings.TrimPrefix(rn.job.source, "syslog-") }

func (rn *shipRun) listenPort() error {
	if rn.port != 0 {
		return nil // the run's port, taken before
	}
	port, err := proc.FreePort()
	if err != nil {
		return err
	}
	rn.port = port
	return nil
}

// feed is what the bench sends the shipper while it runs: the syslog
// messages, nothing for the others (they read what was written before).
func (rn *shipRun) feed(ctx context.Context) error {
	addr := fmt.Sprintf("127.0.0.1:%d", rn.port)
	switch rn.job.source {
	case SourceSyslogTCP:
		return SendTCP(ctx, addr, rn.job.f)
	case SourceSyslogUDP:
		return SendUDP(ctx, addr, rn.job.f, rn.cfg.UDPRate)
	}
	return nil
}

// measure starts cmd (its output in logName in the run's directory) and
// the feed, polls the end offsets of the topic until they sum to the
// job's line count, and returns the records that arrived, the wall time
// from the start until the last of them arrived and the process tree's
// CPU time then. A syslog-udp run also ends when the topic has not grown
// for udpStall after the sender finished: the rest was lost.
func (rn *shipRun) measure(ctx context.Context, name string, cmd *exec.Cmd, logName string) (int64, time.Duration, time.Duration, error) {
	want := int64(rn.job.f.Lines)
	start := time.Now()
	p, err := proc.Start(name, cmd, filepath.Join(rn.dir, logName))
	if err != nil {
		return 0, 0, 0, err
	}
	defer p.Stop()
	fctx, stopFeed := context.WithCancel(ctx)
	fed := make(chan struct{})
	var feedErr error
	go func() { // owned by measure: stopped and waited for below
		defer close(fed)
		feedErr = rn.feed(fctx)
	}()
	defer func() { stopFeed(); <-fed }()

	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	var arrived int64
	var lastAt, fedAt time.Time
	var cpu time.Duration
	var cpuErr error
	for {
		n, err := endOffsets(ctx, rn.cl, rn.topic, rn.cfg.Partitions)
		if err == nil && n > arrived {
			arrived, lastAt = n, time.Now()
			cpu, cpuErr = TreeCPU(p.Pid())
		}
		switch {
		case arrived > want:
			return arrived, lastAt.Sub(start), cpu, fmt.Errorf("%d records in the topic, %d lines sent or written", arrived, want)
		case arrived == want:
			return arrived, lastAt.Sub(start), cpu, cpuErr
		}
		if fedAt.IsZero() {
			select {
			case <-fed:
				if feedErr != nil {
					return arrived, 0, 0, fmt.Errorf("sender: %w", feedErr)
				}
				fedAt = time.Now()
			default:
			}
		}
		if rn.job.source == SourceSyslogUDP && !fedAt.IsZero() && time.Since(fedAt) >= udpStall && time.Since(lastAt) >= udpStall {
			if lost := want - arrived; float64(lost) > maxUDPLoss*float64(want) {
				return arrived, 0, 0, fmt.Errorf("lost %d of %d messages at %d offered per second: lower -udp-rate", lost, want, rn.cfg.UDPRate)
			}
			return arrived, lastAt.Sub(start), cpu, cpuErr
		}
		if exited, werr := p.Exited(); exited {
			return arrived, 0, 0, fmt.Errorf("%s exited after %d of %d lines: %v\n%s", name, arrived, want, werr, p.Tail(20))
		}
		select {
		case <-ctx.Done():
			return arrived, 0, 0, fmt.Errorf("%d of %d lines after %v: %w (last offsets error: %v)\n%s", arrived, want, time.Since(start).Round(time.Millisecond), ctx.Err(), err, p.Tail(20))
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
