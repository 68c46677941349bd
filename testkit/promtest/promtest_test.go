package promtest

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func TestValue(t *testing.T) {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "c_total", Help: "h"}, []string{"a", "b"})
	c.WithLabelValues("x", "1").Add(2)
	c.WithLabelValues("x", "2").Add(3)
	c.WithLabelValues("y", "1").Add(5)
	h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "h_seconds", Help: "h"})
	h.Observe(1)
	h.Observe(2)
	g := Of(c, h)
	for _, tc := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"c_total", nil, 10},
		{"c_total", []string{"a", "x"}, 5},
		{"c_total", []string{"a", "x", "b", "2"}, 3},
		{"c_total", []string{"a", "z"}, 0},
		{"h_seconds", nil, 2},
		{"missing", nil, 0},
	} {
		if got := Value(t, g, tc.name, tc.labels...); got != tc.want {
			t.Errorf("Value(%s, %q) = %v, want %v", tc.name, tc.labels, got, tc.want)
		}
	}
}
