package agent

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sluicelogs/sluice/bench/compare"
	"github.com/sluicelogs/sluice/internal/kadmin"
	"github.com/sluicelogs/sluice/testkit/proc"
)

// Kill is one shipper through the kill test over TCP: with the broker
// stopped (SIGSTOP), the shipper reads Accepted messages from its
// connection (the kernel holds none of them any more), is killed with
// SIGKILL, the broker resumes and the shipper starts again on the same
// configuration and state; Arrived is how many of those messages reached
// the topic (each counted once), Records how many records the topic got
// for them (a shipper may send one again).
type Kill struct {
	Target, Queue string
	Accepted      int
	Arrived       int
	Records       int
	Err           error
}

// Lost is how many accepted messages never arrived.
func (k *Kill) Lost() int { return k.Accepted - k.Arrived }

// killSettle is how long the shipper runs on after it read the last
// message, before it is killed: time to do what it does with a message it
// read (sluice: append it to the disk queue; rsyslog: enqueue it).
const killSettle = time.Second

// killStall ends the count after the restart once no message arrived for
// this long (a shipper that lost some never brings the count to Accepted).
const killStall = 5 * time.Second

// killRun runs the kill test of target (with queue, for rsyslog) with
// messages messages into a fresh topic of the broker, whose process is
// brokerPid.
func killRun(ctx context.Context, cfg Config, cl *kgo.Client, addr string, brokerPid int, dir string, target, queue string, messages, run int) Kill {
	k := Kill{Target: target, Queue: queue, Accepted: messages}
	name := shipperName(target, queue)
	f := File{Size: cfg.Messages.Size, Lines: messages}
	rn := shipRun{cfg: cfg, cl: cl, addr: addr, job: job{source: SourceSyslogTCP, f: f}, queue: queue,
		topic: fmt.Sprintf("abench-kill-%d-%s", run, name),
		dir:   filepath.Join(dir, fmt.Sprintf("kill-%d-%s", run, name))}
	progress := compare.Progress(cfg.Progress)
	fmt.Fprintf(progress, "abench: kill test of %s: %d messages into topic %s\n", name, messages, rn.topic)
	if k.Err = os.MkdirAll(rn.dir, 0o755); k.Err != nil {
		return k
	}
	if k.Err = kadmin.CreateTopic(ctx, cl, rn.topic, cfg.Partitions); k.Err != nil {
		return k
	}
	k.Arrived, k.Records, k.Err = rn.kill(ctx, target, brokerPid, f)
	if k.Err != nil {
		fmt.Fprintf(progress, "abench: kill test of %s: %v\n", name, k.Err)
	} else {
		fmt.Fprintf(progress, "abench: kill test of %s: %d of %d accepted messages arrived, %d records\n", name, k.Arrived, k.Accepted, k.Records)
	}
	return k
}

// kill runs the test (see Kill) and returns the distinct messages of f that
// arrived and the records that carried them.
func (rn *shipRun) kill(ctx context.Context, target string, brokerPid int, f File) (arrived, records int, err error) {
	ctx, cancel := context.WithTimeout(ctx, rn.cfg.Limit)
	defer cancel()
	start := func(logName string) (*proc.Process, func(), error) {
		sh, err := rn.shipper(ctx, target)
		if err != nil {
			return nil, nil, err
		}
		p, err := proc.Start(sh.name, sh.cmd, filepath.Join(rn.dir, logName+"-"+sh.logName))
		if err != nil {
			sh.undo()
			return nil, nil, err
		}
		return p, func() { p.Stop(); sh.undo() }, nil
	}
	p, stop, err := start("first")
	if err != nil {
		return 0, 0, err
	}
	defer func() {
		if stop != nil {
			stop()
		}
	}()
	// One message through first: the shipper is connected to the broker.
	addr := fmt.Sprintf("127.0.0.1:%d", rn.port)
	if err := sendWarmUp(ctx, addr); err != nil {
		return 0, 0, err
	}
	if err := rn.awaitRecords(ctx, 1); err != nil {
		return 0, 0, fmt.Errorf("the warm-up message: %w\n%s", err, p.Tail(20))
	}
	if err := syscall.Kill(brokerPid, syscall.SIGSTOP); err != nil {
		return 0, 0, fmt.Errorf("stopping the broker: %w", err)
	}
	resumed := false
	resume := func() {
		if !resumed {
			resumed = true
			_ = syscall.Kill(brokerPid, syscall.SIGCONT)
		}
	}
	defer resume()
	if err := SendTCP(ctx, addr, f); err != nil {
		return 0, 0, err
	}
	if err := awaitDrained(ctx, rn.port); err != nil {
		return 0, 0, fmt.Errorf("the shipper did not read every message: %w\n%s", err, p.Tail(20))
	}
	select {
	case <-time.After(killSettle):
	case <-ctx.Done():
		return 0, 0, ctx.Err()
	}
	p.Kill()
	stop()
	stop = nil
	resume()
	if _, stop, err = start("restart"); err != nil {
		return 0, 0, err
	}
	return rn.countArrived(ctx, f.Lines)
}

