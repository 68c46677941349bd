package agent_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/testkit/journaltest"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// TestJournaldKillNine kill -9s an agent process twice while it reads
// 30,000 journal entries: every entry arrives, and every copy of an entry
// carries the same _id (the indexer keeps one document of each).
func TestJournaldKillNine(t *testing.T) {
	requireJournalTools(t)
	const per, batches = 10000, 3
	bin := testpeer.SluiceBinary(t)
	addr := startBrokerProcesses(t, bin, "jkill")
	dir, reg := t.TempDir(), t.TempDir()
	text := journaldYAML(reg, addr, "jkill", journaldInput("j", dir, ""))
	c := consumeLight(t, addr, "jkill")
	a := startAgentProcess(t, bin, text, reg)
	for k := range batches {
		writeJournal(t, dir, "x.journal", "jk", k*per, (k+1)*per)
		if k == batches-1 {
			break
		}
		target := k*per + per/3
		await.Progress(t, deliveryStall, deliveryCap, 5*time.Millisecond, func() (int64, error) {
			if got := c.distinct(); got < target {
				return int64(got), fmt.Errorf("%d of %d entries before kill %d", got, target, k+1)
			}
			return int64(target), nil
		})
		t.Logf("kill -9 number %d after %d distinct entries arrived", k+1, c.distinct())
		a.kill9()
	}
	files := map[string]int{"jk": per * batches}
	awaitDelivered(t, c, files)
	dups, err := tallyIDs(t, c, files) // also: one _id per entry, none shared
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d entries delivered; %d duplicates (same _id) after 2 kill -9", per*batches, dups)
	// A kill sends again at most what was in flight or acknowledged but
	// not yet in the registry: about a queue's worth (queue.mem.events
	// 2048) per kill.
	if limit := 2 * 2048; dups > limit {
		t.Fatalf("%d duplicates, more than %d", dups, limit)
	}
}

// TestJournaldFilters: include_matches, units and syslog_identifiers
// select entries as journalctl does; seek: tail reads only entries
// written after the input started; a journalctl that cannot be started is
// an error logged again and again while the agent's other inputs go on.
func TestJournaldFilters(t *testing.T) {
	requireJournalTools(t)
	b := startBroker(t)
	dir, reg := t.TempDir(), t.TempDir()
	for _, name := range []string{"ua", "ub", "uc", "old"} {
		writeJournal(t, dir, "x.journal", name, 0, 20)
	}
	inputs := strings.Join([]string{
		journaldInput("a", dir, "    include_matches.match: [_SYSTEMD_UNIT=ua.service]\n    fields: {t: ja}\n"),
		journaldInput("b", dir, "    units: [ub.service]\n    fields: {t: jb}\n"),
		journaldInput("c", dir, "    syslog_identifiers: [uc]\n    fields: {t: jc}\n"),
		journaldInput("tail", dir, "    seek: tail\n    fields: {t: jtail}\n"),
		journaldInput("broken", dir, "    reader: journalctl\n    journalctl: /nonexistent/journalctl\n    fields: {t: jbroken}\n"),
	}, "\n")
	text := strings.Replace(journaldYAML(reg, b.Addr(), "%{[fields.t]}", inputs), "\n\n", "\n", -1)
	cs := map[string]*consumer{}
	for _, topic := range []string{"ja", "jb", "jc", "jtail"} {
		cs[topic] = consume(t, b.Addr(), topic)
	}
	a := startAgent(t, parseConfig(t, text))
	await.Eventually(t, time.Minute, 20*time.Millisecond, func() error {
		for topic, want := range map[string]int{"ja": 20, "jb": 20, "jc": 20} {
			if n := cs[topic].distinct(); n < want {
				return fmt.Errorf("%s has %d of %d", topic, n, want)
			}
		}
		return nil
	})
	// seek: tail: the input has started once something written now
	// arrives; write until then.
	k := 0
	await.Eventually(t, time.Minute, 100*time.Millisecond, func() error {
		if cs["jtail"].distinct() > 0 {
			return nil
		}
		writeJournal(t, dir, "x.journal", fmt.Sprintf("new%d", k), 0, 1)
		k++
		return fmt.Errorf("the seek: tail input has shipped none of %d new entries", k)
	})
	a.stop()
	for topic, want := range map[string]string{"ja": "ua", "jb": "ub", "jc": "uc", "jtail": "new"} {
		awaitAll(t, cs[topic], b.Addr(), topic)
		events, _ := cs[topic].snapshot()
		for _, e := range events {
			if !strings.HasPrefix(e.Message, want) {
				t.Errorf("topic %s has %q, want only %s entries", topic, e.Message, want)
			}
		}
	}
	if n := topicRecords(t, b.Addr(), "jbroken"); n != 0 {
		t.Fatalf("%d records from the broken input", n)
	}
}

// TestJournaldChildRestarts kills the input's journalctl (reader:
// journalctl): the input starts it again after the last entry it read, so
// nothing is lost or sent twice.
func TestJournaldChildRestarts(t *testing.T) {
	addr, dir, reg, c := journaldStart(t, "jrestart", "jr", 20, false)
	a := startAgent(t, parseConfig(t, journaldYAML(reg, addr, "jrestart", journaldInput("j", dir, "    reader: journalctl\n"))))
	awaitDelivered(t, c, map[string]int{"jr": 20})
	pid := childWithArg(t, "--directory="+dir)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	writeJournal(t, dir, "x.journal", "jr", 20, 40)
	awaitDelivered(t, c, map[string]int{"jr": 40})
	if again := childWithArg(t, "--directory="+dir); again == pid {
		t.Fatalf("journalctl %d still runs", pid)
	}
	a.stop()
	requireOnce(t, c, addr, "jrestart", map[string]int{"jr": 40})
}

