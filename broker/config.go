package broker

import (
	"fmt"
	"maps"
	"math"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sluicelogs/sluice/internal/config"
)

// Config is a broker's configuration: read from a server.properties with
// Kafka's keys by LoadConfig, or built in code from Defaults; either way
// checked by Validate.
type Config struct {
	File string

	BrokerID       int32
	Listener       string // the first listener's host:port to bind (listeners=NAME://host:port,…)
	AdvertisedHost string // what Metadata tells clients of the first listener (advertised.listeners); "" when not advertised
	AdvertisedPort int32
	// The other listeners (listeners.go): the first one's name
	// (PLAINTEXT when empty), the listeners after it,
	// listener.security.protocol.map (nil: Kafka's default) and
	// inter.broker.listener.name ("" = PLAINTEXT).
	ListenerName        string
	MoreListeners       []Listener
	ProtocolMap         map[string]string
	InterBrokerListener string
	// SSL is the ssl.* keys; ListenerSSL the SSL settings of the listeners
	// with listener.name.<name>.ssl.* keys, by listener name: SSL with
	// those keys in place (sslconfig.go).
	SSL         SSLConfig
	ListenerSSL map[string]SSLConfig
	// SASL is the sasl.* keys and the login modules of the SASL_PLAINTEXT
	// and SASL_SSL listeners (config_sasl.go).
	SASL                   SASLConfig
	LogDirs                []string
	NumPartitions          int32
	DefaultReplication     int16
	MinInsyncReplicas      int
	RetentionMs            int64 // log.retention.hours/minutes/ms; -1 = forever
	RetentionBytes         int64 // -1 = no limit
	SegmentBytes           int64
	RetentionCheckInterval time.Duration
	IndexIntervalBytes     int
	FlushMessages          int64    // log.flush.interval.messages; math.MaxInt64 (Kafka's default) = leave it to the OS
	FlushIntervalMs        int64    // log.flush.interval.ms; math.MaxInt64 = never by time
	ZooKeeperConnect       []string // host:port of each server
	ZooKeeperChroot        string   // "" or "/path"
	ZooKeeperTimeout       time.Duration
	AutoCreateTopics       bool
	MaxRequestBytes        int32 // socket.request.max.bytes
	QueuedMaxRequestBytes  int64 // queued.max.request.bytes: request bytes held over all connections; <= 0 unbounded
	MaxConnections         int32 // max.connections: client connections at once; more are closed at accept
	MaxConnectionsPerIP    int32 // max.connections.per.ip; 0 only with overrides
	// max.connection.creation.rate and its listener's
	// listener.name.plaintext.max.connection.creation.rate: connections
	// accepted a second, past which accepting waits (connrate.go);
	// 2147483647, Kafka's default, is no bound.
	MaxConnectionCreationRate         int32
	ListenerMaxConnectionCreationRate int32
	ConnectionsMaxIdle                time.Duration // connections.max.idle.ms: a connection that sends nothing this long is closed; <= 0 never
	MessageMaxBytes                   int32         // message.max.bytes
	OffsetsPartitions                 int32         // offsets.topic.num.partitions
	OffsetsReplication                int16         // offsets.topic.replication.factor (__consumer_offsets waits for as many live brokers)
	OffsetsSegmentBytes               int32         // offsets.topic.segment.bytes
	OffsetsRetentionMinutes           int64         // offsets.retention.minutes: committed offsets expire (group/retention.go)
	OffsetsRetentionCheckInterval     time.Duration // offsets.retention.check.interval.ms

	ZooKeeperSessionTimeout time.Duration // zookeeper.session.timeout.ms
	ReplicaLagTimeMax       time.Duration // replica.lag.time.max.ms: a follower this far behind leaves the ISR
	ReplicaFetchWaitMax     time.Duration // replica.fetch.wait.max.ms: a follower's long poll
	ReplicaFetchMaxBytes    int32         // replica.fetch.max.bytes: per partition and fetch
	ReplicaFetchBackoff     time.Duration // replica.fetch.backoff.ms: a follower's pause when it has nothing to fetch (throttled)

	// Replication quotas (throttles.go): measured over
	// ReplicationQuotaWindowNum samples of ReplicationQuotaWindowSeconds.
	ReplicationQuotaWindowNum     int   // replication.quota.window.num
	ReplicationQuotaWindowSeconds int64 // replication.quota.window.size.seconds
	UncleanLeaderElection         bool  // unclean.leader.election.enable
	// DeleteTopicEnable is delete.topic.enable: when false DeleteTopics
	// answers TOPIC_DELETION_DISABLED and the controller removes the
	// markers under /admin/delete_topics without deleting, as Kafka's.
	DeleteTopicEnable bool

	// Preferred leaders (controller_leaders.go): with AutoLeaderRebalance,
	// the controller checks every LeaderImbalanceCheckSeconds whether a
	// broker leads fewer than (100 - LeaderImbalancePerBrokerPercentage)%
	// of the partitions it is the preferred replica of, and if so moves
	// their leadership back to it.
	AutoLeaderRebalance                bool          // auto.leader.rebalance.enable
	LeaderImbalanceCheckSeconds        int64         // leader.imbalance.check.interval.seconds
	LeaderImbalancePerBrokerPercentage int           // leader.imbalance.per.broker.percentage
	CleanupPolicy                      string        // log.cleanup.policy: delete, compact or compact,delete
	CleanerEnable                      bool          // log.cleaner.enable
	CleanerBackoff                     time.Duration // log.cleaner.backoff.ms: the cleaner's pause between rounds
	DeleteRetentionMs                  int64         // log.cleaner.delete.retention.ms
	MinCleanableRatio                  float64       // log.cleaner.min.cleanable.ratio
	MinCompactionLagMs                 int64         // log.cleaner.min.compaction.lag.ms
	MaxCompactionLagMs                 int64         // log.cleaner.max.compaction.lag.ms
	RequestTimeout                     time.Duration // how long acks=all waits at most when the request gives no timeout

	// MaxConnectionsPerIPOverrides is max.connections.per.ip.overrides:
	// the limit for an IP address, or for the addresses a host name
	// resolves to when the broker starts, in place of
	// max.connections.per.ip.
	MaxConnectionsPerIPOverrides map[string]int32

	Authz AuthzConfig // authorizer.class.name, super.users, allow.everyone.if.no.acl.found (aclconfig.go)

	// LogWriteFault is for tests only (no server.properties key): every
	// partition log's segment.Options.WriteFault, to fail writes as a
	// full or broken disk would.
	LogWriteFault func(file string, p []byte) (int, error)

	// ZooKeeperTLS is the coordinator client's TLS (zookeeper.ssl.*) and
	// zookeeper.set.acl: zkclient_tls.go.
	ZooKeeperTLS ZooKeeperTLS
}

