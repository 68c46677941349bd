package agent

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// TestSluiceShipsEveryLine runs the sluice side only on a tiny file against
// a coordinator and broker started as processes, and checks that every line
// arrived and what the table holds, not how fast anything was.
func TestSluiceShipsEveryLine(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	f := File{Size: 100, Lines: 2000}
	cfg := Config{
		Targets: []string{TargetSluice},
		Files:   []File{f},
		Limit:   30 * time.Second,
		Sluice:  testpeer.SluiceBinary(t),
		Dir:     t.TempDir(),
	}
	rep, err := Compare(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	results := rep.Results
	if len(results) != 1 {
		t.Fatalf("%d results, want 1", len(results))
	}
	r := results[0]
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	if r.Arrived != int64(f.Lines) || r.Elapsed <= 0 {
		t.Errorf("%d of %d lines arrived in %v", r.Arrived, f.Lines, r.Elapsed)
	}
	var out bytes.Buffer
	if err := WriteTable(&out, results); err != nil {
		t.Fatal(err)
	}
	t.Logf("table:\n%s", out.String())
	if !strings.Contains(out.String(), f.Name()) || !strings.Contains(out.String(), "rsyslog lines/s") {
		t.Errorf("table lacks the row or the header:\n%s", out.String())
	}
}

func TestWriteLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.log")
	f := File{Size: 37, Lines: 50}
	if err := WriteLines(path, f); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(b), "\n")
	if int64(len(b)) != f.Bytes() || len(lines) != f.Lines+1 || lines[f.Lines] != "" {
		t.Fatalf("%d bytes, %d lines", len(b), len(lines)-1)
	}
	for i, l := range lines[:f.Lines] {
		if len(l) != f.Size || !strings.HasPrefix(l, "seq=") {
			t.Fatalf("line %d: %q", i, l)
		}
	}
}

// TestSourcesShipEveryMessage runs both shippers on a few journal entries
// and syslog messages over TCP and UDP, and the idle agent, and checks
// that every message arrived and what the table and the summary hold,
// not how fast anything was. The rsyslog journald run links this
// machine's journal directory to the bench's journal for its duration.
func TestSourcesShipEveryMessage(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cfg := Config{
		Targets:  []string{TargetSluice, TargetRsyslog},
		Sources:  []string{SourceJournald, SourceSyslogTCP, SourceSyslogUDP},
		Messages: File{Size: 100, Lines: 1000},
		UDPRate:  2000,
		Idle:     100 * time.Millisecond,
		Kill:     2000,
		Limit:    30 * time.Second,
		Sluice:   testpeer.SluiceBinary(t),
		Rsyslogd: testpeer.Rsyslogd(t),
		Dir:      t.TempDir(),
	}
	rep, err := Compare(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	// rsyslog runs the syslog sources once per queue (memory, disk).
	if len(rep.Results) != 8 {
		t.Fatalf("%d results, want 8", len(rep.Results))
	}
	for _, r := range rep.Results {
		if r.Err != nil {
			t.Errorf("%s %s %s: %v", r.Target, r.Queue, r.Source, r.Err)
		} else if r.Arrived != int64(cfg.Messages.Lines) || r.CPU < 0 {
			t.Errorf("%s %s %s: %d of %d arrived, CPU %v", r.Target, r.Queue, r.Source, r.Arrived, cfg.Messages.Lines, r.CPU)
		}
	}
	// The kill test's counts, not what each shipper lost: that sluice
	// loses nothing is agent's TestSyslogKillNine, with waits on the
	// agent's progress rather than killSettle.
	if len(rep.Kills) != 3 {
		t.Fatalf("%d kill tests, want 3 (sluice, rsyslog memory and disk)", len(rep.Kills))
	}
	for _, k := range rep.Kills {
		if k.Err != nil || k.Accepted != cfg.Kill || k.Arrived > k.Accepted || k.Records < k.Arrived {
			t.Errorf("kill test of %s %s: %+v", k.Target, k.Queue, k)
		}
	}
	if id := rep.Idle; id == nil || id.Err != nil || id.RSS <= 0 || id.HWM < id.RSS || id.Child != "" && id.ChildRSS <= 0 {
		t.Errorf("idle agent: %+v", rep.Idle)
	}
	var out bytes.Buffer
	if err := WriteTable(&out, rep.Results); err != nil {
		t.Fatal(err)
	}
	if err := WriteKills(&out, rep.Kills); err != nil {
		t.Fatal(err)
	}
	WriteIdle(&out, rep.Idle)
	t.Logf("table:\n%s", out.String())
	for _, want := range []string{"journald", "syslog-tcp", "syslog-udp", "rsyslog (memory queue) syslog-udp: 1000 of 1000 messages arrived",
		"rsyslog (disk queue) syslog-udp: 1000 of 1000 messages arrived",
		"kill -9 over TCP", "VmRSS"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q", want)
		}
	}
}

func TestParseTCPQueued(t *testing.T) {
	// Port 5514 (0x158A) listening, a connection to it from 40000
	// (0x9C40) with 0x20 bytes unread on the shipper's side and 0x10 unsent
	// on the sender's, and a connection of other ports.
	text := `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:158A 00000000:0000 0A 00000000:00000005 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0
   1: 0100007F:158A 0100007F:9C40 01 00000000:00000020 00:00000000 00000000     0        0 2 1 0000000000000000 20 4 30 10 -1
   2: 0100007F:9C40 0100007F:158A 01 00000010:00000000 00:00000000 00000000     0        0 3 1 0000000000000000 20 4 30 10 -1
   3: 0100007F:1F90 0100007F:9C41 01 00000100:00000100 00:00000000 00000000     0        0 4 1 0000000000000000 20 4 30 10 -1
`
	got, err := parseTCPQueued(bufio.NewScanner(strings.NewReader(text)), 5514)
	if err != nil || got != 0x30 {
		t.Errorf("parseTCPQueued: %d, %v; want 48", got, err)
	}
	if _, err := parseTCPQueued(bufio.NewScanner(strings.NewReader("   1: 0100007F:158A 0100007F:9C40 01 zz:00\n")), 5514); err == nil {
		t.Error("parseTCPQueued took queues that are not hex")
	}
}

func TestTreeCPU(t *testing.T) {
	self, err := CPUTime(os.Getpid())
	if err != nil || self < 0 {
		t.Fatalf("CPUTime: %v, %v", self, err)
	}
	// A child that spins until killed: the tree's time holds its own.
	child := exec.Command("sh", "-c", "while :; do :; done")
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { child.Process.Kill(); child.Wait() }()
	var spun time.Duration
	await.Eventually(t, time.Minute, 10*time.Millisecond, func() error {
		if spun, err = CPUTime(child.Process.Pid); err != nil || spun == 0 {
			return fmt.Errorf("the child's CPU time is %v (%v)", spun, err)
		}
		return nil
	})
	if !slices.Contains(Children(os.Getpid()), child.Process.Pid) {
		t.Fatalf("children of %d: %v, not the child %d", os.Getpid(), Children(os.Getpid()), child.Process.Pid)
	}
	self, _ = CPUTime(os.Getpid())
	tree, err := TreeCPU(os.Getpid())
	if err != nil || tree < self+spun {
		t.Errorf("TreeCPU %v (%v), want at least the process's %v and the child's %v", tree, err, self, spun)
	}
	// Once reaped, the child's time stays in the tree, as cutime.
	child.Process.Kill()
	child.Wait()
	if after, err := TreeCPU(os.Getpid()); err != nil || after < self+spun {
		t.Errorf("TreeCPU after the child was reaped %v (%v), want at least %v", after, err, self+spun)
	}
}
