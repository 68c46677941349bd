package agent

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// agentMetrics are the agent's sluice_agent_… metrics.
type agentMetrics struct {
	lines, bytes, truncated, filtered prometheus.Counter
	events, acked, unacked            prometheus.Counter
	dropped                           *prometheus.CounterVec
	queued                            prometheus.GaugeFunc
	harvesters                        prometheus.Gauge
	// queue_events is produced − finished: counted apart (each on its own
	// cache line) by the readers and by the producer's promise, rather
	// than one gauge both update per event.
	produced, finished             *paddedCount
	harvesterStarts                prometheus.Counter
	truncations                    prometheus.Counter
	registryWrites, registryErrors prometheus.Counter
	registryCleaned, scans         prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) *agentMetrics {
	c := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Name: "sluice_agent_" + name, Help: help})
	}
	g := func(name, help string) prometheus.Gauge {
		return prometheus.NewGauge(prometheus.GaugeOpts{Name: "sluice_agent_" + name, Help: help})
	}
	m := &agentMetrics{
		lines:           c("lines_read_total", "Lines read from files."),
		bytes:           c("bytes_read_total", "Bytes of lines read from files, newlines included."),
		truncated:       c("lines_truncated_total", "Lines cut at max_bytes (flagged truncated)."),
		filtered:        c("events_filtered_total", "Events left out by include_lines/exclude_lines."),
		events:          c("events_published_total", "Events handed to the producer."),
		acked:           c("events_acked_total", "Events the brokers acknowledged."),
		unacked:         c("events_unacked_total", "Events not acknowledged before shutdown or after a delivery error; read again at the next start."),
		dropped:         prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sluice_agent_events_dropped_total", Help: "Events the brokers rejected for good (e.g. too large), by error."}, []string{"error"}),
		harvesters:      g("harvesters_open", "Files open for reading."),
		harvesterStarts: c("harvesters_started_total", "Harvesters started."),
		truncations:     c("file_truncations_total", "Files found truncated (read again from offset 0)."),
		registryWrites:  c("registry_writes_total", "Registry files written."),
		registryErrors:  c("registry_write_errors_total", "Registry writes that failed."),
		registryCleaned: c("registry_entries_removed_total", "Registry entries removed by clean_removed or clean_inactive."),
		scans:           c("scans_total", "Scans of the inputs' globs (every scan_frequency, and when a harvester finished)."),
	}
	m.produced, m.finished = new(paddedCount), new(paddedCount)
	m.queued = prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "sluice_agent_queue_events", Help: "Events in the producer's buffer, not yet acknowledged."},
		func() float64 { return float64(m.produced.Load() - m.finished.Load()) })
	if reg != nil {
		reg.MustRegister(m.lines, m.bytes, m.truncated, m.filtered, m.events, m.acked, m.unacked, m.dropped,
			m.queued, m.harvesters, m.harvesterStarts, m.truncations, m.registryWrites, m.registryErrors, m.registryCleaned, m.scans)
	}
	return m
}

// paddedCount is a counter alone on its cache line.
type paddedCount struct {
	atomic.Int64
	_ [56]byte
}
