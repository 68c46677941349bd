package agent_test

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// rotated is one log file rotated by the real logrotate, and its writer.
type rotated struct {
	name       string // the file is <name>.log
	directives string // of its logrotate stanza
	reopen     bool   // the writer opens the file again after a rotation (create)
	path       string
	f          *os.File
	written    int
}

func (r *rotated) open() error {
	if r.f != nil {
		r.f.Close()
	}
	f, err := os.OpenFile(r.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	r.f = f
	return err
}

// write appends n lines (at full speed: far more than the agent takes
// while its broker is paused).
func (r *rotated) write(n int) error {
	w := bufio.NewWriterSize(r.f, 64<<10)
	for range n {
		fmt.Fprintln(w, lineText(r.name, r.written))
		r.written++
	}
	return w.Flush()
}

// TestLogrotateBehind: three files under the fingerprint identity, whose
// globs also match their rotated names, are rotated three times by the
// real logrotate (copytruncate; create; create with compress and
// delaycompress, the .gz files left out by exclude_files) while the agent
// is behind: its broker is paused with SIGSTOP, lines are written, the
// files rotated, more lines written, then the broker resumed. Every line
// arrives exactly once: the copy made by copytruncate continues from the
// offset the agent had reached, the truncated original is read from 0.
func TestLogrotateBehind(t *testing.T) { testLogrotate(t, false) }

// TestLogrotateKillNine is TestLogrotateBehind with a kill -9 of the agent
// after the second rotation, before the broker resumes: every line
// arrives, and the duplicates are the lines in flight at the kill (which
// the paused broker appends when it resumes) or acknowledged but not yet
// in the registry: about a queue's worth, each with the same _id.
func TestLogrotateKillNine(t *testing.T) { testLogrotate(t, true) }

func testLogrotate(t *testing.T, kill bool) {
	const rounds, perRound, queue = 3, 6000, 2048
	logrotate := testpeer.Logrotate(t)
	bin := testpeer.SluiceBinary(t)
	brokers := startBrokerCluster(t, bin, "lr")
	pid := brokers.Servers[0].Pid()
	logs, reg, etc := t.TempDir(), t.TempDir(), t.TempDir()
	files := []*rotated{
		{name: "ct", directives: "copytruncate"},
		{name: "cr", directives: "create", reopen: true},
		{name: "gz", directives: "create\n  compress\n  delaycompress", reopen: true},
	}
	var conf, inputs strings.Builder
	for _, r := range files {
		r.path = filepath.Join(logs, r.name+".log")
		if err := r.open(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.f.Close() })
		fmt.Fprintf(&conf, "%s {\n  rotate 5\n  missingok\n  %s\n}\n", r.path, r.directives)
		fmt.Fprintf(&inputs, `  - id: %s
    paths: [%q]
    exclude_files: ['\.gz$']
    file_identity.fingerprint: ~
    scan_frequency: 100ms
    backoff: {init: 10ms, max: 50ms}
`, r.name, r.path+"*")
	}
	confPath, state := filepath.Join(etc, "logrotate.conf"), filepath.Join(etc, "state")
	if err := os.WriteFile(confPath, []byte(conf.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	text := fmt.Sprintf("inputs:\n%soutput.kafka:\n  hosts: [%q]\n  topic: lr\nqueue.mem.events: %d\nregistry:\n  path: %q\n  flush: 0s\n",
		inputs.String(), brokers.Addr, queue, reg)
	parseConfig(t, text)
	c := consumeLight(t, brokers.Addr, "lr")
	a := startAgentProcess(t, bin, text, reg)

	paused := false
	resume := func() {
		if paused {
			if err := syscall.Kill(pid, syscall.SIGCONT); err != nil {
				t.Fatal(err)
			}
			paused = false
		}
	}
	t.Cleanup(resume)
	want := map[string]int{}
	for round := 1; round <= rounds; round++ {
		if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
			t.Fatal(err)
		}
		paused = true
		for _, r := range files {
			if err := r.write(perRound); err != nil {
				t.Fatal(err)
			}
		}
		testpeer.Output(t, deliveryStall, logrotate, "-f", "-s", state, confPath)
		for _, r := range files {
			if r.reopen {
				if err := r.open(); err != nil {
					t.Fatal(err)
				}
			}
			if err := r.write(perRound / 2); err != nil {
				t.Fatal(err)
			}
			want[r.name] = r.written
		}
		if kill && round == 2 {
			t.Logf("kill -9 of the agent after rotation %d", round)
			a.kill9()
		}
		resume()
		// The next rotation compresses what this one renamed: the agent
		// must have read it by then (as any tailer must).
		awaitDelivered(t, c, want)
	}
	dups, err := tallyIDs(t, c, want)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, n := range want {
		total += n
	}
	t.Logf("%d rotations of %d files, %d lines, %d duplicates", rounds, len(files), total, dups)
	if !kill && dups != 0 {
		t.Fatalf("%d lines delivered twice", dups)
	}
	// In flight at the kill: at most a queue's worth, which the paused
	// broker may still append once resumed; plus what was acknowledged
	// but not yet in the registry.
	if dups > 2*queue {
		t.Fatalf("%d duplicates after a kill -9, more than two queues (%d)", dups, 2*queue)
	}
	if gz, _ := filepath.Glob(filepath.Join(logs, "gz.log.*.gz")); len(gz) == 0 {
		t.Fatalf("logrotate compressed nothing: %v", gz)
	}
}
