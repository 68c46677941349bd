package broker

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// metrics are the broker's Prometheus metrics.
type metrics struct {
	requests     *prometheus.CounterVec
	produceBytes prometheus.Counter
	fetchBytes   prometheus.Counter
}

func newMetrics() *metrics {
	return &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sluice_broker_requests_total",
			Help: "Kafka requests received, by API.",
		}, []string{"api"}),
		produceBytes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sluice_broker_produce_bytes_total",
			Help: "Record batch bytes appended by producers.",
		}),
		fetchBytes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sluice_broker_fetch_bytes_total",
			Help: "Record batch bytes sent to consumers.",
		}),
	}
}

func (m *metrics) request(key int16) { m.requests.WithLabelValues(kmsg.NameForKey(key)).Inc() }

// Collectors returns the broker's metrics, to register on the registry
// served on /metrics.
func (b *Broker) Collectors() []prometheus.Collector {
	return []prometheus.Collector{
		b.metrics.requests, b.metrics.produceBytes, b.metrics.fetchBytes,
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
