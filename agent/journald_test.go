package agent_test

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/testkit/journaltest"
)

// requireJournalTools fails (never skips) when the journal tools are
// missing.
func requireJournalTools(t *testing.T) {
	t.Helper()
	if err := journaltest.Tools(); err != nil {
		t.Fatal(err)
	}
}

// journalEntry is MESSAGE lineText(name, i) with fields that vary with i,
// and extra fields.
func journalEntry(name string, i int, extra ...string) []byte {
	var b bytes.Buffer
	// Distinct times (and monotonic times): journalctl takes entries of
	// two files with the same boot id, monotonic time and content as one.
	fmt.Fprintf(&b, "__REALTIME_TIMESTAMP=%d\n__MONOTONIC_TIMESTAMP=%d\n", time.Now().UnixMicro(), time.Now().UnixNano()/1000)
	fmt.Fprintf(&b, "_BOOT_ID=0123456789abcdef0123456789abcdef\n_HOSTNAME=journalhost\n")
	fmt.Fprintf(&b, "MESSAGE=%s\nPRIORITY=%d\nSYSLOG_FACILITY=3\nSYSLOG_IDENTIFIER=%s\n_PID=%d\n_UID=0\n", lineText(name, i), i%8, name, 1000+i)
	fmt.Fprintf(&b, "_COMM=%s\n_EXE=/usr/bin/%s\n_CMDLINE=/usr/bin/%s --flag\n_TRANSPORT=journal\n", name, name, name)
	fmt.Fprintf(&b, "_SYSTEMD_UNIT=%s.service\n_SYSTEMD_SLICE=system.slice\n_SYSTEMD_CGROUP=/system.slice/%s.service\n", name, name)
	fmt.Fprintf(&b, "_SYSTEMD_INVOCATION_ID=0123456789abcdef0123456789abcdef\nMY_FIELD=custom %d\n", i)
	for _, e := range extra {
		b.WriteString(e + "\n")
	}
	b.WriteString("\n")
	return b.Bytes()
}

// writeJournal appends entries from..to-1 of name to the journal file
// dir/file with systemd-journal-remote.
func writeJournal(t *testing.T, dir, file, name string, from, to int) {
	t.Helper()
	var in bytes.Buffer
	for i := from; i < to; i++ {
		in.Write(journalEntry(name, i))
	}
	if err := journaltest.Write(context.Background(), filepath.Join(dir, file), &in); err != nil {
		t.Fatal(err)
	}
}

// journaldYAML is an agent config with journald inputs (inputs is the
// list's text).
func journaldYAML(regDir, addr, topic, inputs string) string {
	return fmt.Sprintf(`inputs:
%s
output.kafka:
  hosts: [%q]
  topic: %q
queue.mem.events: 2048
registry:
  path: %q
  flush: 0s
`, inputs, addr, topic, regDir)
}

func journaldInput(id, dir, extra string) string {
	return fmt.Sprintf(`  - id: %s
    type: journald
    directory: %q
    backoff: {init: 10ms, max: 200ms}
%s`, id, dir, extra)
}

// topicRecords is the number of records in topic (the sum of its
// partitions' end offsets).
func topicRecords(t *testing.T, addr, topic string) int64 {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ends, err := kadm.NewClient(cl).ListEndOffsets(context.Background(), topic)
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	ends.Each(func(o kadm.ListedOffset) { n += o.Offset })
	return n
}

// awaitAll waits until the consumer read every record of topic.
func awaitAll(t *testing.T, c *consumer, addr, topic string) {
	t.Helper()
	await.Eventually(t, time.Minute, 50*time.Millisecond, func() error {
		want := topicRecords(t, addr, topic)
		if got := int64(c.count()); got != want {
			return fmt.Errorf("consumed %d of %d records", got, want)
		}
		return nil
	})
}

// journaldStart starts a broker, writes entries 0..n-1 of name to
// dir/x.journal, and starts a consumer of topic; with raw, it keeps each
// event decoded whole.
func journaldStart(t *testing.T, topic, name string, n int, raw bool) (addr, dir, reg string, c *consumer) {
	t.Helper()
	requireJournalTools(t)
	addr = startBroker(t).Addr()
	dir, reg = t.TempDir(), t.TempDir()
	writeJournal(t, dir, "x.journal", name, 0, n)
	c = consume(t, addr, topic)
	c.mu.Lock()
	c.raw = raw
	c.mu.Unlock()
	return addr, dir, reg, c
}