// Defaults returns a Config with Kafka's default for every key;
// zookeeper.connect, which has none, is left empty (Validate requires it).
func Defaults() Config {
	c := Config{
		LogDirs:                 []string{"/tmp/kafka-logs"},
		NumPartitions:           1,
		DefaultReplication:      1,
		MinInsyncReplicas:       1,
		RetentionMs:             168 * int64(time.Hour/time.Millisecond),
		RetentionBytes:          -1,
		SegmentBytes:            1 << 30,
		RetentionCheckInterval:  5 * time.Minute,
		IndexIntervalBytes:      4096,
		FlushMessages:           math.MaxInt64,
		FlushIntervalMs:         math.MaxInt64,
		ZooKeeperTimeout:        18 * time.Second,
		ZooKeeperSessionTimeout: 18 * time.Second,
		AutoCreateTopics:        true,
		MaxRequestBytes:         100 << 20,
		QueuedMaxRequestBytes:   100 << 20, // Kafka's default is -1 (unbounded); see the package doc
		MaxConnections:          1<<31 - 1,
		MaxConnectionsPerIP:     1<<31 - 1,

		MaxConnectionCreationRate:         1<<31 - 1,
		ListenerMaxConnectionCreationRate: 1<<31 - 1,
		ConnectionsMaxIdle:                10 * time.Minute,
		MessageMaxBytes:                   1048588,
		OffsetsPartitions:                 50,
		OffsetsReplication:                3,
		ReplicaLagTimeMax:                 30 * time.Second,
		ReplicaFetchWaitMax:               500 * time.Millisecond,
		ReplicaFetchMaxBytes:              1 << 20,
		ReplicaFetchBackoff:               time.Second,
		ReplicationQuotaWindowNum:         11,
		ReplicationQuotaWindowSeconds:     1,
		RequestTimeout:                    30 * time.Second,
		OffsetsSegmentBytes:               104857600,
		OffsetsRetentionMinutes:           10080,
		OffsetsRetentionCheckInterval:     10 * time.Minute,

		AutoLeaderRebalance:                true,
		DeleteTopicEnable:                  true,
		LeaderImbalanceCheckSeconds:        300,
		LeaderImbalancePerBrokerPercentage: 10,
		CleanupPolicy:                      "delete",
		CleanerEnable:                      true,
		CleanerBackoff:                     15 * time.Second,
		DeleteRetentionMs:                  86400000,
		MinCleanableRatio:                  0.5,
		MaxCompactionLagMs:                 math.MaxInt64,
		SSL:                                defaultSSL(),
	}
	c.SetListener("", 9092)
	c.ZooKeeperTLS = zooKeeperTLSDefaults()
	c.SASL = defaultSASL()
	return c
}

