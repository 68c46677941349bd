package agent

import (
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
