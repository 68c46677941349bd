package agent

import (
	"testing"

	"github.com/sluicelogs/sluice/agent/harvester"
	"github.com/sluicelogs/sluice/agent/registry"
)

// TestTrackerDoneWithEventsInFlight: a file's tracker let go of while some
// of its events are still in flight (a harvester stopped by the agent's
// shutdown) still brings their acknowledgements, which arrive during the
// output's drain, to the registry at the last flush; one with nothing in
// flight is forgotten.
func TestTrackerDoneWithEventsInFlight(t *testing.T) {
	reg, err := registry.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ts := newTrackers()
	tr := newTracker(reg, "k", "/logs/app.log", 10, harvester.Fingerprint{}, harvester.Fingerprint{}, "")
	ts.add(tr)
	tok := tr.add(50, harvester.Fingerprint{})
	ts.done(tr) // the harvester stopped; the event is in flight
	tok.ack()   // the drain brings its acknowledgement
	ts.syncAll()
	if e, _ := reg.Get("k"); e.Offset != 50 {
		t.Fatalf("registry offset %d after the drain's acknowledgement, want 50", e.Offset)
	}
	ts.done(tr) // nothing in flight now
	if ts.has("k") {
		t.Fatal("a tracker with nothing in flight is still kept")
	}
}
