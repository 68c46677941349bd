package agent

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sluicelogs/sluice/agent/registry"
)

// TestCursorTracker: acknowledgements in any order advance the recorded
// cursor only over a prefix of acknowledged entries.
func TestCursorTracker(t *testing.T) {
	reg, err := registry.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	kicks := 0
	ct := newCursorTracker(reg, "j/journald", "/d", "c0", func() { kicks++ })
	toks := []cursorToken{ct.add("c1"), ct.add("c2"), ct.add("c3"), ct.add("c4")}
	cursor := func() string {
		e, _ := reg.Get("j/journald")
		return e.Cursor
	}
	for _, step := range []struct {
		ack  int
		want string
	}{{2, ""}, {1, ""}, {0, "c3"}, {3, "c4"}} {
		toks[step.ack].ack()
		if got := cursor(); got != step.want {
			t.Fatalf("after acking entry %d: cursor %q, want %q", step.ack+1, got, step.want)
		}
	}
	if ct.inFlight() != 0 || kicks != 2 {
		t.Fatalf("in flight %d, kicks %d", ct.inFlight(), kicks)
	}
	toks[1].ack() // twice: nothing changes
	if cursor() != "c4" {
		t.Fatal("a second ack moved the cursor")
	}
}

// TestStderrLog: journalctl's standard error is logged a line at a time,
// each line cut at stderrLineMax, and the last line names the exit.
func TestStderrLog(t *testing.T) {
	var logged bytes.Buffer
	w := &stderrLog{log: slog.New(slog.NewTextHandler(&logged, nil))}
	w.Write([]byte("Journal file x is truncated, ignoring file.\nsecond "))
	w.Write([]byte(strings.Repeat("y", 3000) + "\nFailed to open z\n"))
	if got := w.lastLine(); got != "Failed to open z" {
		t.Fatalf("last line %q", got)
	}
	if n := strings.Count(logged.String(), "journalctl says"); n != 3 {
		t.Fatalf("%d lines logged:\n%s", n, logged.String())
	}
	if strings.Contains(logged.String(), strings.Repeat("y", stderrLineMax)) {
		t.Fatal("a long line was not cut")
	}
}

// TestCursorRecordAcks: a journal entry's record made by the slab is
// acknowledged through the producer's one promise (output.done) into the
// cursor tracker, and a failed one is not.
func TestCursorRecordAcks(t *testing.T) {
	reg, err := registry.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ct := newCursorTracker(reg, "j/journald", "/d", "", nil)
	o := &output{metrics: newMetrics(prometheus.NewRegistry()), log: slog.New(slog.DiscardHandler)}
	s := slab{free: newFreeList()}
	r1 := s.cursorRecord(context.Background(), ct.add("c1"))
	r2 := s.cursorRecord(context.Background(), ct.add("c2"))
	r3 := s.cursorRecord(context.Background(), ct.add("c3"))
	o.done(r1, nil)
	o.done(r2, errors.New("broker unreachable")) // not acknowledged: read again after a restart
	o.done(r3, nil)
	// c3 is acknowledged but waits behind c2 in the window.
	if e, _ := reg.Get("j/journald"); e.Cursor != "c1" || ct.inFlight() != 2 {
		t.Fatalf("cursor %q, %d in flight; want c1, and c2 and c3 in flight", e.Cursor, ct.inFlight())
	}
}
