package broker

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// topicConfigDef is one of Kafka's topic configs (configdefs.go).
type topicConfigDef struct {
	name        string
	def         string // Kafka's default: its broker key's
	typ         kmsg.ConfigType
	brokerKeys  []string // the broker configs it defaults to, most specific first
	withDefault bool     // DescribeConfigs lists the broker key's DEFAULT_CONFIG synonym
}

// brokerConfigDef is one of Kafka's broker configs (configdefs.go).
type brokerConfigDef struct {
	name      string
	def       *string // nil: Kafka's null
	typ       kmsg.ConfigType
	readOnly  bool // not dynamically updatable in Kafka
	sensitive bool // its value is never shown
}

func ptr(s string) *string { return &s }

// The topic configs this broker acts on are cleanup.policy, retention.ms,
// retention.bytes, segment.bytes, flush.messages, flush.ms (partitions.go
// applyTopicConfig), min.insync.replicas and
// unclean.leader.election.enable; the rest of topicConfigDefs are stored
// and reported only. Altered, each takes effect at once on the open
// partitions (segment.Log.Reconfigure): retention from the next check,
// segment.bytes at the next append (which rolls when it would pass the
// new size), flush.messages and flush.ms from the next append or flush
// check, min.insync.replicas and unclean.leader.election.enable at once;
// cleanup.policy only as far as retention goes (compact alone stops
// time and size retention), compaction itself and its settings when
// the partition is next opened.

// topicConfigDefByName looks a topic config up.
func topicConfigDefByName(name string) (topicConfigDef, bool) {
	i, ok := slices.BinarySearchFunc(topicConfigDefs, name, func(d topicConfigDef, n string) int { return strings.Compare(d.name, n) })
	if !ok {
		return topicConfigDef{}, false
	}
	return topicConfigDefs[i], true
}

// configLimit is a bound Kafka checks on a config's value beyond its
// type: a lower bound, or the values it may take (a list's items, for a
// LIST).
type configLimit struct {
	min   *int64
	oneOf []string
}

// topicConfigLimits are the topic configs' limits.
var topicConfigLimits = map[string]configLimit{
	"retention.ms":           {min: i64(-1)},
	"segment.bytes":          {min: i64(14)},
	"segment.ms":             {min: i64(1)},
	"segment.jitter.ms":      {min: i64(0)},
	"segment.index.bytes":    {min: i64(4)},
	"min.insync.replicas":    {min: i64(1)},
	"max.message.bytes":      {min: i64(0)},
	"flush.messages":         {min: i64(1)},
	"flush.ms":               {min: i64(0)},
	"index.interval.bytes":   {min: i64(0)},
	"delete.retention.ms":    {min: i64(0)},
	"file.delete.delay.ms":   {min: i64(0)},
	"min.compaction.lag.ms":  {min: i64(0)},
	"max.compaction.lag.ms":  {min: i64(1)},
	"cleanup.policy":         {oneOf: []string{"compact", "delete"}},
	"compression.type":       {oneOf: []string{"uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"}},
	"message.timestamp.type": {oneOf: []string{"CreateTime", "LogAppendTime"}},
}

func i64(n int64) *int64 { return &n }

// checkTopicConfig validates one topic config as Kafka does, answering
// INVALID_CONFIG with Kafka's message.
func checkTopicConfig(name, value string) error {
	d, ok := topicConfigDefByName(name)
	if !ok {
		return kafkaErrorf(kerr.InvalidConfig, "Unknown topic config name: %s", name)
	}
	if name == leaderThrottledReplicas || name == followerThrottledReplica {
		return checkThrottledReplicas(name, value)
	}
	if why := checkValue(name, value, d.typ, topicConfigLimits[name]); why != "" {
		return kafkaErrorf(kerr.InvalidConfig, "Invalid value %s for configuration %s: %s", value, name, why)
	}
	return nil
}

// checkValue checks a config's value against its type and limit as
// Kafka's ConfigDef does, returning why it is refused ("" if it is not).
func checkValue(name, value string, typ kmsg.ConfigType, lim configLimit) string {
	v := strings.TrimSpace(value)
	switch typ {
	case tInt, tLong, tShort:
		bits := map[kmsg.ConfigType]int{tInt: 32, tLong: 64, tShort: 16}[typ]
		n, err := strconv.ParseInt(v, 10, bits)
		if err != nil {
			return "Not a number of type " + typ.String()
		}
		if lim.min != nil && n < *lim.min {
			return fmt.Sprintf("Value must be at least %d", *lim.min)
		}
	case tDouble:
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return "Not a number of type DOUBLE"
		}
		if (name == "min.cleanable.dirty.ratio" || name == "log.cleaner.min.cleanable.ratio") && (f < 0 || f > 1) {
			return "Value must be no more than 1"
		}
	case tBool:
		if !strings.EqualFold(v, "true") && !strings.EqualFold(v, "false") {
			return "Expected value to be either true or false"
		}
	case tList:
		for _, item := range strings.Split(v, ",") {
			if item = strings.TrimSpace(item); lim.oneOf != nil && !slices.Contains(lim.oneOf, item) {
				return "String must be one of: " + strings.Join(lim.oneOf, ", ")
			}
		}
	case tString:
		if lim.oneOf != nil && !slices.Contains(lim.oneOf, v) {
			return "String must be one of: " + strings.Join(lim.oneOf, ", ")
		}
	}
	return ""
}

