package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluicelogs/sluice/bench/compare"
)

func TestBenchSummary(t *testing.T) {
	path := filepath.Join(t.TempDir(), "summary.tsv")
	rows := []compare.Row{
		{Component: "broker", Measure: "produce 100 B acks=1 rec/s, 1 broker", Sluice: 300000, Anchor: "Kafka 3.9", AnchorValue: 100000, Goal: ">=1x"},
		{Component: "e2e", Measure: "line → searchable p99 ms", Sluice: 2500, Goal: "<2000"},
	}
	if err := compare.AppendSummary(path, rows); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runArgs("summary", path)
	if code != 0 {
		t.Fatalf("summary: exit %d, stderr %q", code, errOut)
	}
	for _, want := range []string{"sluice vs its anchors", "produce 100 B acks=1 rec/s, 1 broker", "3.00×", "Kafka 3.9", "≥ 1×", "yes", "< 2000", "NO"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if code, _, _ := runArgs("summary"); code == 0 {
		t.Error("summary without FILE succeeded")
	}
	if code, _, _ := runArgs("summary", filepath.Join(t.TempDir(), "missing.tsv")); code == 0 {
		t.Error("summary of a missing file succeeded")
	}
}

func TestUsage(t *testing.T) {
	if code, out, _ := runArgs("help"); code != 0 || !strings.Contains(out, "sluice-bench coordinator|broker|agent|indexer|e2e") {
		t.Errorf("help: exit %d, output %q", code, out)
	}
	if code, _, errOut := runArgs("nonesuch"); code != 2 || !strings.Contains(errOut, `unknown bench "nonesuch"`) {
		t.Errorf("unknown bench: exit %d, stderr %q", code, errOut)
	}
	for name := range benches() {
		if code, _, errOut := runArgs(name, "-h"); code != 0 || !strings.Contains(errOut, "sluice-bench "+name) {
			t.Errorf("%s -h: exit %d, stderr %q", name, code, errOut)
		}
	}
}

// runArgs runs sluice-bench with args and returns its exit code, stdout and
// stderr.
func runArgs(args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := run(context.Background(), &out, &errOut, args)
	return code, out.String(), errOut.String()
}