// requireOnce checks, once the agent stopped, that every entry of files
// arrived exactly once.
func requireOnce(t *testing.T, c *consumer, addr, topic string, files map[string]int) {
	t.Helper()
	awaitAll(t, c, addr, topic)
	if dups, err := tallyIDs(t, c, files); err != nil || dups != 0 {
		t.Fatalf("%d duplicates, %v", dups, err)
	}
}

// TestJournaldFollows reads real journal files: every entry once with
// Filebeat's fields; entries appended to the file, and a new file in the
// folder, while the input follows; after a restart (seek: cursor) only
// what is new; with seek: head everything again under the same _ids.
func TestJournaldFollows(t *testing.T) {
	addr, dir, reg, c := journaldStart(t, "journal", "jd", 50, true)
	text := journaldYAML(reg, addr, "journal", journaldInput("j", dir, "    tags: [sys]\n    fields: {env: test}\n"))
	a := startAgent(t, parseConfig(t, text))
	awaitDelivered(t, c, map[string]int{"jd": 50})

	writeJournal(t, dir, "x.journal", "jd", 50, 80) // appended to the file being followed
	awaitDelivered(t, c, map[string]int{"jd": 80})
	writeJournal(t, dir, "y.journal", "jd", 80, 100) // a new file in the folder
	awaitDelivered(t, c, map[string]int{"jd": 100})
	if pids := childrenWithArg("--directory=" + dir); len(pids) > 0 {
		t.Fatalf("journalctl %v runs: the files were not read natively", pids)
	}
	a.stop()

	a = startAgent(t, parseConfig(t, text)) // seek: cursor: goes on after the registry's cursor
	writeJournal(t, dir, "x.journal", "jd", 100, 110)
	awaitDelivered(t, c, map[string]int{"jd": 110})
	a.stop()
	requireOnce(t, c, addr, "journal", map[string]int{"jd": 110})

	events, _ := c.snapshot()
	var e map[string]any
	for _, ev := range events {
		if idOf(ev.Message) == idOf(lineText("jd", 7)) {
			e = ev.Raw
		}
	}
	want := map[string]any{
		"message": lineText("jd", 7), "log.syslog.priority": 7.0, "log.syslog.facility.code": 3.0, "log.syslog.appname": "jd",
		"process.pid": 1007.0, "process.name": "jd", "process.executable": "/usr/bin/jd", "process.command_line": "/usr/bin/jd --flag",
		"user.id": "0", "systemd.unit": "jd.service", "systemd.slice": "system.slice", "systemd.transport": "journal",
		"systemd.cgroup": "/system.slice/jd.service", "systemd.invocation_id": "0123456789abcdef0123456789abcdef",
		"host.hostname": "journalhost", "host.boot_id": "0123456789abcdef0123456789abcdef", "journald.custom.my_field": "custom 7",
		"input.type": "journald", "input.id": "j", "fields.env": "test", "tags": []any{"sys"},
	}
	for k, v := range want {
		got, _ := dig(e, k)
		if fmt.Sprint(got) != fmt.Sprint(v) {
			t.Errorf("%s = %v, want %v (event %v)", k, got, v, e)
		}
	}
	if h, _ := dig(e, "host.name"); h == nil || h == "" {
		t.Errorf("no host.name: %v", e)
	}
	if at, _ := e["@timestamp"].(string); !strings.HasPrefix(at, time.Now().UTC().Format("2006-")) {
		t.Errorf("@timestamp %q", at)
	}

	// seek: head ignores the cursor: every entry again, with its _id.
	before := c.count()
	a = startAgent(t, parseConfig(t, strings.Replace(text, "type: journald", "type: journald\n    seek: head", 1)))
	await.Eventually(t, time.Minute, 50*time.Millisecond, func() error {
		if n := c.count(); n < before+110 {
			return fmt.Errorf("%d of %d events again", n-before, 110)
		}
		return nil
	})
	a.stop()
	if _, err := tallyIDs(t, c, map[string]int{"jd": 110}); err != nil { // also checks the _ids
		t.Fatal(err)
	}
}

// dig returns the value at a dotted path of a decoded event.
func dig(m map[string]any, path string) (any, bool) {
	var cur any = m
	for _, k := range strings.Split(path, ".") {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		cur = mm[k]
	}
	return cur, cur != nil
}
