package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluicelogs/sluice/internal/benchcmp"
)

func TestBenchSummary(t *testing.T) {
	path := filepath.Join(t.TempDir(), "summary.tsv")
	rows := []benchcmp.Row{
		{Component: "broker", Measure: "produce 100 B acks=1 rec/s, 1 broker", Sluice: 300000, Anchor: "Kafka 3.9", AnchorValue: 100000, Goal: ">=1x"},
		{Component: "e2e", Measure: "line → searchable p99 ms", Sluice: 2500, Goal: "<2000"},
	}
	if err := benchcmp.AppendSummary(path, rows); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runArgs("bench", "summary", path)
	if code != 0 {
		t.Fatalf("bench summary: exit %d, stderr %q", code, errOut)
	}
	for _, want := range []string{"sluice vs its anchors", "produce 100 B acks=1 rec/s, 1 broker", "3.00×", "Kafka 3.9", "≥ 1×", "yes", "< 2000", "NO"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if code, _, _ := runArgs("bench", "summary"); code == 0 {
		t.Error("bench summary without FILE succeeded")
	}
	if code, _, _ := runArgs("bench", "summary", filepath.Join(t.TempDir(), "missing.tsv")); code == 0 {
		t.Error("bench summary of a missing file succeeded")
	}
}
