package up

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kadm"
)

// Stats are the numbers of the live line: counters of the agent and the
// indexer (their Prometheus metrics) and the consumer lag.
type Stats struct {
	Read       int64 // lines the agent read (sluice_agent_lines_read_total)
	Shipped    int64 // events the broker acknowledged (sluice_agent_events_acked_total)
	Indexed    int64 // events Elasticsearch acknowledged (sluice_indexer_events_total{result="indexed"})
	Dropped    int64 // events a pipeline dropped
	DeadLetter int64 // events Elasticsearch rejected, in the dead-letter topic
	// Unshipped is events the broker did not acknowledge (their files are
	// read again from there at the next start).
	Unshipped int64
	// Lag is the records in the inputs' topics that the indexer has not
	// committed yet; -1 when the broker did not answer.
	Lag int64
}

// Done is the events the indexer is finished with.
func (s Stats) Done() int64 { return s.Indexed + s.Dropped + s.DeadLetter }

// counters reads the agent's and indexer's counters from reg.
func counters(reg prometheus.Gatherer) (Stats, error) {
	var s Stats
	mfs, err := reg.Gather()
	if err != nil {
		return s, fmt.Errorf("metrics: %w", err)
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			v := int64(m.GetCounter().GetValue())
			switch mf.GetName() {
			case "sluice_agent_lines_read_total":
				s.Read += v
			case "sluice_agent_events_acked_total":
				s.Shipped += v
			case "sluice_agent_events_unacked_total":
				s.Unshipped += v
			case "sluice_indexer_events_total":
				for _, l := range m.GetLabel() {
					if l.GetName() != "result" {
						continue
					}
					switch l.GetValue() {
					case "indexed":
						s.Indexed += v
					case "dropped":
						s.Dropped += v
					case "dead_letter":
						s.DeadLetter += v
					}
				}
			}
		}
	}
	return s, nil
}

// lag sums, over the inputs' topics, the end offsets minus what each
// input's consumer group committed.
func lag(ctx context.Context, adm *kadm.Client, ins []input) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	topics := make([]string, len(ins))
	for i, in := range ins {
		topics[i] = in.Topic
	}
	ends, err := adm.ListEndOffsets(ctx, topics...)
	if err != nil {
		return -1, fmt.Errorf("end offsets: %w", err)
	}
	if err := ends.Error(); err != nil {
		return -1, fmt.Errorf("end offsets: %w", err)
	}
	var total int64
	for _, in := range ins {
		committed, err := adm.FetchOffsets(ctx, group(in.ID))
		if err != nil {
			return -1, fmt.Errorf("offsets of %s: %w", group(in.ID), err)
		}
		ends.Each(func(o kadm.ListedOffset) {
			if o.Topic != in.Topic {
				return
			}
			at := int64(0)
			if c, ok := committed.Lookup(o.Topic, o.Partition); ok && c.Err == nil && c.At > 0 {
				at = c.At
			}
			total += max(o.Offset-at, 0)
		})
	}
	return total, nil
}

// Line is the live line for s; rate is events indexed per second.
func (s Stats) Line(rate float64) string {
	lag := "?"
	if s.Lag >= 0 {
		lag = group3(s.Lag)
	}
	line := fmt.Sprintf("read %s  shipped %s  indexed %s  lag %s", group3(s.Read), group3(s.Shipped), group3(s.Indexed), lag)
	if s.Dropped > 0 {
		line += "  dropped " + group3(s.Dropped)
	}
	if s.DeadLetter > 0 {
		line += "  dead-letter " + group3(s.DeadLetter)
	}
	if rate >= 0 {
		line += fmt.Sprintf("  (%s/s)", group3(int64(rate+0.5)))
	}
	return line
}

// group3 writes n with thousands separators: 1234567 → 1,234,567.
func group3(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	out := make([]byte, 0, len(s)+len(s)/3+1)
	if neg {
		out = append(out, '-')
	}
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}

// progress writes the live line: redrawn in place every second on a
// terminal, else a plain line every `every` (none when every is 0).
type progress struct {
	w        io.Writer
	terminal bool
	every    time.Duration

	prev      Stats     // the stats of the last line written, for the rate
	prevAt    time.Time // when it was written
	drawnLine bool      // a redrawn line is on the terminal (end it before more output)
}

// sample takes the stats of now and writes a line when one is due.
func (p *progress) sample(s Stats, now time.Time) {
	if p.w == nil || !p.terminal && (p.every <= 0 || !p.prevAt.IsZero() && now.Sub(p.prevAt) < p.every) {
		return
	}
	rate := -1.0
	if dt := now.Sub(p.prevAt).Seconds(); !p.prevAt.IsZero() && dt > 0 {
		rate = float64(s.Done()-p.prev.Done()) / dt
	}
	if p.terminal {
		fmt.Fprintf(p.w, "\r\033[K%s", s.Line(rate))
		p.drawnLine = true
	} else {
		fmt.Fprintf(p.w, "%s %s\n", now.Format("15:04:05"), s.Line(rate))
	}
	p.prev, p.prevAt = s, now
}

// printf writes a message line, after ending a redrawn line.
func (p *progress) printf(format string, args ...any) {
	if p.w == nil {
		return
	}
	if p.drawnLine {
		fmt.Fprintln(p.w)
		p.drawnLine = false
	}
	fmt.Fprintf(p.w, format, args...)
}
