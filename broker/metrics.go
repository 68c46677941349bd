package broker

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// metrics are the broker's Prometheus metrics.
type metrics struct {
	requests *prometheus.CounterVec
	panics   *prometheus.CounterVec

	offsetsRecordsSkipped prometheus.Counter
	refused               *prometheus.CounterVec
	throttled             *prometheus.CounterVec
	throttleSeconds       prometheus.Counter
	idleClosed            prometheus.Counter
	closed                *prometheus.CounterVec
	tlsFailed             prometheus.Counter
	saslFailures          prometheus.Counter
	produceBytes          prometheus.Counter
	fetchBytes            prometheus.Counter

	replicaFetchBytes  prometheus.Counter
	replThrottled      *prometheus.CounterVec
	replThrottledBytes *prometheus.CounterVec
	isrChanges         prometheus.Counter
	leaderElections    prometheus.Counter
	controller         prometheus.Gauge
	logFlushes         prometheus.Histogram

	cleanerPasses       prometheus.Counter
	cleanerBytesRead    prometheus.Counter
	cleanerBytesWritten prometheus.Counter
}

func newMetrics() *metrics {
	return &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sluice_broker_requests_total",
			Help: "Kafka requests received, by API.",
		}, []string{"api"}),
		panics: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sluice_broker_request_panics_total",
			Help: "Panics while serving a request, by API (none: before the API was known); each closed its connection only.",
		}, []string{"api"}),
		offsetsRecordsSkipped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sluice_broker_offsets_records_skipped_total",
			Help: "Records of __consumer_offsets that did not decode when the group manager replayed the log, skipped.",
		}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sluice_broker_connections_refused_total",
			Help: "Connections closed at accept, by the limit they would have passed (max_connections, max_connections_per_ip).",
		}, []string{"limit"}),
		throttled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sluice_broker_connections_throttled_total",
			Help: "Connections accepted past a creation rate, after which the broker waited before accepting more, by the key whose quota was furthest passed (max.connection.creation.rate, listener.name.plaintext.max.connection.creation.rate).",
		}, []string{"limit"}),
		throttleSeconds: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sluice_broker_connection_accept_throttle_seconds_total",
			Help: "Time the broker waited before accepting more connections, to keep to its connection creation rates.",
		}),
		closed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sluice_broker_connections_closed_total",
			Help: "Connections the broker closed because of what the client sent, by reason (size: a size prefix out of range; read: a frame that could not be read, or too large for its API; parse: a request that did not decode or is not implemented; authenticate: a request before SASL login; handler: a request its handler refused; idle: idle in the middle of a request; tls_handshake: a failed TLS handshake, also in sluice_broker_tls_handshakes_failed_total). Only some are logged (lograte): at most 10 lines in 10 s.",
		}, []string{"reason"}),
		idleClosed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sluice_broker_connections_idle_closed_total",
			Help: "Connections closed because they sent nothing for connections.max.idle.ms.",
		}),
		tlsFailed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sluice_broker_tls_handshakes_failed_total",
			Help: "Connections to SSL and SASL_SSL listeners closed because their TLS handshake failed (a plaintext client, an unknown CA, an expired certificate).",
		}),
		saslFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sluice_broker_sasl_authentication_failures_total",
			Help: "SASL authentications that failed (their connections closed).",
		}),
		produceBytes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sluice_broker_produce_bytes_total",
			Help: "Record batch bytes appended by producers.",
		}),
		fetchBytes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sluice_broker_fetch_bytes_total",
			Help: "Record batch bytes sent to consumers and followers.",
		}),
		replicaFetchBytes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sluice_broker_replica_fetch_bytes_total",
			Help: "Record batch bytes this broker copied from leaders as a follower.",
		}),
		replThrottled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sluice_broker_replication_throttled_total",
			Help: "Partition fetches held back because the replication quota was exceeded, by side: a leader answering a follower with no records (leader.replication.throttled.rate), a follower not fetching (follower.replication.throttled.rate).",
		}, []string{"side"}),
		replThrottledBytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sluice_broker_replication_throttled_bytes_total",
			Help: "Record batch bytes of throttled partitions counted against the replication quota, by side (leader: sent, follower: fetched).",
		}, []string{"side"}),
		isrChanges: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sluice_broker_isr_changes_total",
			Help: "ISR shrinks and expansions this broker wrote as leader.",
		}),
		leaderElections: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sluice_broker_leader_elections_total",
			Help: "Partition leader changes this broker made as controller.",
		}),
		controller: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "sluice_broker_active_controller",
			Help: "1 while this broker is the controller.",
		}),
		logFlushes: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "sluice_broker_log_flush_seconds",
			Help:    "Time to fsync a partition's active segment: by log.flush.interval.messages, log.flush.interval.ms, a segment roll or an explicit flush (Kafka's LogFlushRateAndTimeMs).",
			Buckets: prometheus.ExponentialBuckets(0.0001, 4, 10),
		}),
		cleanerPasses: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sluice_broker_log_cleaner_passes_total",
			Help: "Compaction passes run over a partition log (cleanup.policy=compact).",
		}),
		cleanerBytesRead: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sluice_broker_log_cleaner_bytes_cleaned_total",
			Help: "Bytes of sealed segments read by compaction passes.",
		}),
		cleanerBytesWritten: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sluice_broker_log_cleaner_bytes_written_total",
			Help: "Bytes of cleaned segments written by compaction passes.",
		}),
	}
}