// LoadConfig reads a server.properties over the defaults and validates
// it. Unknown keys come back as warnings; bad values are errors naming
// line and key.
func LoadConfig(path string) (*Config, []*config.Error, error) {
	return config.LoadPropertiesConfig[Config](path, Defaults)
}

// SetListener makes the broker listen on host:port (port 0: a free one)
// and advertise the same address, as a listeners= line without
// advertised.listeners does; an empty or 0.0.0.0 host is advertised as
// 127.0.0.1.
func (c *Config) SetListener(host string, port int) {
	c.Listener = net.JoinHostPort(host, strconv.Itoa(port))
	c.advertise(host, port)
}

// SetZooKeeperConnect sets the servers and the chroot from a
// zookeeper.connect value, "h1:2181,h2:2181/chroot" (a host without a port
// gets 2181).
func (c *Config) SetZooKeeperConnect(v string) error {
	servers, chroot, err := parseZooKeeperConnect(v)
	if err != nil {
		return err
	}
	c.ZooKeeperConnect, c.ZooKeeperChroot = servers, chroot
	return nil
}

func (c *Config) advertise(host string, port int) {
	c.AdvertisedHost, c.AdvertisedPort = advertisedHost(host), int32(port)
}

// intKey is a server.properties key holding one integer field, with the
// range Validate accepts.
type intKey struct {
	key    string
	lo, hi int64
	v      config.IntVar
}

