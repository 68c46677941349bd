package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestUpConfigErrors: `sluice up` refuses a bad sluice.yml or flag before
// starting anything, naming file:line: key (or the flag).
func TestUpConfigErrors(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sluice.yml")
	text := "tail: [/var/log/syslog]\nbroker:\n  listen: 127.0.0.1:19092\n  partitons: 3\n"
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runArgs("up", "-c", path)
	if want := path + ":4: broker.partitons: unknown key"; code != 1 || !strings.Contains(errOut, want) {
		t.Errorf("exit %d, stderr %q; want 1 and %q", code, errOut, want)
	}
	code, _, errOut = runArgs("up", "-c", filepath.Join(t.TempDir(), "missing.yml"), "--tail", "a.log")
	if code != 1 || !strings.Contains(errOut, "missing.yml") {
		t.Errorf("missing -c file: exit %d, stderr %q", code, errOut)
	}
	code, _, errOut = runArgs("up", "--tail", "/var/log/*.log") // no sluice.yml here: defaults
	if code != 1 || !strings.Contains(errOut, "flag --tail: tail[0]: \"/var/log/*.log\": cannot name an input after this glob") {
		t.Errorf("bad --tail: exit %d, stderr %q", code, errOut)
	}
}