// childWithArg returns the pid of this test process's child whose
// command line has arg, waiting for one to appear.
func childWithArg(t *testing.T, arg string) int {
	t.Helper()
	var pid int
	await.Eventually(t, time.Minute, 20*time.Millisecond, func() error {
		if pids := childrenWithArg(arg); len(pids) > 0 {
			pid = pids[0]
			return nil
		}
		return fmt.Errorf("no child of %d runs with %s", os.Getpid(), arg)
	})
	return pid
}

// childrenWithArg returns the pids of this test process's children whose
// command line has arg.
func childrenWithArg(arg string) []int {
	var pids []int
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		stat, err := os.ReadFile(filepath.Join(d, "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid …
		rest := string(stat[bytes.LastIndexByte(stat, ')')+2:])
		var state string
		var ppid int
		if _, err := fmt.Sscan(rest, &state, &ppid); err != nil || ppid != os.Getpid() || state == "Z" {
			continue
		}
		cmdline, _ := os.ReadFile(filepath.Join(d, "cmdline"))
		for _, a := range bytes.Split(cmdline, []byte{0}) {
			if string(a) == arg {
				pid, _ := strconv.Atoi(filepath.Base(d))
				pids = append(pids, pid)
			}
		}
	}
	return pids
}

// TestJournaldFallsBack: a journal file with an incompatible flag the
// reader does not read natively (XZ) is read through journalctl.
func TestJournaldFallsBack(t *testing.T) {
	requireJournalTools(t)
	addr := startBroker(t).Addr()
	dir, reg := t.TempDir(), t.TempDir()
	writeJournal(t, dir, "x.journal", "jf", 0, 20)
	f, err := os.OpenFile(filepath.Join(dir, "x.journal"), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	var flags [1]byte
	if _, err := f.ReadAt(flags[:], 12); err != nil {
		t.Fatal(err)
	}
	flags[0] |= 1 // XZ: journalctl reads it (no object is compressed so)
	if _, err := f.WriteAt(flags[:], 12); err != nil {
		t.Fatal(err)
	}
	f.Close()
	c := consume(t, addr, "jfall")
	a := startAgent(t, parseConfig(t, journaldYAML(reg, addr, "jfall", journaldInput("j", dir, ""))))
	awaitDelivered(t, c, map[string]int{"jf": 20})
	childWithArg(t, "--directory="+dir)
	a.stop()
	requireOnce(t, c, addr, "jfall", map[string]int{"jf": 20})
}

// TestJournaldBinaryFields: a multi-line message and a value that is not
// UTF-8 (which journalctl writes in the export format's binary form)
// arrive whole, the invalid bytes replaced by U+FFFD.
func TestJournaldBinaryFields(t *testing.T) {
	requireJournalTools(t)
	b := startBroker(t)
	dir, reg := t.TempDir(), t.TempDir()
	var in bytes.Buffer
	binary := func(name, value string) {
		in.WriteString(name + "\n")
		var size [8]byte
		for i := range size {
			size[i] = byte(uint64(len(value)) >> (8 * i))
		}
		in.Write(size[:])
		in.WriteString(value + "\n")
	}
	fmt.Fprintf(&in, "__REALTIME_TIMESTAMP=%d\n__MONOTONIC_TIMESTAMP=1\n_BOOT_ID=0123456789abcdef0123456789abcdef\n", time.Now().UnixMicro())
	binary("MESSAGE", "jb-0000000 first line\nsecond line\ttab")
	binary("RAW", "a\xffb")
	in.WriteString("\n")
	if err := journaltest.Write(context.Background(), filepath.Join(dir, "x.journal"), &in); err != nil {
		t.Fatal(err)
	}
	c := consume(t, b.Addr(), "jbin")
	c.mu.Lock()
	c.raw = true
	c.mu.Unlock()
	startAgent(t, parseConfig(t, journaldYAML(reg, b.Addr(), "jbin", journaldInput("j", dir, ""))))
	awaitDelivered(t, c, map[string]int{"jb": 1})
	events, _ := c.snapshot()
	e := events[0]
	if e.Message != "jb-0000000 first line\nsecond line\ttab" {
		t.Fatalf("message %q", e.Message)
	}
	if raw, _ := dig(e.Raw, "journald.custom.raw"); raw != "a\uFFFDb" {
		t.Fatalf("journald.custom.raw = %q", raw)
	}
}

// TestJournaldCursorAfterVacuum: the file that held the registry's cursor
// is gone (vacuumed) when the agent starts again: it reads the entries of
// the journal files there are now, once.
func TestJournaldCursorAfterVacuum(t *testing.T) {
	addr, dir, reg, c := journaldStart(t, "jvacuum", "jv", 10, false)
	text := journaldYAML(reg, addr, "jvacuum", journaldInput("j", dir, ""))
	a := startAgent(t, parseConfig(t, text))
	awaitDelivered(t, c, map[string]int{"jv": 10})
	a.stop()
	if err := os.Remove(filepath.Join(dir, "x.journal")); err != nil {
		t.Fatal(err)
	}
	writeJournal(t, dir, "y.journal", "jv", 10, 20)
	a = startAgent(t, parseConfig(t, text))
	awaitDelivered(t, c, map[string]int{"jv": 20})
	a.stop()
	requireOnce(t, c, addr, "jvacuum", map[string]int{"jv": 20})
}
