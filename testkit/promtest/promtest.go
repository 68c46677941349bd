// Package promtest reads the Prometheus metrics a component exposes, for
// tests that check what was counted.
package promtest

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// Of is a registry of collectors, to gather them.
func Of(collectors ...prometheus.Collector) prometheus.Gatherer {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors...)
	return reg
}

// Value gathers g and returns the sum, over the series of the
// metric name whose labels include every name/value pair in labels, of
// their values: a counter's or gauge's value, a histogram's or summary's
// sample count. A metric with no matching series is 0; an odd labels list
// or a failed gather fails the test.
func Value(t testing.TB, g prometheus.Gatherer, name string, labels ...string) float64 {
	t.Helper()
	if len(labels)%2 != 0 {
		t.Fatalf("promtest.Value(%s): labels must be name/value pairs, got %q", name, labels)
	}
	families, err := g.Gather()
	if err != nil {
		t.Fatalf("gather metrics: %v", err)
	}
	var sum float64
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	series:
		for _, m := range f.GetMetric() {
			for i := 0; i < len(labels); i += 2 {
				found := false
				for _, l := range m.GetLabel() {
					if l.GetName() == labels[i] && l.GetValue() == labels[i+1] {
						found = true
						break
					}
				}
				if !found {
					continue series
				}
			}
			switch {
			case m.GetCounter() != nil:
				sum += m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				sum += m.GetGauge().GetValue()
			case m.GetHistogram() != nil:
				sum += float64(m.GetHistogram().GetSampleCount())
			case m.GetSummary() != nil:
				sum += float64(m.GetSummary().GetSampleCount())
			case m.GetUntyped() != nil:
				sum += m.GetUntyped().GetValue()
			}
		}
	}
	return sum
}