// brokerConfigValue is one broker config as this broker has it.
type brokerConfigValue struct {
	value  string
	static bool // set in server.properties (differs from the default), or always given there
}

// brokerConfigValues are the broker configs this broker honours (Config),
// with their values as Kafka's broker would report them. Keys that
// differ from Defaults are STATIC_BROKER_CONFIG, as are the keys a
// server.properties always holds (broker.id, listeners, log.dirs,
// zookeeper.connect); a key given in the file at its default value is
// reported as DEFAULT_CONFIG.
func (c *Config) brokerConfigValues() map[string]brokerConfigValue {
	def := Defaults()
	out := map[string]brokerConfigValue{
		"broker.id":            {strconv.Itoa(int(c.BrokerID)), true},
		"listeners":            {c.listenersValue(false), true},
		"advertised.listeners": {c.listenersValue(true), true},
		"log.dirs":             {strings.Join(c.LogDirs, ","), true},
		"zookeeper.connect":    {strings.Join(c.ZooKeeperConnect, ",") + c.ZooKeeperChroot, true},
	}
	defKeys := def.intKeys()
	for i, k := range c.intKeys() {
		n, d := k.v.Get(), defKeys[i].v.Get()
		if k.key == "broker.id" {
			continue
		}
		if k.key == "log.retention.ms" { // Kafka's default is log.retention.hours
			h := int64(time.Hour / time.Millisecond)
			switch {
			case n == d:
			case n == -1 || n%h == 0:
				out["log.retention.hours"] = brokerConfigValue{strconv.FormatInt(hours(n), 10), true}
			default:
				out["log.retention.ms"] = brokerConfigValue{strconv.FormatInt(n, 10), true}
			}
			continue
		}
		out[k.key] = brokerConfigValue{strconv.FormatInt(n, 10), n != d}
	}
	defBools := def.boolKeys()
	for i, k := range c.boolKeys() {
		out[k.key] = brokerConfigValue{strconv.FormatBool(*k.v), *k.v != *defBools[i].v}
	}
	if c.ProtocolMap != nil {
		var entries []string
		for name, proto := range c.ProtocolMap {
			entries = append(entries, name+":"+proto)
		}
		slices.Sort(entries)
		out["listener.security.protocol.map"] = brokerConfigValue{strings.Join(entries, ","), true}
	}
	if c.InterBrokerListener != "" {
		out["inter.broker.listener.name"] = brokerConfigValue{c.InterBrokerListener, true}
	}
	if len(c.MaxConnectionsPerIPOverrides) > 0 {
		var entries []string
		for host, n := range c.MaxConnectionsPerIPOverrides {
			entries = append(entries, host+":"+strconv.Itoa(int(n)))
		}
		slices.Sort(entries)
		out[connOverridesKey] = brokerConfigValue{strings.Join(entries, ","), true}
	}
	if c.Authz.ClassName != "" {
		out[authorizerClassKey] = brokerConfigValue{c.Authz.ClassName, true}
	}
	return out
}

// configLayers are where a broker config's value may come from, most
// specific first, with the source each is reported as.
type configLayers struct {
	own, global map[string]string            // dynamic: this broker's, every broker's
	static      map[string]brokerConfigValue // server.properties
}

func (b *Broker) configLayers() configLayers {
	own, global := b.dynamicSnapshot()
	return configLayers{own: own, global: global, static: b.cfg.brokerConfigValues()}
}

// synonyms are the values that set broker config name, as Kafka's
// configSynonyms lists them: each layer (this broker's dynamic configs,
// the dynamic defaults, server.properties, Kafka's defaults) in turn, in
// each the synonym keys most specific first; the ones before name's own
// are left out (a log.retention.hours alone is no synonym of
// log.retention.ms).
func (l configLayers) synonyms(name string) []kmsg.DescribeConfigsResponseResourceConfigConfigSynonym {
	keys := brokerSynonymKeys(name)
	var out []kmsg.DescribeConfigsResponseResourceConfigConfigSynonym
	for _, k := range keys {
		if v, ok := l.own[k]; ok {
			out = append(out, synonym(k, ptr(v), kmsg.ConfigSourceDynamicBrokerConfig))
		}
	}
	for _, k := range keys {
		if v, ok := l.global[k]; ok {
			out = append(out, synonym(k, ptr(v), kmsg.ConfigSourceDynamicDefaultBrokerConfig))
		}
	}
	for _, k := range keys {
		if v, ok := l.static[k]; ok && v.static {
			out = append(out, synonym(k, ptr(v.value), kmsg.ConfigSourceStaticBrokerConfig))
		}
	}
	for _, k := range keys {
		if d, ok := brokerConfigDefByName(k); ok && d.def != nil {
			out = append(out, synonym(k, d.def, kmsg.ConfigSourceDefaultConfig))
		}
	}
	for len(out) > 0 && out[0].Name != name {
		out = out[1:]
	}
	return out
}

