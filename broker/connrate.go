package broker

import (
	"math"
	"sync"
	"time"

	"github.com/sluicelogs/sluice/internal/rate"
)

// Connection creation rates (Kafka's KIP-612): max.connection.creation.rate
// for the broker and listener.name.plaintext.max.connection.creation.rate
// for its PLAINTEXT listener each bound the connections accepted per
// second.
// As in Kafka, a connection past a rate is not refused: the acceptor
// records it, then waits — accepts nothing more — for as long as brings
// the rate back to its quota before it serves it, so a flood queues in
// the kernel's accept backlog (and past it, its SYNs wait) instead of
// costing the broker a connection each. The rate is Kafka's quota rate
// (package internal/rate): the connections of the last quota.window.num
// (11) windows of quota.window.size.seconds (1 s), over the time they
// span but at least 10 windows; the wait is (rate - quota) / quota × that
// span. A quiet broker thus takes a burst of about 10 s worth of its quota
// at once.
const (
	quotaWindowNum  = 11
	quotaWindowSize = time.Second
)

// connRate is one quota on the connections accepted.
type connRate struct {
	limit string // the key, for metrics and logs
	quota float64

	mu    sync.Mutex
	conns *rate.Sampled // made on the first record
}

// newConnRates returns the quotas cfg sets (Int32 max, the default, is
// none).
func newConnRates(cfg *Config) []*connRate {
	var out []*connRate
	for _, q := range []struct {
		key   string
		quota int32
	}{{"max.connection.creation.rate", cfg.MaxConnectionCreationRate}, {listenerRateKey, cfg.ListenerMaxConnectionCreationRate}} {
		if q.quota < math.MaxInt32 {
			out = append(out, &connRate{limit: q.key, quota: float64(q.quota)})
		}
	}
	return out
}

// setQuota changes the quota (max.connection.creation.rate altered).
func (r *connRate) setQuota(quota float64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.quota = quota
}

// record counts a connection accepted at now and returns how long the
// acceptor must wait before serving it (0 within the quota).
func (r *connRate) record(now time.Time) time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.conns == nil {
		r.conns = rate.New(quotaWindowNum, quotaWindowSize)
	}
	r.conns.Record(now, 1)
	perSecond, span := r.conns.Measure(now)
	if perSecond <= r.quota {
		return 0
	}
	// In whole milliseconds, as Kafka rounds it.
	return time.Duration(math.Round((perSecond-r.quota)/r.quota*span.Seconds()*1000)) * time.Millisecond
}