// intKeys binds the integer keys to c's fields, in the order Render
// writes them.
func (c *Config) intKeys() []intKey {
	return []intKey{
		{"broker.id", 0, 1<<31 - 1, config.Int(&c.BrokerID)},
		{"num.partitions", 1, 1 << 20, config.Int(&c.NumPartitions)},
		{"default.replication.factor", 1, 1<<15 - 1, config.Int(&c.DefaultReplication)},
		{"min.insync.replicas", 1, 1<<15 - 1, config.Int(&c.MinInsyncReplicas)},
		{"log.retention.ms", -1, 1 << 62, config.Int(&c.RetentionMs)},
		{"log.retention.bytes", -1, 1 << 62, config.Int(&c.RetentionBytes)},
		{"log.segment.bytes", 14, 1<<31 - 1, config.Int(&c.SegmentBytes)},
		{"log.retention.check.interval.ms", 1, 1 << 40, config.Millis(&c.RetentionCheckInterval)},
		{"log.index.interval.bytes", 0, 1<<31 - 1, config.Int(&c.IndexIntervalBytes)},
		{"log.flush.interval.messages", 1, math.MaxInt64, config.Int(&c.FlushMessages)},
		{"log.flush.interval.ms", 0, math.MaxInt64, config.Int(&c.FlushIntervalMs)},
		{"socket.request.max.bytes", 1024, 1<<31 - 1, config.Int(&c.MaxRequestBytes)},
		{"queued.max.request.bytes", -1, 1 << 62, config.Int(&c.QueuedMaxRequestBytes)},
		{"message.max.bytes", 0, 1<<31 - 1, config.Int(&c.MessageMaxBytes)},
		{"max.connections", 0, 1<<31 - 1, config.Int(&c.MaxConnections)},
		{"max.connections.per.ip", 0, 1<<31 - 1, config.Int(&c.MaxConnectionsPerIP)}, // 0 only with max.connections.per.ip.overrides (Validate)
		// Kafka accepts 0, with which its acceptor waits for ever: here
		// the least rate is 1.
		{"max.connection.creation.rate", 1, 1<<31 - 1, config.Int(&c.MaxConnectionCreationRate)},
		{listenerRateKey, 1, 1<<31 - 1, config.Int(&c.ListenerMaxConnectionCreationRate)},
		{"connections.max.idle.ms", -1, 1 << 40, config.Millis(&c.ConnectionsMaxIdle)},
		{"offsets.topic.num.partitions", 1, 1 << 16, config.Int(&c.OffsetsPartitions)},
		{"offsets.topic.replication.factor", 1, 1<<15 - 1, config.Int(&c.OffsetsReplication)},
		{"offsets.topic.segment.bytes", 1024, 1<<31 - 1, config.Int(&c.OffsetsSegmentBytes)},
		{"offsets.retention.minutes", 1, 1<<31 - 1, config.Int(&c.OffsetsRetentionMinutes)},
		{"offsets.retention.check.interval.ms", 1, 1 << 40, config.Millis(&c.OffsetsRetentionCheckInterval)},
		{"zookeeper.connection.timeout.ms", 1, 1<<31 - 1, config.Millis(&c.ZooKeeperTimeout)},
		{"zookeeper.session.timeout.ms", 1, 1<<31 - 1, config.Millis(&c.ZooKeeperSessionTimeout)},
		{"replica.lag.time.max.ms", 1, 1<<31 - 1, config.Millis(&c.ReplicaLagTimeMax)},
		{"leader.imbalance.check.interval.seconds", 1, 1 << 40, config.Int(&c.LeaderImbalanceCheckSeconds)},
		{"leader.imbalance.per.broker.percentage", 0, 100, config.Int(&c.LeaderImbalancePerBrokerPercentage)},
		{"replica.fetch.wait.max.ms", 1, 1<<31 - 1, config.Millis(&c.ReplicaFetchWaitMax)},
		{"replica.fetch.max.bytes", 1, 1<<31 - 1, config.Int(&c.ReplicaFetchMaxBytes)},
		{"replica.fetch.backoff.ms", 0, 1<<31 - 1, config.Millis(&c.ReplicaFetchBackoff)},
		{"replication.quota.window.num", 1, 1<<31 - 1, config.Int(&c.ReplicationQuotaWindowNum)},
		{"replication.quota.window.size.seconds", 1, 1<<31 - 1, config.Int(&c.ReplicationQuotaWindowSeconds)},
		{"request.timeout.ms", 1, 1<<31 - 1, config.Millis(&c.RequestTimeout)},
		{"log.cleaner.backoff.ms", 1, 1 << 40, config.Millis(&c.CleanerBackoff)},
		{"log.cleaner.delete.retention.ms", 0, math.MaxInt64, config.Int(&c.DeleteRetentionMs)},
		{"log.cleaner.min.compaction.lag.ms", 0, math.MaxInt64, config.Int(&c.MinCompactionLagMs)},
		{"log.cleaner.max.compaction.lag.ms", 1, math.MaxInt64, config.Int(&c.MaxCompactionLagMs)},
	}
}