func (m *metrics) request(key kmsg.Key) { m.requests.WithLabelValues(key.Name()).Inc() }

// Collectors returns the broker's metrics, to register on the Prometheus
// registry served on /metrics.
func (b *Broker) Collectors() []prometheus.Collector {
	return []prometheus.Collector{
		b.metrics.requests, b.metrics.panics, b.metrics.offsetsRecordsSkipped, b.metrics.refused, b.metrics.throttled, b.metrics.throttleSeconds, b.metrics.idleClosed, b.metrics.closed, b.metrics.tlsFailed, b.metrics.saslFailures, b.metrics.produceBytes, b.metrics.fetchBytes,
		b.metrics.replicaFetchBytes, b.metrics.replThrottled, b.metrics.replThrottledBytes, b.metrics.isrChanges, b.metrics.leaderElections, b.metrics.controller, b.metrics.logFlushes,
		b.metrics.cleanerPasses, b.metrics.cleanerBytesRead, b.metrics.cleanerBytesWritten,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "sluice_broker_connections",
			Help: "Client connections open (counted against max.connections).",
		}, func() float64 { return float64(b.conns.open()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "sluice_broker_request_memory_bytes",
			Help: "Bytes of request frames received and not yet answered (bounded by queued.max.request.bytes).",
		}, func() float64 { used, _ := b.mem.stats(); return float64(used) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "sluice_broker_request_memory_waiting",
			Help: "Connections waiting for request memory (queued.max.request.bytes) to read on.",
		}, func() float64 { _, q := b.mem.stats(); return float64(q) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "sluice_broker_under_replicated_partitions",
			Help: "Partitions this broker leads whose ISR is smaller than their replica set.",
		}, func() float64 {
			n := 0
			for _, p := range b.localPartitions() {
				if p.UnderReplicated() {
					n++
				}
			}
			return float64(n)
		}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "sluice_broker_offline_log_dirs",
			Help: "Log directories taken offline after a failed write (ENOSPC, EIO), until the broker restarts (Kafka's OfflineLogDirectoryCount).",
		}, func() float64 { return float64(len(b.offlineLogDirs())) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "sluice_broker_offline_replicas",
			Help: "Partitions this broker holds on an offline log directory.",
		}, func() float64 {
			n := 0
			for _, ps := range b.offlineReplicas() {
				n += len(ps)
			}
			return float64(n)
		}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "sluice_broker_partitions",
			Help: "Partitions held by this broker.",
		}, func() float64 {
			b.mu.RLock()
			defer b.mu.RUnlock()
			n := 0
			for _, t := range b.topics {
				for _, p := range t.partitions {
					if p != nil {
						n++
					}
				}
			}
			return float64(n)
		}),
	}
}
