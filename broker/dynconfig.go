package broker

import (
	"context"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/sluicelogs/sluice/broker/replquota"
)

// Dynamic broker configs, as Kafka's (DynamicBrokerConfig) with Kafka
// 2.x's storage: /config/brokers/<id> holds one broker's,
// /config/brokers/<default> every broker's defaults (kafka-configs.sh
// --entity-default), each altered through IncrementalAlterConfigs or
// AlterConfigs and announced by a change notification
// (configchanges.go). A broker's effective config takes, key by key, its
// own dynamic value, else the dynamic default, else server.properties,
// else Kafka's default; a topic's own config still wins over all of them
// (logOptions). Changes apply live:
//
//   - the log defaults (actedLogKeys) to every open partition whose topic
//     does not override them, as a topic config altered does
//     (segment.Log.Reconfigure); message.max.bytes to the next produce,
//     unclean.leader.election.enable to the controller's next pass;
//   - the connection quotas (max.connections, max.connections.per.ip and
//     its overrides, max.connection.creation.rate) to the next connection
//     accepted; the ones already open stay;
//   - the replication throttle rates (throttles.go).
//
// The other keys Kafka can alter dynamically on a broker's logs
// (storedLogKeys: log.roll.ms, compression.type, log.cleaner.threads…)
// are stored and described but change nothing here, as the topic configs
// they stand for. Keys Kafka cannot alter dynamically (its read-only
// ones: broker.id, log.dirs, zookeeper.connect, log.retention.hours…)
// are refused as Kafka's ZooKeeper-mode broker refuses them:
// INVALID_CONFIG, "Invalid config value for resource
// ConfigResource(type=BROKER, name='1'): Cannot update these configs
// dynamically: Set(broker.id)". Keys Kafka alters dynamically that sluice
// does not (listeners, ssl.*, num.io.threads…) and names Kafka does not
// know are INVALID_REQUEST, naming server.properties.

// actedLogKeys are the dynamic broker configs this broker acts on
// besides the throttle rates (applyDynamicKey).
var actedLogKeys = []string{
	"log.cleaner.delete.retention.ms", "log.cleaner.max.compaction.lag.ms", "log.cleaner.min.cleanable.ratio",
	"log.cleaner.min.compaction.lag.ms", "log.cleanup.policy", "log.flush.interval.messages", "log.flush.interval.ms",
	"log.index.interval.bytes", "log.retention.bytes", "log.retention.ms", "log.segment.bytes",
	"max.connection.creation.rate", "max.connections", "max.connections.per.ip", connOverridesKey,
	"message.max.bytes", "min.insync.replicas", "unclean.leader.election.enable",
}

// storedLogKeys are dynamic in Kafka, stored and described here only.
var storedLogKeys = []string{
	"compression.gzip.level", "compression.lz4.level", "compression.type", "compression.zstd.level",
	"log.cleaner.backoff.ms", "log.cleaner.dedupe.buffer.size", "log.cleaner.io.buffer.load.factor",
	"log.cleaner.io.buffer.size", "log.cleaner.io.max.bytes.per.second", "log.cleaner.threads",
	"log.index.size.max.bytes", "log.local.retention.bytes", "log.local.retention.ms",
	"log.message.downconversion.enable", "log.message.timestamp.after.max.ms",
	"log.message.timestamp.before.max.ms", "log.message.timestamp.difference.max.ms",
	"log.message.timestamp.type", "log.preallocate", "log.roll.jitter.ms", "log.roll.ms",
	"log.segment.delete.delay.ms",
}

// brokerConfigLimits are Kafka's checks of a broker config's value beyond
// its type, for the dynamic keys that have one (KafkaConfig's
// validators). The integer keys sluice acts on are also held to the
// range sluice's Config takes (applyDynamicKey).
var brokerConfigLimits = map[string]configLimit{
	"log.cleanup.policy":          {oneOf: []string{"compact", "delete"}},
	"log.flush.interval.messages": {min: i64(1)},
	"log.index.interval.bytes":    {min: i64(0)},
	"log.segment.bytes":           {min: i64(14)},
	"log.message.timestamp.type":  {oneOf: []string{"CreateTime", "LogAppendTime"}},
	"compression.type":            {oneOf: []string{"uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"}},
	"max.connections":             {min: i64(0)},
	"max.connections.per.ip":      {min: i64(0)},
	"message.max.bytes":           {min: i64(0)},
	"min.insync.replicas":         {min: i64(1)},
}

// brokerDynamic is what this broker last read of its dynamic configs, and
// the effective Config they make.
type brokerDynamic struct {
	// mu serializes loading and applying them (loadBrokerConfigs) and
	// the reconfiguration of partitions by topic config changes, so
	// that the last applied are the last read; it is taken before any
	// other lock of the broker.
	mu          sync.Mutex
	own, global map[string]string // /config/brokers/<id>, /config/brokers/<default>
	eff         atomic.Pointer[Config]
	rate        *connRate // max.connection.creation.rate's quota, set even when unbounded
}

func newBrokerDynamic(cfg *Config, rates []*connRate) (*brokerDynamic, []*connRate) {
	d := &brokerDynamic{own: map[string]string{}, global: map[string]string{}}
	d.eff.Store(cfg)
	for _, r := range rates {
		if r.limit == "max.connection.creation.rate" {
			d.rate = r
		}
	}
	if d.rate == nil { // unbounded now, maybe not once altered
		d.rate = &connRate{limit: "max.connection.creation.rate", quota: math.MaxInt32}
		rates = append(rates, d.rate)
	}
	return d, rates
}