// boolKeys binds the boolean keys to c's fields.
func (c *Config) boolKeys() []struct {
	key string
	v   *bool
} {
	return []struct {
		key string
		v   *bool
	}{
		{"unclean.leader.election.enable", &c.UncleanLeaderElection},
		{"auto.create.topics.enable", &c.AutoCreateTopics},
		{"auto.leader.rebalance.enable", &c.AutoLeaderRebalance},
		{"log.cleaner.enable", &c.CleanerEnable},
		{"delete.topic.enable", &c.DeleteTopicEnable},
	}
}

// ReadProperties sets the fields of the keys p holds (see
// config.PropertiesConfig); ranges and required keys are Validate's.
func (c *Config) ReadProperties(p *config.Properties) error {
	c.File = p.File
	var errs config.Errors
	add := func(err error) {
		if err != nil {
			errs = append(errs, p.Locate(err)...)
		}
	}
	c.readListeners(p, func(key, format string, args ...any) { add(p.Errorf(key, format, args...)) })
	c.readSSL(p)
	dirs, ok := p.Lookup("log.dirs")
	if !ok {
		dirs, ok = p.Lookup("log.dir")
	}
	if ok {
		c.LogDirs = nil
		for _, d := range strings.Split(dirs, ",") {
			if d = strings.TrimSpace(d); d != "" {
				c.LogDirs = append(c.LogDirs, d)
			}
		}
	}
	// Kafka's precedence: ms over minutes over hours; -1 keeps forever.
	// Hours and minutes are checked here: once in milliseconds, the value
	// given is gone.
	for _, unit := range []struct {
		key string
		ms  int64
	}{{"log.retention.hours", int64(time.Hour / time.Millisecond)}, {"log.retention.minutes", 60_000}} {
		if _, ok := p.Lookup(unit.key); !ok {
			continue
		}
		n, err := p.Int64(unit.key, 0)
		switch {
		case err != nil:
			add(err)
		case n < -1 || n > 1<<40:
			add(p.Errorf(unit.key, "%d is outside [%d, %d]", n, -1, int64(1<<40)))
		case n < 0:
			c.RetentionMs = -1
		default:
			c.RetentionMs = n * unit.ms
		}
	}
	for _, k := range c.intKeys() {
		if _, ok := p.Lookup(k.key); !ok {
			continue
		}
		n, err := p.Int64(k.key, 0)
		if err == nil && !k.v.Set(n) {
			err = p.Errorf(k.key, "%d is outside [%d, %d]", n, k.lo, k.hi)
		}
		add(err)
	}
	// Without zookeeper.session.timeout.ms the session lasts as long as a
	// connection may take (both 18 s by default in Kafka).
	if _, ok := p.Lookup("zookeeper.session.timeout.ms"); !ok {
		c.ZooKeeperSessionTimeout = c.ZooKeeperTimeout
	}
	if v, ok := p.Lookup("zookeeper.connect"); ok && strings.TrimSpace(v) != "" {
		if err := c.SetZooKeeperConnect(v); err != nil {
			add(p.Errorf("zookeeper.connect", "%v", err))
		}
	}
	for _, k := range c.boolKeys() {
		b, err := p.Bool(k.key, *k.v)
		add(err)
		*k.v = b
	}
	if v, ok := p.Lookup("log.cleanup.policy"); ok {
		if pol, err := parseCleanupPolicy(v); err != nil {
			add(p.Errorf("log.cleanup.policy", "%v", err))
		} else {
			c.CleanupPolicy = pol
		}
	}
	if v, ok := p.Lookup("log.cleaner.min.cleanable.ratio"); ok {
		if r, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err != nil || r < 0 || r > 1 {
			add(p.Errorf("log.cleaner.min.cleanable.ratio", "%q is not a number in [0, 1]", v))
		} else {
			c.MinCleanableRatio = r
		}
	}
	if v, ok := p.Lookup(connOverridesKey); ok {
		m, err := parseConnOverrides(v)
		if err != nil {
			add(p.Errorf(connOverridesKey, "%v", err))
		} else {
			c.MaxConnectionsPerIPOverrides = m
		}
	}
	c.readZooKeeperTLS(p, add)
	add(c.readSASL(p))
	c.readAuthzProperties(p, add)
	// Keys Kafka's sample server.properties carries that change nothing here.
	for _, k := range []string{"num.network.threads", "num.io.threads", "socket.send.buffer.bytes", "socket.receive.buffer.bytes",
		"num.recovery.threads.per.data.dir", "transaction.state.log.replication.factor",
		"transaction.state.log.min.isr", "group.initial.rebalance.delay.ms"} {
		p.Lookup(k)
	}
	return errs.Err()
}

