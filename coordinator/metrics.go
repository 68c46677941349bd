package coordinator

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the coordinator's Prometheus metrics; Collectors hands them
// to whoever serves /metrics.
type metrics struct {
	requests *prometheus.CounterVec
	conns    prometheus.Counter
	refused  *prometheus.CounterVec
	panics   prometheus.Counter

	largeRejected prometheus.Counter // requests refused by largeRequestMaxBytes

	peerRefused *prometheus.CounterVec // the peer port's (transport.go)
}

func newMetrics() *metrics {
	return &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sluice_coordinator_requests_total",
			Help: "Client requests received, by ZooKeeper op.",
		}, []string{"op"}),
		conns: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sluice_coordinator_connections_total",
			Help: "Client connections accepted.",
		}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sluice_coordinator_connections_refused_total",
			Help: "Client connections refused, by the limit they exceeded: maxCnxns, maxClientCnxns (closed at accept), connection_throttle (closed at their connect request), tls_handshake (a failed TLS handshake on the secure client port).",
		}, []string{"limit"}),
		panics: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sluice_coordinator_connection_panics_total",
			Help: "Panics while serving a client, each of which closed that client's connection.",
		}),
		largeRejected: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sluice_coordinator_large_requests_rejected_total",
			Help: "Client requests refused because their length would take the requests being read or handled past largeRequestMaxBytes; each closed its connection.",
		}),
		peerRefused: newPeerRefused(),
	}
}

// Collectors returns the coordinator's metrics, to register on the
// registry served on /metrics.
func (s *Server) Collectors() []prometheus.Collector {
	gauge := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f)
	}
	return []prometheus.Collector{
		s.metrics.requests, s.metrics.conns, s.metrics.refused, s.metrics.panics, s.metrics.largeRejected, s.metrics.peerRefused,
		gauge("sluice_coordinator_large_request_bytes", "Bytes of the large requests being read or handled, charged against largeRequestMaxBytes.", func() float64 { return float64(s.large.used.Load() - s.large.spare.Load()) }),
		gauge("sluice_coordinator_large_request_spare_bytes", "Bytes of the buffers of large connect packets that never arrived whole, kept for the next ones (charged against largeRequestMaxBytes, given up when a request needs the room, dropped after a minute unused).", func() float64 { return float64(s.large.spare.Load()) }),
		gauge("sluice_coordinator_znodes", "Znodes in the data tree.", func() float64 { return float64(s.tree.Len()) }),
		gauge("sluice_coordinator_sessions", "Live sessions.", func() float64 { return float64(len(s.tree.Sessions())) }),
		gauge("sluice_coordinator_last_zxid", "The last applied zxid.", func() float64 { return float64(s.tree.LastZxid()) }),
		gauge("sluice_coordinator_is_leader", "1 on the member that leads the ensemble.", func() float64 {
			if s.raft.isLeader.Load() {
				return 1
			}
			return 0
		}),
		gauge("sluice_coordinator_client_connections", "Open client connections.", func() float64 {
			s.mu.Lock()
			defer s.mu.Unlock()
			return float64(len(s.conns))
		}),
	}
}
