package broker

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/sluicelogs/sluice/broker/partition"
	"github.com/sluicelogs/sluice/broker/replquota"
)

// Replication throttles, as Kafka's (ReplicationQuotaManager): the
// dynamic broker configs leader.replication.throttled.rate and
// follower.replication.throttled.rate (bytes per second, per broker in
// /config/brokers/<id> or for every broker in /config/brokers/<default>;
// the broker's own wins) limit the replication traffic of the partitions
// the topic configs leader.replication.throttled.replicas and
// follower.replication.throttled.replicas name (partition:broker,… or *).
// The rates are measured over replication.quota.window.num windows of
// replication.quota.window.size.seconds (package replquota).
//
//   - A leader answers a follower's fetch of a partition throttled on the
//     leader (leader.replication.throttled.replicas names it with this
//     broker) with no records while its leader quota is exceeded, unless
//     the follower is in the ISR; the bytes it sends for such partitions
//     count against the quota (01_fetch.go).
//   - A follower does not fetch a partition throttled on it
//     (follower.replication.throttled.replicas names it with this broker)
//     while it is out of the ISR and its follower quota is exceeded,
//     trying again after
//     replica.fetch.backoff.ms; the bytes it fetches for such partitions
//     count against the quota (fetcher.go).
//
// The rates are dynamic broker configs as the others (dynconfig.go);
// deleting one that is not set succeeds with nothing to do
// (kafka-reassign-partitions.sh --verify deletes
// replica.alter.log.dirs.io.max.bytes.per.second too).
const (
	leaderThrottledRate      = "leader.replication.throttled.rate"
	followerThrottledRate    = "follower.replication.throttled.rate"
	leaderThrottledReplicas  = "leader.replication.throttled.replicas"
	followerThrottledReplica = "follower.replication.throttled.replicas"

	// defaultBrokerEntity names the dynamic configs of every broker
	// (kafka-configs.sh --entity-default), as Kafka 2.x.
	defaultBrokerEntity = "<default>"
)

var throttleRateKeys = []string{followerThrottledRate, leaderThrottledRate}

// replicationQuotas are a broker's two quotas; their rates are dynamic
// broker configs (dynconfig.go).
type replicationQuotas struct {
	leader, follower *replquota.Quota
}

func newReplicationQuotas(cfg *Config) *replicationQuotas {
	window := time.Duration(cfg.ReplicationQuotaWindowSeconds) * time.Second
	return &replicationQuotas{
		leader:   replquota.New(cfg.ReplicationQuotaWindowNum, window, nil),
		follower: replquota.New(cfg.ReplicationQuotaWindowNum, window, nil),
	}
}

// leaderThrottles tells whether follower's fetch of p is throttled on
// this leader, and whether it gets no records now: it is out of the ISR
// and the leader quota is exceeded (Kafka's shouldLeaderThrottle).
func (b *Broker) leaderThrottles(p *partition.Partition, follower int32) (throttled, heldBack bool) {
	q := b.quotas.leader
	if !q.IsThrottled(p.Topic(), p.Index()) {
		return false, false
	}
	return true, !p.InSync(follower) && q.Exceeded()
}

// recordLeaderThrottled counts what a fetch answered for throttled
// partitions against the leader quota.
func (b *Broker) recordLeaderThrottled(res *fetchResult) {
	var bytes int64
	for _, t := range res.topics {
		for _, fp := range t.parts {
			if fp.heldBack {
				b.metrics.replThrottled.WithLabelValues("leader").Inc()
			}
			if fp.throttled {
				bytes += fp.data.Size
			}
		}
	}
	if bytes > 0 {
		b.quotas.leader.Record(bytes)
		b.metrics.replThrottledBytes.WithLabelValues("leader").Add(float64(bytes))
	}
}

// throttledReplicasFormat is Kafka's check of a throttled replica list's
// items (the whole value may also be *).
var throttledReplicasFormat = regexp.MustCompile(`^([0-9]+:[0-9]+)?$`)

// checkThrottledReplicas validates leader.replication.throttled.replicas
// or follower.replication.throttled.replicas as Kafka does.
func checkThrottledReplicas(name, value string) error {
	if strings.TrimSpace(value) == "*" {
		return nil
	}
	for _, item := range strings.Split(value, ",") {
		if !throttledReplicasFormat.MatchString(strings.TrimSpace(item)) {
			return kafkaErrorf(kerr.InvalidConfig, "Invalid value %s for configuration %s: %s must be the literal '*' or a list of replicas in the following format: [partitionId]:[brokerId],[partitionId]:[brokerId],...",
				value, name, name)
		}
	}
	return nil
}

// throttledPartitions are the partitions a throttled replica list names
// with broker id (replquota.AllReplicas for *).
func throttledPartitions(value string, id int32) []int32 {
	if strings.TrimSpace(value) == "*" {
		return []int32{replquota.AllReplicas}
	}
	var out []int32
	for _, item := range strings.Split(value, ",") {
		p, r, ok := strings.Cut(strings.TrimSpace(item), ":")
		if !ok {
			continue
		}
		pn, err1 := strconv.ParseInt(p, 10, 32)
		rn, err2 := strconv.ParseInt(r, 10, 32)
		if err1 == nil && err2 == nil && int32(rn) == id {
			out = append(out, int32(pn))
		}
	}
	return out
}

// applyThrottledReplicas marks the partitions of topic name throttled on
// this broker, from its configs (nil: the topic is gone).
func (b *Broker) applyThrottledReplicas(name string, config map[string]string) {
	b.quotas.leader.MarkThrottled(name, throttledPartitions(config[leaderThrottledReplicas], b.cfg.BrokerID))
	b.quotas.follower.MarkThrottled(name, throttledPartitions(config[followerThrottledReplica], b.cfg.BrokerID))
}