// effective is the broker's config with its dynamic configs applied.
func (b *Broker) effective() *Config { return b.dyn.eff.Load() }

// dynamicSnapshot returns copies of the dynamic configs last read.
func (b *Broker) dynamicSnapshot() (own, global map[string]string) {
	b.dyn.mu.Lock()
	defer b.dyn.mu.Unlock()
	return maps.Clone(b.dyn.own), maps.Clone(b.dyn.global)
}

// withDynamic returns static with the dynamic configs of global, then
// own, applied; a value it cannot take (written around sluice, straight
// into the coordinator) is skipped and reported in bad.
func withDynamic(static *Config, global, own map[string]string) (eff *Config, bad map[string]error) {
	c := *static
	for _, layer := range []map[string]string{global, own} {
		for _, k := range slices.Sorted(maps.Keys(layer)) {
			if !slices.Contains(actedLogKeys, k) {
				continue
			}
			if err := c.applyDynamicKey(k, layer[k]); err != nil {
				if bad == nil {
					bad = map[string]error{}
				}
				bad[k] = err
			}
		}
	}
	return &c, bad
}

// applyDynamicKey sets one of actedLogKeys in c, refusing a value
// outside the range Validate takes with Kafka's message.
func (c *Config) applyDynamicKey(key, value string) error {
	v := strings.TrimSpace(value)
	bad := func(why string) error {
		return kafkaErrorf(kerr.InvalidConfig, "Invalid value %s for configuration %s: %s", value, key, why)
	}
	switch key {
	case "log.cleanup.policy":
		p, err := parseCleanupPolicy(v)
		if err != nil {
			return bad("String must be one of: compact, delete")
		}
		c.CleanupPolicy = p
		return nil
	case "log.cleaner.min.cleanable.ratio":
		r, err := strconv.ParseFloat(v, 64)
		if err != nil || r < 0 || r > 1 {
			return bad("Value must be between 0 and 1")
		}
		c.MinCleanableRatio = r
		return nil
	case connOverridesKey:
		m, err := parseConnOverrides(v)
		if err != nil {
			return bad(err.Error())
		}
		for host, n := range m {
			if !validOverrideHost(host) || n < 0 {
				return bad("want host:count, the host an IP address or a name, the count at least 0")
			}
		}
		c.MaxConnectionsPerIPOverrides = m
		return nil
	}
	for _, k := range c.boolKeys() {
		if k.key == key {
			if !strings.EqualFold(v, "true") && !strings.EqualFold(v, "false") {
				return bad("Expected value to be either true or false")
			}
			*k.v = strings.EqualFold(v, "true")
			return nil
		}
	}
	for _, k := range c.intKeys() {
		if k.key != key {
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		switch {
		case err != nil:
			return bad("Not a number of type " + brokerConfigType(key).String())
		case n < k.lo:
			return bad("Value must be at least " + strconv.FormatInt(k.lo, 10))
		case n > k.hi:
			return bad("Value must be no more than " + strconv.FormatInt(k.hi, 10))
		}
		k.v.Set(n)
		return nil
	}
	return bad("not a dynamic config")
}

// loadBrokerConfigs reads this broker's dynamic configs and the defaults
// and applies them: the effective Config, the partitions' log options,
// the connection quotas and the replication throttle rates.
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
	eff, bad := withDynamic(b.cfg, global, own)
	for k, err := range bad {
		b.log.Warn("dynamic broker config ignored", "key", k, "err", err)
	}
	d := b.dyn
	d.mu.Lock()
	defer d.mu.Unlock()
	d.own, d.global = own, global
	d.eff.Store(eff)
	b.applyThrottleRates(own, global)
	b.applyConnLimits(eff)
	b.reconfigureLocked(b.allTopics())
	b.log.Info("dynamic broker configs", "broker", own, "default", global)
}

// applyConnLimits sets the connection quotas of eff. A host name in
// max.connections.per.ip.overrides is resolved now; one that does not
// resolve is left out (at start it fails the broker).
func (b *Broker) applyConnLimits(eff *Config) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	overrides, err := resolveOverrides(ctx, eff.MaxConnectionsPerIPOverrides, true)
	cancel()
	if err != nil {
		b.log.Warn("max.connections.per.ip.overrides", "err", err)
	}
	b.conns.setLimits(eff.MaxConnections, eff.MaxConnectionsPerIP, overrides)
	b.dyn.rate.setQuota(float64(eff.MaxConnectionCreationRate))
}

// applyThrottleRates sets the replication quotas' rates: the broker's
// own dynamic value, else the default's, else unlimited.
func (b *Broker) applyThrottleRates(own, global map[string]string) {
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
	b.quotas.leader.SetRate(rate(leaderThrottledRate))
	b.quotas.follower.SetRate(rate(followerThrottledRate))
}

// allTopics lists the topics this broker serves now.
func (b *Broker) allTopics() []*topicState {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return slices.Collect(maps.Values(b.topics))
}

// reconfigure applies the log options of ts' configs over the effective
// broker config to their open partitions.
func (b *Broker) reconfigure(ts ...*topicState) {
	b.dyn.mu.Lock()
	defer b.dyn.mu.Unlock()
	b.reconfigureLocked(ts)
}

func (b *Broker) reconfigureLocked(ts []*topicState) {
	for _, t := range ts {
		opts, minISR := b.logOptions(t.config)
		for _, p := range t.partitions {
			if p == nil {
				continue
			}
			if err := p.Reconfigure(minISR, opts); err != nil {
				b.log.Warn("applying altered config", "topic", t.name, "partition", p.Index(), "err", err)
			}
		}
	}
}