// Validate checks c, read from a file or built in code: every integer in
// its range, log.dirs and zookeeper.connect given, the addresses well
// formed. Errors name the server.properties key.
func (c *Config) Validate() error {
	var errs config.Errors
	for _, k := range c.intKeys() {
		if n := k.v.Get(); n < k.lo || n > k.hi {
			errs.Addf(k.key, "%d is outside [%d, %d]", n, k.lo, k.hi)
		}
	}
	if c.QueuedMaxRequestBytes > 0 && c.QueuedMaxRequestBytes < int64(c.MaxRequestBytes) {
		// As Kafka: a bound must take at least one request of the largest size.
		errs.Addf("queued.max.request.bytes", "%d is below socket.request.max.bytes (%d); -1 for no bound", c.QueuedMaxRequestBytes, c.MaxRequestBytes)
	}
	if c.MaxConnectionsPerIP == 0 && len(c.MaxConnectionsPerIPOverrides) == 0 {
		// As Kafka: no connection at all would be served.
		errs.Addf("max.connections.per.ip", "0 needs %s to let some address in", connOverridesKey)
	}
	for _, host := range slices.Sorted(maps.Keys(c.MaxConnectionsPerIPOverrides)) {
		if n := c.MaxConnectionsPerIPOverrides[host]; !validOverrideHost(host) || n < 0 {
			errs.Addf(connOverridesKey, "%q: want host:count, the host an IP address or a name (letters, digits, - %% . _ :), the count at least 0", host+":"+strconv.Itoa(int(n)))
		}
	}
	c.validateListeners(errs.Addf)
	c.validateSSL(errs.Addf)
	c.validateSASL(&errs)
	if len(c.LogDirs) == 0 {
		errs.Addf("log.dirs", "names no directory")
	}
	if _, err := parseCleanupPolicy(c.CleanupPolicy); err != nil {
		errs.Addf("log.cleanup.policy", "%v", err)
	}
	if c.MinCleanableRatio < 0 || c.MinCleanableRatio > 1 {
		errs.Addf("log.cleaner.min.cleanable.ratio", "%g is outside [0, 1]", c.MinCleanableRatio)
	}
	c.validateAuthz(&errs)
	if len(c.ZooKeeperConnect) == 0 {
		errs.Addf("zookeeper.connect", "is required (host:port[,host:port…][/chroot])")
	}
	if c.ZooKeeperChroot != "" && !strings.HasPrefix(c.ZooKeeperChroot, "/") {
		errs.Addf("zookeeper.connect", "chroot %q does not start with /", c.ZooKeeperChroot)
	}
	errs = append(errs, c.validateZooKeeperTLS()...)
	return errs.Err()
}

