package broker

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

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
// These two rates are the only dynamic broker configs: altering any
// other broker config is INVALID_REQUEST (server.properties holds them),
// except that deleting one that is not set succeeds with nothing to do
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

var dynamicBrokerKeys = []string{followerThrottledRate, leaderThrottledRate}

// replicationQuotas are a broker's two quotas and the dynamic configs
// they come from.
type replicationQuotas struct {
	leader, follower *replquota.Quota

	mu          sync.Mutex
	own, global map[string]string // /config/brokers/<id>, /config/brokers/<default>
}

func newReplicationQuotas(cfg *Config) *replicationQuotas {
	window := time.Duration(cfg.ReplicationQuotaWindowSeconds) * time.Second
	return &replicationQuotas{
		leader:   replquota.New(cfg.ReplicationQuotaWindowNum, window, nil),
		follower: replquota.New(cfg.ReplicationQuotaWindowNum, window, nil),
		own:      map[string]string{}, global: map[string]string{},
	}
}

// loadBrokerConfigs reads this broker's dynamic configs and the
// defaults, and applies the rates.
func (b *Broker) loadBrokerConfigs() {
	own, _, err := b.meta.entityConfig("brokers/" + strconv.Itoa(int(b.cfg.BrokerID)))
	if err != nil {
		b.log.Warn("reading dynamic broker configs", "err", err)
		return
	}
	global, _, err := b.meta.entityConfig("brokers/" + defaultBrokerEntity)
	if err != nil {
		b.log.Warn("reading dynamic default broker configs", "err", err)
		return
	}
	rate := func(key string) int64 {
		for _, m := range []map[string]string{own, global} {
			if v, ok := m[key]; ok {
				if n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil && n >= 0 {
					return n
				}
				b.log.Warn("dynamic broker config ignored", "key", key, "value", v)
			}
		}
		return replquota.Unlimited
	}
	// Configs and rates change together: what DescribeConfigs shows is
	// applied (q.mu before each quota's lock).
	q := b.quotas
	q.mu.Lock()
	q.own, q.global = own, global
	q.leader.SetRate(rate(leaderThrottledRate))
	q.follower.SetRate(rate(followerThrottledRate))
	q.mu.Unlock()
	b.log.Info("dynamic broker configs", "broker", own, "default", global)
}

// alterBrokerConfigs checks and writes the dynamic configs of broker
// entity name (its id, or "" for every broker's defaults), as change
// makes them from the current ones; validateOnly writes nothing.
func (b *Broker) alterBrokerConfigs(name string, validateOnly bool, change func(map[string]string) (map[string]string, error)) error {
	if err := b.checkBrokerResource(name); err != nil {
		return err
	}
	entity, resource := "brokers/"+name, fmt.Sprintf("ConfigResource(type=BROKER, name='%s')", name)
	if name == "" {
		entity = "brokers/" + defaultBrokerEntity
	}
	checked := func(cur map[string]string) (map[string]string, error) {
		next, err := change(cur)
		if err != nil {
			return nil, err
		}
		for _, k := range slices.Sorted(maps.Keys(next)) {
			if err := checkDynamicBrokerConfig(resource, k, next[k]); err != nil {
				return nil, err
			}
		}
		return next, nil
	}
	if validateOnly {
		cur, _, err := b.meta.entityConfig(entity)
		if err != nil {
			return err
		}
		_, err = checked(cur)
		return err
	}
	if err := b.meta.alterEntityConfig(entity, checked); err != nil {
		if errMessage(err) == nil {
			b.log.Error("alter broker config", "entity", entity, "err", err)
		}
		return err
	}
	b.loadBrokerConfigs() // the notification does it too; here the client sees it applied at once
	return nil
}

// dynamicBrokerConfigDef is how IncrementalAlterConfigs treats a broker
// config: every one as a LONG (the others are refused when checked, see
// checkDynamicBrokerConfig), without a default.
func dynamicBrokerConfigDef(name string) (topicConfigDef, bool) {
	return topicConfigDef{name: name, typ: tLong}, true
}

// checkDynamicBrokerConfig validates one dynamic broker config as Kafka
// does.
func checkDynamicBrokerConfig(resource, name, value string) error {
	if !slices.Contains(dynamicBrokerKeys, name) {
		return kafkaErrorf(kerr.InvalidRequest, "sluice reads broker config %s from server.properties only: the dynamic broker configs are %s",
			name, strings.Join(dynamicBrokerKeys, " and "))
	}
	n, err := strconv.ParseInt(strings.TrimSpace(value), 10, 64)
	why := ""
	switch {
	case err != nil:
		why = "Not a number of type LONG"
	case n < 0:
		why = "Value must be at least 0"
	default:
		return nil
	}
	return kafkaErrorf(kerr.InvalidConfig, "Invalid config value for resource %s: Invalid value %s for configuration %s: %s", resource, value, name, why)
}

// describeDynamicBroker lists the dynamic configs set for this broker
// (own: its own entity; else the defaults' entity) with their sources:
// DYNAMIC_BROKER_CONFIG, DYNAMIC_DEFAULT_BROKER_CONFIG.
func (b *Broker) describeDynamicBroker(own bool, names []string, synonyms bool) []kmsg.DescribeConfigsResponseResourceConfig {
	q := b.quotas
	q.mu.Lock()
	mine, global := maps.Clone(q.own), maps.Clone(q.global)
	q.mu.Unlock()
	if !own {
		mine = nil
	}
	var out []kmsg.DescribeConfigsResponseResourceConfig
	for _, k := range dynamicBrokerKeys {
		if names != nil && !slices.Contains(names, k) {
			continue
		}
		var syns []kmsg.DescribeConfigsResponseResourceConfigConfigSynonym
		if v, ok := mine[k]; ok {
			syns = append(syns, synonym(k, ptr(v), kmsg.ConfigSourceDynamicBrokerConfig))
		}
		if v, ok := global[k]; ok {
			syns = append(syns, synonym(k, ptr(v), kmsg.ConfigSourceDynamicDefaultBrokerConfig))
		}
		if len(syns) == 0 {
			continue
		}
		c := kmsg.NewDescribeConfigsResponseResourceConfig()
		c.Name, c.ConfigType, c.Value, c.Source = k, tLong, syns[0].Value, syns[0].Source
		if synonyms {
			c.ConfigSynonyms = syns
		}
		out = append(out, c)
	}
	return out
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
