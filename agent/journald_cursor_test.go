package agent

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

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