// describeBroker lists every broker config (names: only those) as
// DescribeConfigs answers them for this broker: the value and source of
// the first synonym, else Kafka's default; then the dynamic configs set
// that are not among Kafka's broker configs (the throttle rates).
func (b *Broker) describeBroker(names []string, synonyms bool) []kmsg.DescribeConfigsResponseResourceConfig {
	l := b.configLayers()
	var out []kmsg.DescribeConfigsResponseResourceConfig
	add := func(name string, typ kmsg.ConfigType, readOnly, sensitive bool, def *string) {
		if names != nil && !slices.Contains(names, name) {
			return
		}
		c := kmsg.NewDescribeConfigsResponseResourceConfig()
		c.Name, c.ConfigType, c.ReadOnly, c.IsSensitive = name, typ, readOnly, sensitive
		c.Source, c.Value = kmsg.ConfigSourceDefaultConfig, def
		syns := l.synonyms(name)
		if len(syns) > 0 {
			c.Source, c.Value = syns[0].Source, syns[0].Value
		}
		if synonyms {
			c.ConfigSynonyms = syns
		}
		c.IsDefault = c.Source == kmsg.ConfigSourceDefaultConfig
		if sensitive {
			c.Value = nil
			for i := range c.ConfigSynonyms {
				c.ConfigSynonyms[i].Value = nil
			}
		}
		out = append(out, c)
	}
	for _, d := range brokerConfigDefs {
		add(d.name, d.typ, d.readOnly, d.sensitive, d.def)
	}
	extra := maps.Clone(l.global)
	maps.Copy(extra, l.own)
	for _, k := range slices.Sorted(maps.Keys(extra)) {
		if _, ok := brokerConfigDefByName(k); !ok {
			add(k, brokerConfigType(k), false, false, nil)
		}
	}
	return out
}

// describeDefaultBroker lists the dynamic defaults set (names: only
// those), as Kafka answers for the broker resource "" (kafka-configs.sh
// --entity-default): each with itself as its one synonym.
func (b *Broker) describeDefaultBroker(names []string, synonyms bool) []kmsg.DescribeConfigsResponseResourceConfig {
	_, global := b.dynamicSnapshot()
	var out []kmsg.DescribeConfigsResponseResourceConfig
	for _, k := range slices.Sorted(maps.Keys(global)) {
		if names != nil && !slices.Contains(names, k) {
			continue
		}
		c := kmsg.NewDescribeConfigsResponseResourceConfig()
		c.Name, c.ConfigType, c.Value, c.Source = k, brokerConfigType(k), ptr(global[k]), kmsg.ConfigSourceDynamicDefaultBrokerConfig
		if synonyms {
			c.ConfigSynonyms = append(c.ConfigSynonyms, synonym(k, c.Value, c.Source))
		}
		out = append(out, c)
	}
	return out
}

// describeTopic lists every topic config of a topic whose overrides are
// set (names: only those), as Kafka's createTopicConfigEntry: its
// synonyms are the topic's own value, then its broker config's
// (configLayers.synonyms); its value the topic's, else the effective
// broker value.
func (b *Broker) describeTopic(set map[string]string, names []string, synonyms bool) []kmsg.DescribeConfigsResponseResourceConfig {
	l := b.configLayers()
	eff := b.effective()
	var out []kmsg.DescribeConfigsResponseResourceConfig
	for _, d := range topicConfigDefs {
		if names != nil && !slices.Contains(names, d.name) {
			continue
		}
		c := kmsg.NewDescribeConfigsResponseResourceConfig()
		c.Name, c.ConfigType = d.name, d.typ
		var syns []kmsg.DescribeConfigsResponseResourceConfigConfigSynonym
		if v, ok := set[d.name]; ok {
			syns = append(syns, synonym(d.name, ptr(v), kmsg.ConfigSourceDynamicTopicConfig))
		}
		if len(d.brokerKeys) > 0 {
			syns = append(syns, l.synonyms(d.brokerKeys[0])...)
		}
		c.Value, c.Source = ptr(d.def), kmsg.ConfigSourceDefaultConfig
		if len(syns) > 0 {
			c.Value, c.Source = syns[0].Value, syns[0].Source
		}
		if d.name == "retention.ms" && c.Source != kmsg.ConfigSourceDynamicTopicConfig {
			c.Value = ptr(strconv.FormatInt(eff.RetentionMs, 10)) // log.retention.hours or .minutes, in ms
		}
		c.IsDefault = c.Source == kmsg.ConfigSourceDefaultConfig
		if synonyms {
			c.ConfigSynonyms = syns
		}
		out = append(out, c)
	}
	return out
}

func synonym(name string, v *string, src kmsg.ConfigSource) kmsg.DescribeConfigsResponseResourceConfigConfigSynonym {
	s := kmsg.NewDescribeConfigsResponseResourceConfigConfigSynonym()
	s.Name, s.Value, s.Source = name, v, src
	return s
}
