package agent

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/sluicelogs/sluice/agent/journal"
)

func journalEntryOf(t *testing.T, text string) *journal.Entry {
	t.Helper()
	e, err := journal.NewReader(strings.NewReader(text), 0).Next()
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestJournalEventJSON pins the event of a journal entry byte for byte:
// ECS names, host fields next to host.name, the rest under journald.
func TestJournalEventJSON(t *testing.T) {
	cfg := &InputConfig{ID: "j", Type: "journald", Tags: []string{"t"}}
	in := &input{cfg: cfg, meta: meta{hostName: "h", agentName: "a", agentID: "id", version: "v"}}
	in.tagsJSON = []byte(`,"tags":["t"]`)
	var err error
	if in.tailJSON, in.rootFieldsJSON, err = in.eventTail(); err != nil {
		t.Fatal(err)
	}
	e := journalEntryOf(t, "__CURSOR=s=abc;i=1f;b=0;m=1;t=2;x=3\n__REALTIME_TIMESTAMP=1700000000123456\n__MONOTONIC_TIMESTAMP=9\n"+
		"MESSAGE=hi \"there\"\nPRIORITY=3\nSYSLOG_IDENTIFIER=app\n_PID=12\n_HOSTNAME=box\n_SYSTEMD_UNIT=a.service\n_UID=0\nFOO_BAR=x\n__SEQNUM=5\n\n")
	ev := newJournalEvent(e, time.Time{})
	got := in.encodeJournal(nil, ev, 1<<20)
	want := `{"@timestamp":"2023-11-14T22:13:20.123456Z","message":"hi \"there\"","log":{"syslog":{"appname":"app","priority":3}},` +
		`"input":{"type":"journald","id":"j"},"host":{"name":"h","hostname":"box"},"agent":{"name":"a","type":"sluice-agent","version":"v","id":"id"},"tags":["t"],` +
		`"journald":{"custom":{"foo_bar":"x"}},"process":{"pid":12},"systemd":{"unit":"a.service"},"user":{"id":"0"}}`
	if string(got) != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	if !json.Valid(got) {
		t.Fatal("not JSON")
	}
	if ev.id != "journal-abc-1f" {
		t.Fatalf("_id %q", ev.id)
	}
	if id := journalEventID("no fields"); !strings.HasPrefix(id, "journal-") || id != journalEventID("no fields") {
		t.Fatalf("hashed _id %q", id)
	}

	// A message too large for the record is cut and flagged.
	e = journalEntryOf(t, "__CURSOR=s=a;i=2\nMESSAGE="+strings.Repeat("y", 5000)+"\n\n")
	ev = newJournalEvent(e, time.Time{})
	got = in.encodeJournal(nil, ev, 2000)
	if len(got) > 2000 || !json.Valid(got) || !bytes.Contains(got, []byte(`"flags":["truncated"]`)) {
		t.Fatalf("%d bytes: %.300s", len(got), got)
	}
}

// FuzzJournalEvent: whatever entry journalctl's stream holds, its event
// is one valid JSON object within the record's limit (seeds in
// testdata/fuzz/FuzzJournalEvent).
func FuzzJournalEvent(f *testing.F) {
	f.Add([]byte("__CURSOR=s=a;i=1\nMESSAGE=hi\nPRIORITY=3\n_PID=x\n_HOSTNAME=h\nFOO=1\nfoo=2\n_GID=5\n\n"))
	f.Add([]byte("MESSAGE\n\x03\x00\x00\x00\x00\x00\x00\x00a\xffb\n__REALTIME_TIMESTAMP=99999999999999999999\n\n"))
	cfg := &InputConfig{ID: "j", Type: "journald", Fields: map[string]any{"process": "p"}, FieldsUnderRoot: true}
	in := &input{cfg: cfg, meta: meta{hostName: "h"}}
	in.tailJSON, in.rootFieldsJSON, _ = in.eventTail()
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := journal.NewReader(bytes.NewReader(b), 4096).Next()
		if err != nil {
			return
		}
		ev := newJournalEvent(e, time.Time{})
		got := in.encodeJournal(nil, ev, 1<<20)
		var m map[string]any
		if err := json.Unmarshal(got, &m); err != nil {
			t.Fatalf("%v: %s", err, got)
		}
		if len(ev.tree()) > len(ev.vals) {
			t.Fatal("tree larger than its values")
		}
	})
}
