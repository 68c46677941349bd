package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func runArgs(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(context.Background(), &env{stdout: &out, stderr: &errb}, args)
	return code, out.String(), errb.String()
}

func TestDispatch(t *testing.T) {
	if code, out, _ := runArgs("version"); code != 0 || out != "sluice dev\n" {
		t.Fatalf("version: %d %q", code, out)
	}
	if code, out, _ := runArgs("help"); code != 0 || !strings.Contains(out, "version") {
		t.Fatalf("help: %d %q", code, out)
	}
	if code, _, errOut := runArgs("nosuch"); code != 2 || !strings.Contains(errOut, `unknown command "nosuch"`) {
		t.Fatalf("unknown command: %d %q", code, errOut)
	}
	if code, _, _ := runArgs(); code != 2 {
		t.Fatalf("no command: exit %d, want 2", code)
	}
}

// TestBenchMoved: the benches are bin/sluice-bench now; `sluice bench`
// only says so, and help does not list it.
func TestBenchMoved(t *testing.T) {
	if code, _, errOut := runArgs("bench", "broker"); code != 2 || !strings.Contains(errOut, "sluice-bench") || strings.Count(errOut, "\n") != 1 {
		t.Fatalf("bench: exit %d, stderr %q; want 2 and one line naming sluice-bench", code, errOut)
	}
	if _, out, _ := runArgs("help"); strings.Contains(out, "bench") {
		t.Fatalf("help lists bench:\n%s", out)
	}
}
