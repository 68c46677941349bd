package testpeer

import "testing"

// TestWithoutZkCliEvents: zkCli.sh's watcher messages are removed wherever
// they fell — between lines, or cutting a line of the command's output in
// two (as seen: "[" … event … "m100]").
func TestWithoutZkCliEvents(t *testing.T) {
	for in, want := range map[string]string{
		"Connecting to x\n\nWATCHER::\n[\nWatchedEvent state:SyncConnected type:None path:null\nm100]\n": "Connecting to x\n[m100]\n",
		"Connecting to x\n\nWATCHER::\n\nWatchedEvent state:SyncConnected type:None path:null\n120\n":    "Connecting to x\n120\n",
		"Connecting to x\n120\n":                               "Connecting to x\n120\n",
		"a\n\nWatchedEvent state:Closed type:None path:null\n": "a\n",
		"WATCHER:: is data\n":                                  "WATCHER:: is data\n",
	} {
		if got := WithoutZkCliEvents(in); got != want {
			t.Errorf("WithoutZkCliEvents(%q) = %q, want %q", in, got, want)
		}
	}
}
