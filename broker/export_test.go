package broker

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicelogs/sluice/broker/segment"
)

// BuildBatch is a one-record batch for the external tests.
func BuildBatch(value string) []byte {
	return segment.BuildBatch([]segment.Record{{Value: []byte(value)}}, 0)
}

// PanicOn makes the handler of key panic, as a bug in it would. Call it
// before Run.
func PanicOn(b *Broker, key kmsg.Key) {
	a := b.apis[key]
	a.handle = func(*Broker, context.Context, *conn, *request) (kmsg.Response, error) {
		panic("injected panic in " + key.Name())
	}
	b.apis[key] = a
}

// Panics is how many panics sluice_broker_request_panics_total counted
// for api.
func Panics(b *Broker, api kmsg.Key) float64 {
	return counterValue(b.metrics.panics.WithLabelValues(api.Name()))
}

// counterValue reads a counter.
func counterValue(c prometheus.Counter) float64 {
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		panic(err)
	}
	return m.GetCounter().GetValue()
}

// OffsetsRecordsSkipped is sluice_broker_offsets_records_skipped_total.
func OffsetsRecordsSkipped(b *Broker) float64 { return counterValue(b.metrics.offsetsRecordsSkipped) }

// RequestMemory is the request memory in use and the connections waiting
// for it.
func RequestMemory(b *Broker) (used int64, waiting int) { return b.mem.stats() }

// Refused is sluice_broker_connections_refused_total{limit}.
func Refused(b *Broker, limit string) float64 {
	return counterValue(b.metrics.refused.WithLabelValues(limit))
}

// IdleClosed is sluice_broker_connections_idle_closed_total.
func IdleClosed(b *Broker) float64 { return counterValue(b.metrics.idleClosed) }

// OpenConnections is sluice_broker_connections.
func OpenConnections(b *Broker) int { return b.conns.open() }

// Throttled is sluice_broker_connections_throttled_total{limit}.
func Throttled(b *Broker, limit string) float64 {
	return counterValue(b.metrics.throttled.WithLabelValues(limit))
}

// SetReplicationClock makes b's replication quotas measure time with now.
func SetReplicationClock(b *Broker, now func() time.Time) {
	b.quotas.leader.SetClock(now)
	b.quotas.follower.SetClock(now)
}

// ReplicationThrottled is sluice_broker_replication_throttled_total{side}.
func ReplicationThrottled(b *Broker, side string) float64 {
	return counterValue(b.metrics.replThrottled.WithLabelValues(side))
}

// ReplicationThrottledBytes is
// sluice_broker_replication_throttled_bytes_total{side}.
func ReplicationThrottledBytes(b *Broker, side string) float64 {
	return counterValue(b.metrics.replThrottledBytes.WithLabelValues(side))
}

// ReplicationRates are the leader and follower replication rates b
// applies.
func ReplicationRates(b *Broker) [2]int64 {
	return [2]int64{b.quotas.leader.Rate(), b.quotas.follower.Rate()}
}

// ReplicaEpoch is the role and leader epoch that b's replica of
// topic-index has taken; "" when b holds none.
func ReplicaEpoch(b *Broker, topic string, index int32) (role string, epoch int32) {
	ts := b.lookupTopic(topic)
	if ts == nil || int(index) >= len(ts.partitions) || ts.partitions[index] == nil {
		return "", -1
	}
	s := ts.partitions[index].Snapshot()
	return s.Role.String(), s.Epoch
}
