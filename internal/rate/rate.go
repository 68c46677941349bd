// Package rate measures a rate as Kafka's quotas do (its SampledStat and
// Rate): the values recorded in the live samples over the time they span.
//
// A rate keeps num samples, each window long. A value is added to the
// newest sample; once that sample started window ago or more, the next
// value starts a new one in place of the oldest. A sample that started
// num windows ago or more is obsolete: it is dropped when the rate is
// measured. The rate is the sum of the live samples divided by the time
// since the oldest of them started, plus, while fewer than num-1 whole
// windows have passed since then, the windows missing to num-1: a quiet
// rate is thus measured over about num-1 windows, so that a burst of up
// to that many windows' worth of the limit passes at once.
//
// Its users are the broker's connection creation quotas (KIP-612) and
// replication quotas (package broker/replquota).
package rate

import "time"

// Sampled is a rate over num samples of a window each. It is not safe for
// concurrent use: its owner locks around it.
type Sampled struct {
	window  time.Duration
	samples []sample // a ring; cur is the newest
	cur     int
}

type sample struct {
	start time.Time // zero: unused
	value float64
}

// New returns a rate over num samples (at least 1) of window each.
func New(num int, window time.Duration) *Sampled {
	return &Sampled{window: window, samples: make([]sample, max(num, 1))}
}

// Record adds v at now.
func (s *Sampled) Record(now time.Time, v float64) {
	cur := &s.samples[s.cur]
	if cur.start.IsZero() || now.Sub(cur.start) >= s.window {
		s.cur = (s.cur + 1) % len(s.samples)
		cur = &s.samples[s.cur]
		*cur = sample{start: now}
	}
	cur.value += v
}

// Measure returns the rate per second at now and the span it is measured
// over (Kafka's window size, on which its throttle times are based).
func (s *Sampled) Measure(now time.Time) (perSecond float64, span time.Duration) {
	n := len(s.samples)
	total, oldest := 0.0, now
	for i := range s.samples {
		o := &s.samples[i]
		if o.start.IsZero() {
			continue
		}
		if now.Sub(o.start) >= time.Duration(n)*s.window { // obsolete
			*o = sample{}
			continue
		}
		total += o.value
		if o.start.Before(oldest) {
			oldest = o.start
		}
	}
	span = now.Sub(oldest)
	if full := int(span / s.window); full < n-1 {
		span += time.Duration(n-1-full) * s.window
	}
	if span <= 0 { // one sample, just started: over one window
		span = s.window
	}
	return total / span.Seconds(), span
}