// sendWarmUp sends one message that is not of the workload.
func sendWarmUp(ctx context.Context, addr string) error {
	c, err := dialRetry(ctx, addr)
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.Write([]byte(syslogHeader + "warm-up\n"))
	return err
}

// awaitRecords waits until the run's topic holds n records.
func (rn *shipRun) awaitRecords(ctx context.Context, n int64) error {
	for {
		got, err := endOffsets(ctx, rn.cl, rn.topic, rn.cfg.Partitions)
		if err == nil && got >= n {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d of %d records: %w (last error: %v)", got, n, ctx.Err(), err)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// awaitDrained waits until no TCP connection to or from port (IPv4) has
// bytes queued in the kernel: the sender's are sent, the shipper read
// every byte it was sent.
func awaitDrained(ctx context.Context, port int) error {
	for {
		queued, err := tcpQueued(port)
		if err != nil {
			return err
		}
		if queued == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d bytes still queued: %w", queued, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// tcpQueued sums the send and receive queues of the IPv4 TCP sockets,
// listeners aside, whose local or remote port is port (/proc/net/tcp).
func tcpQueued(port int) (int64, error) {
	f, err := os.Open("/proc/net/tcp")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return parseTCPQueued(bufio.NewScanner(f), port)
}

// parseTCPQueued is tcpQueued on the lines of a /proc/net/tcp.
func parseTCPQueued(sc *bufio.Scanner, port int) (int64, error) {
	const listen = "0A"
	var sum int64
	for sc.Scan() {
		// sl local_address rem_address st tx_queue:rx_queue …
		f := strings.Fields(sc.Text())
		if len(f) < 5 || f[0] == "sl" || f[3] == listen {
			continue
		}
		if hexPort(f[1]) != port && hexPort(f[2]) != port {
			continue
		}
		tx, rx, ok := strings.Cut(f[4], ":")
		t, err1 := strconv.ParseInt(tx, 16, 64)
		r, err2 := strconv.ParseInt(rx, 16, 64)
		if !ok || err1 != nil || err2 != nil {
			return 0, fmt.Errorf("/proc/net/tcp: queues %q", f[4])
		}
		sum += t + r
	}
	return sum, sc.Err()
}

// hexPort is the port of an address of /proc/net/tcp (ADDR:PORT in hex),
// or -1.
func hexPort(a string) int {
	_, p, ok := strings.Cut(a, ":")
	n, err := strconv.ParseUint(p, 16, 16)
	if !ok || err != nil {
		return -1
	}
	return int(n)
}

var seqRe = regexp.MustCompile(`seq=(\d+)`)

// countArrived reads the run's topic from the start until want distinct
// messages of the workload arrived, or none arrived for killStall, and
// returns how many distinct ones did and the records that carried them.
func (rn *shipRun) countArrived(ctx context.Context, want int) (arrived, records int, err error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(rn.addr), kgo.ConsumeTopics(rn.topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		return 0, 0, err
	}
	defer cl.Close()
	seen := make(map[int]bool, want)
	last := time.Now()
	for len(seen) < want && time.Since(last) < killStall {
		pctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		fs := cl.PollFetches(pctx)
		cancel()
		if ctx.Err() != nil {
			return len(seen), records, ctx.Err()
		}
		grew := false
		fs.EachRecord(func(r *kgo.Record) {
			m := seqRe.FindSubmatch(r.Value)
			if m == nil {
				return // the warm-up
			}
			n, err := strconv.Atoi(string(m[1]))
			if err != nil || n >= want {
				return
			}
			records++
			if !seen[n] {
				seen[n], grew = true, true
			}
		})
		if grew {
			last = time.Now()
		}
	}
	return len(seen), records, nil
}

// WriteKills prints the kill tests.
func WriteKills(w io.Writer, kills []Kill) error {
	if len(kills) == 0 {
		return nil
	}
	fmt.Fprintf(w, "\nkill -9 over TCP: the broker stopped (SIGSTOP), %d messages read by the shipper, which is killed (SIGKILL) %v later;\n", kills[0].Accepted, killSettle)
	fmt.Fprintln(w, "the broker resumed, the shipper started again on the same configuration and state; arrived counts each message once.")
	tw := compare.NewTable(w)
	fmt.Fprintf(tw, "shipper\trsyslog queue\taccepted\tarrived\tlost\trecords\t\n")
	for _, k := range kills {
		queue := k.Queue
		if queue == "" {
			queue = "-"
		}
		if k.Err != nil {
			fmt.Fprintf(tw, "%s\t%s\t%d\t-\t-\t-\t\n", k.Target, queue, k.Accepted)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t\n", k.Target, queue, k.Accepted, k.Arrived, k.Lost(), k.Records)
	}
	return tw.Flush()
}