// Render returns c as server.properties text that LoadConfig reads back
// into an equal Config (durations in whole milliseconds): broker.id,
// listeners, log.dirs and zookeeper.connect always, the other keys when
// they differ from Defaults. It is what sluice up writes for operators
// to read and what test launchers hand to a broker process.
func (c *Config) Render() []byte {
	var b strings.Builder
	def := Defaults()
	line := func(key string, v any) { fmt.Fprintf(&b, "%s=%v\n", key, v) }
	line("broker.id", c.BrokerID)
	c.renderListeners(line)
	c.renderSSL(line)
	line("log.dirs", strings.Join(c.LogDirs, ","))
	line("zookeeper.connect", strings.Join(c.ZooKeeperConnect, ",")+c.ZooKeeperChroot)
	defKeys := def.intKeys()
	for i, k := range c.intKeys() {
		n, d := k.v.Get(), defKeys[i].v.Get()
		switch k.key {
		case "broker.id":
			continue
		case "zookeeper.session.timeout.ms": // implied: the connection timeout
			d = c.ZooKeeperTimeout.Milliseconds()
		case "log.retention.ms": // in hours when it is whole hours
			if h := int64(time.Hour / time.Millisecond); n != d && (n == -1 || n%h == 0) {
				line("log.retention.hours", hours(n))
				continue
			}
		}
		if n != d {
			line(k.key, n)
		}
	}
	defBools := def.boolKeys()
	for i, k := range c.boolKeys() {
		if *k.v != *defBools[i].v {
			line(k.key, *k.v)
		}
	}
	if c.CleanupPolicy != def.CleanupPolicy {
		line("log.cleanup.policy", c.CleanupPolicy)
	}
	if c.MinCleanableRatio != def.MinCleanableRatio {
		line("log.cleaner.min.cleanable.ratio", c.MinCleanableRatio)
	}
	if len(c.MaxConnectionsPerIPOverrides) > 0 {
		var entries []string
		for _, host := range slices.Sorted(maps.Keys(c.MaxConnectionsPerIPOverrides)) {
			entries = append(entries, host+":"+strconv.Itoa(int(c.MaxConnectionsPerIPOverrides[host])))
		}
		line(connOverridesKey, strings.Join(entries, ","))
	}
	c.renderZooKeeperTLS(line)
	c.renderSASL(line)
	c.renderAuthz(line)
	return []byte(b.String())
}

// hours is a whole number of hours in milliseconds as hours; -1 stays -1.
func hours(ms int64) int64 {
	if ms < 0 {
		return ms
	}
	return ms / int64(time.Hour/time.Millisecond)
}

const connOverridesKey = "max.connections.per.ip.overrides"

// listenerRateKey is max.connection.creation.rate of the PLAINTEXT
// listener (Kafka's listener prefix is the lower-cased name); the other
// listeners have no such key here yet.
const listenerRateKey = "listener.name.plaintext.max.connection.creation.rate"

// parseConnOverrides reads a max.connections.per.ip.overrides value as
// Kafka does: comma-separated host:count entries, each split at its last
// colon (so an IPv6 address needs no brackets), blanks around the comma
// and the colon ignored, empty entries at the end too; a host given twice
// takes its last count. The hosts and counts are checked by Validate.
func parseConnOverrides(v string) (map[string]int32, error) {
	entries := strings.Split(v, ",")
	for len(entries) > 0 && strings.TrimSpace(entries[len(entries)-1]) == "" {
		entries = entries[:len(entries)-1]
	}
	m := map[string]int32{}
	for _, e := range entries {
		e = strings.TrimSpace(e)
		i := strings.LastIndexByte(e, ':')
		if i < 0 {
			return nil, fmt.Errorf("%q is not host:count", e)
		}
		n, err := strconv.ParseInt(strings.TrimSpace(e[i+1:]), 10, 32)
		if err != nil {
			return nil, fmt.Errorf("%q: the count is not an integer", e)
		}
		m[strings.TrimSpace(e[:i])] = int32(n)
	}
	return m, nil
}

// validOverrideHost is Kafka's check of an override's host: only the
// characters of host names and IP addresses; sluice also refuses an empty
// one (which Java would resolve to the loopback address).
var validOverrideHost = regexp.MustCompile(`^[0-9a-zA-Z%._:-]+$`).MatchString

// parseZooKeeperConnect splits "h1:2181,h2:2181/chroot".
func parseZooKeeperConnect(v string) ([]string, string, error) {
	hosts, chroot := v, ""
	if i := strings.IndexByte(v, '/'); i >= 0 {
		hosts, chroot = v[:i], strings.TrimRight(v[i:], "/")
	}
	var out []string
	for _, h := range strings.Split(hosts, ",") {
		h = strings.TrimSpace(h)
		if h == "" {
			continue
		}
		if _, _, err := net.SplitHostPort(h); err != nil {
			h = net.JoinHostPort(h, "2181")
		}
		out = append(out, h)
	}
	if len(out) == 0 {
		return nil, "", fmt.Errorf("%q names no server", v)
	}
	return out, chroot, nil
}
