package broker

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sluicelogs/sluice/broker/segment"
	"github.com/sluicelogs/sluice/internal/config"
)

func parseConfig(text string) (*Config, []*config.Error, error) {
	return config.ParsePropertiesConfig[Config]("server.properties", []byte(text), Defaults)
}

func TestConfig(t *testing.T) {
	c, _, err := parseConfig(`broker.id=2
listeners=PLAINTEXT://0.0.0.0:9092
advertised.listeners=PLAINTEXT://h2:9092
log.dirs=/data/a,/data/b
num.partitions=3
default.replication.factor=3
min.insync.replicas=2
log.retention.hours=72
log.segment.bytes=1048576
zookeeper.connect=h1:2181,h2:2181,h3/kafka
zookeeper.connection.timeout.ms=6000
auto.create.topics.enable=false
delete.topic.enable=false
offsets.retention.minutes=1440
offsets.retention.check.interval.ms=60000
`)
	if err != nil {
		t.Fatal(err)
	}
	if c.BrokerID != 2 || c.Listener != "0.0.0.0:9092" || c.AdvertisedHost != "h2" || c.AdvertisedPort != 9092 {
		t.Fatalf("listeners: %+v", c)
	}
	if strings.Join(c.LogDirs, ",") != "/data/a,/data/b" || c.NumPartitions != 3 || c.DefaultReplication != 3 || c.MinInsyncReplicas != 2 {
		t.Fatalf("topics: %+v", c)
	}
	if c.RetentionMs != 72*3600*1000 || c.SegmentBytes != 1<<20 || c.AutoCreateTopics || c.DeleteTopicEnable {
		t.Fatalf("logs: %+v", c)
	}
	if c.OffsetsRetentionMinutes != 1440 || c.OffsetsRetentionCheckInterval != time.Minute {
		t.Fatalf("offsets retention: %+v", c)
	}
	if strings.Join(c.ZooKeeperConnect, ",") != "h1:2181,h2:2181,h3:2181" || c.ZooKeeperChroot != "/kafka" || c.ZooKeeperTimeout != 6*time.Second {
		t.Fatalf("zookeeper: %v %q %v", c.ZooKeeperConnect, c.ZooKeeperChroot, c.ZooKeeperTimeout)
	}
}

// TestConfigConnectionKeys: the request memory and connection limits
// take Kafka's keys; -1 leaves request memory and idleness unbounded.
func TestConfigConnectionKeys(t *testing.T) {
	c, _, err := parseConfig(`zookeeper.connect=h:2181
queued.max.request.bytes=209715200
max.connections=500
max.connections.per.ip=20
connections.max.idle.ms=60000
max.connection.creation.rate=100
listener.name.plaintext.max.connection.creation.rate=50
`)
	if err != nil {
		t.Fatal(err)
	}
	if c.QueuedMaxRequestBytes != 200<<20 || c.MaxConnections != 500 || c.MaxConnectionsPerIP != 20 || c.ConnectionsMaxIdle != time.Minute ||
		c.MaxConnectionCreationRate != 100 || c.ListenerMaxConnectionCreationRate != 50 {
		t.Fatalf("%+v", c)
	}
	c, _, err = parseConfig("zookeeper.connect=h:2181\nqueued.max.request.bytes=-1\nconnections.max.idle.ms=-1\n")
	if err != nil || c.QueuedMaxRequestBytes != -1 || c.ConnectionsMaxIdle != -time.Millisecond {
		t.Fatalf("%v %+v", err, c)
	}
	if d := Defaults(); d.QueuedMaxRequestBytes != 100<<20 || d.MaxConnections != 1<<31-1 || d.MaxConnectionsPerIP != 1<<31-1 || d.ConnectionsMaxIdle != 10*time.Minute ||
		d.MaxConnectionCreationRate != 1<<31-1 || d.ListenerMaxConnectionCreationRate != 1<<31-1 {
		t.Fatalf("defaults %+v", d)
	}
	// Kafka's form: split at the last colon (IPv6 unbracketed), blanks
	// and a trailing comma ignored, the last count of a host kept; 0 for
	// max.connections.per.ip once there are overrides.
	c, _, err = parseConfig("zookeeper.connect=h:2181\nmax.connections.per.ip=0\n" +
		"max.connections.per.ip.overrides=hostName:100, 127.0.0.1 : 200,::1:0,10.0.0.1:5,10.0.0.1:6,\n")
	want := map[string]int32{"hostName": 100, "127.0.0.1": 200, "::1": 0, "10.0.0.1": 6}
	if err != nil || c.MaxConnectionsPerIP != 0 || !reflect.DeepEqual(c.MaxConnectionsPerIPOverrides, want) {
		t.Fatalf("%v %v", err, c.MaxConnectionsPerIPOverrides)
	}
	if c, _, err = parseConfig("zookeeper.connect=h:2181\nmax.connections.per.ip.overrides=\n"); err != nil || len(c.MaxConnectionsPerIPOverrides) != 0 {
		t.Fatalf("empty: %v %v", err, c.MaxConnectionsPerIPOverrides)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"zookeeper.connect=h:2181\nbroker.id=x\n", `server.properties:2: broker.id: "x" is not an integer`},
		{"zookeeper.connect=h:2181\nlisteners=SASL_SSL://h:9093\n", `sasl.enabled.mechanisms: GSSAPI is not supported by sluice`},
		{"zookeeper.connect=h:2181\nlisteners=BAD://h:9093\n", `listener.security.protocol.map: gives no security protocol for listener BAD`},
		{"broker.id=1\n", "server.properties: zookeeper.connect: is required"},
		{"zookeeper.connect=h:2181\nnum.partitions=0\n", "server.properties:2: num.partitions: 0 is outside [1, 1048576]"},
		{"zookeeper.connect=h:2181\nmax.connection.creation.rate=0\n", "server.properties:2: max.connection.creation.rate: 0 is outside [1, 2147483647]"},
		{"zookeeper.connect=h:2181\nlistener.name.plaintext.max.connection.creation.rate=-1\n", "server.properties:2: listener.name.plaintext.max.connection.creation.rate: -1 is outside [1, 2147483647]"},
		{"zookeeper.connect=h:2181\nmax.connections.per.ip=0\n", "server.properties:2: max.connections.per.ip: 0 needs max.connections.per.ip.overrides"},
		{"zookeeper.connect=h:2181\nmax.connections.per.ip.overrides=127.0.0.1\n", `server.properties:2: max.connections.per.ip.overrides: "127.0.0.1" is not host:count`},
		{"zookeeper.connect=h:2181\nmax.connections.per.ip.overrides=a:1,,b:2\n", `server.properties:2: max.connections.per.ip.overrides: "" is not host:count`},
		{"zookeeper.connect=h:2181\nmax.connections.per.ip.overrides=h1:ten\n", `server.properties:2: max.connections.per.ip.overrides: "h1:ten": the count is not an integer`},
		{"zookeeper.connect=h:2181\nmax.connections.per.ip.overrides=h1:5000000000\n", `server.properties:2: max.connections.per.ip.overrides: "h1:5000000000": the count is not an integer`},
		{"zookeeper.connect=h:2181\nmax.connections.per.ip.overrides=h1:5,h/2:5\n", `server.properties:2: max.connections.per.ip.overrides: "h/2:5": want host:count`},
		{"zookeeper.connect=h:2181\nmax.connections.per.ip.overrides=[::1]:5\n", `server.properties:2: max.connections.per.ip.overrides: "[::1]:5": want host:count`},
		{"zookeeper.connect=h:2181\nmax.connections.per.ip.overrides=:5\n", `server.properties:2: max.connections.per.ip.overrides: ":5": want host:count`},
		{"zookeeper.connect=h:2181\nmax.connections.per.ip.overrides=h1:-1\n", `server.properties:2: max.connections.per.ip.overrides: "h1:-1": want host:count`},
	} {
		if _, _, err := parseConfig(tc.text); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error %v, want %q", err, tc.want)
		}
	}
}

func TestTopicConfigOverrides(t *testing.T) {
	o := segment.Options{RetentionMs: 1000, RetentionBytes: 5000, SegmentBytes: 1 << 20}
	applyTopicConfig(&o, map[string]string{"retention.ms": "60000", "segment.bytes": "4096"})
	if o.RetentionMs != 60000 || o.RetentionBytes != 5000 || o.SegmentBytes != 4096 {
		t.Fatalf("overrides: %+v", o)
	}
	cfg := Defaults()
	applyCompaction(&o, map[string]string{"cleanup.policy": "compact", "min.cleanable.dirty.ratio": "0.1"}, &cfg)
	if o.RetentionMs != -1 || o.RetentionBytes != -1 || !o.Compact || o.MinCleanableDirtyRatio != 0.1 || o.DeleteRetentionMs != 86400000 {
		t.Fatalf("a compacted topic is trimmed or not compacted: %+v", o)
	}
	both := segment.Options{RetentionMs: 1000}
	applyCompaction(&both, map[string]string{"cleanup.policy": "delete,compact", "delete.retention.ms": "0"}, &cfg)
	if both.RetentionMs != 1000 || !both.Compact || both.DeleteRetentionMs != -1 {
		t.Fatalf("compact,delete: %+v", both)
	}
	cfg.CleanupPolicy = "compact"
	def := segment.Options{}
	applyCompaction(&def, nil, &cfg)
	if !def.Compact {
		t.Fatal("log.cleanup.policy=compact does not compact a topic without its own policy")
	}
	if _, err := parseCleanupPolicy("compact,nope"); err == nil {
		t.Fatal("a bad cleanup.policy accepted")
	}
}

// validConfig is Defaults with the one key that has no default.
func validConfig() Config {
	c := Defaults()
	c.ZooKeeperConnect = []string{"127.0.0.1:2181"}
	return c
}

// TestDefaults: Defaults is what a server.properties with only
// zookeeper.connect loads as, and it passes Validate.
func TestConfigDefaults(t *testing.T) {
	loaded, warnings, err := parseConfig("zookeeper.connect=127.0.0.1:2181\n")
	if err != nil || len(warnings) > 0 {
		t.Fatal(err, warnings)
	}
	want := validConfig()
	want.File = "server.properties"
	if !reflect.DeepEqual(*loaded, want) {
		t.Fatalf("loaded\n%+v\nDefaults\n%+v", *loaded, want)
	}
	if err := want.Validate(); err != nil {
		t.Fatal(err)
	}
	if c := Defaults(); c.Listener != ":9092" || c.AdvertisedHost != "127.0.0.1" || c.AdvertisedPort != 9092 || c.RetentionMs != 168*3600*1000 {
		t.Fatalf("defaults %+v", c)
	}
}

// TestConfigValidate: every rule of Validate, with the key it names.
func TestConfigValidate(t *testing.T) {
	type rule struct {
		name, want string
		mutate     func(*Config)
	}
	var rules []rule
	for i, k := range (&Config{}).intKeys() {
		for _, n := range []int64{k.lo - 1, k.hi + 1} {
			if c := validConfig(); !c.intKeys()[i].v.Set(n) {
				continue // the field's type cannot hold it: ReadProperties reports that
			}
			rules = append(rules, rule{fmt.Sprintf("%s=%d", k.key, n), fmt.Sprintf("%s: %d is outside [%d, %d]", k.key, n, k.lo, k.hi),
				func(c *Config) { c.intKeys()[i].v.Set(n) }})
		}
	}
	rules = append(rules,
		rule{"listener", `listeners: "h" is not host:port`, func(c *Config) { c.Listener = "h" }},
		rule{"advertised host", "advertised.listeners: :9092 is not host:port", func(c *Config) { c.AdvertisedHost = "" }},
		rule{"advertised port", "advertised.listeners: h:70000 is not host:port", func(c *Config) { c.AdvertisedHost, c.AdvertisedPort = "h", 70000 }},
		rule{"log.dirs", "log.dirs: names no directory", func(c *Config) { c.LogDirs = nil }},
		rule{"zookeeper.connect", "zookeeper.connect: is required (host:port[,host:port…][/chroot])", func(c *Config) { c.ZooKeeperConnect = nil }},
		rule{"chroot", `zookeeper.connect: chroot "kafka" does not start with /`, func(c *Config) { c.ZooKeeperChroot = "kafka" }},
		rule{"queued below request", "queued.max.request.bytes: 1048576 is below socket.request.max.bytes (104857600); -1 for no bound",
			func(c *Config) { c.QueuedMaxRequestBytes = 1 << 20 }},
	)
	for _, r := range rules {
		t.Run(r.name, func(t *testing.T) {
			c := validConfig()
			r.mutate(&c)
			err := c.Validate()
			if err == nil {
				t.Fatal("no error")
			}
			if err.Error() != r.want {
				t.Fatalf("error %q, want %q", err, r.want)
			}
		})
	}
}

// TestConfigRenderRoundTrip: loading Render's text gives the Config back.
func TestConfigRenderRoundTrip(t *testing.T) {
	full := validConfig()
	full.BrokerID = 7
	full.SetListener("0.0.0.0", 0)
	full.AdvertisedHost, full.AdvertisedPort = "kafka-7.example", 19092
	full.LogDirs = []string{"/data/a", "/data/b"}
	full.NumPartitions, full.DefaultReplication, full.MinInsyncReplicas = 6, 3, 2
	full.RetentionBytes, full.SegmentBytes = 1<<30, 1<<20
	full.RetentionCheckInterval, full.IndexIntervalBytes = 100*time.Millisecond, 0
	full.ZooKeeperConnect, full.ZooKeeperChroot = []string{"h1:2181", "h2:2182"}, "/kafka"
	full.ZooKeeperTimeout, full.ZooKeeperSessionTimeout = 6*time.Second, 4*time.Second
	full.AutoCreateTopics, full.UncleanLeaderElection = false, true
	full.MaxRequestBytes, full.MessageMaxBytes = 1<<20, 1<<19
	full.OffsetsPartitions, full.OffsetsReplication = 1, 1
	full.ReplicaLagTimeMax, full.ReplicaFetchWaitMax, full.ReplicaFetchMaxBytes = 3*time.Second, 100*time.Millisecond, 1<<16
	full.RequestTimeout = time.Second
	full.QueuedMaxRequestBytes, full.MaxConnections, full.MaxConnectionsPerIP, full.ConnectionsMaxIdle = -1, 1000, 50, 30*time.Second
	full.MaxConnectionsPerIPOverrides = map[string]int32{"127.0.0.1": 200, "::1": 0, "kafka-8.example": 7}

	sameTimeouts := validConfig()
	sameTimeouts.ZooKeeperTimeout, sameTimeouts.ZooKeeperSessionTimeout = 10*time.Second, 10*time.Second
	sessionDefault := validConfig()
	sessionDefault.ZooKeeperTimeout = 10 * time.Second
	forever, minutes := validConfig(), validConfig()
	forever.RetentionMs, minutes.RetentionMs = -1, 90*60*1000

	for name, c := range map[string]Config{"defaults": validConfig(), "full": full, "same timeouts": sameTimeouts,
		"session at its default": sessionDefault, "retention forever": forever, "retention in minutes": minutes} {
		t.Run(name, func(t *testing.T) {
			text := c.Render()
			loaded, warnings, err := config.ParsePropertiesConfig[Config]("server.properties", text, Defaults)
			if err != nil || len(warnings) > 0 {
				t.Fatalf("%s\n%v %v", text, err, warnings)
			}
			c.File = "server.properties"
			if !reflect.DeepEqual(*loaded, c) {
				t.Fatalf("rendered\n%s\nloaded  %+v\nwant    %+v", text, *loaded, c)
			}
		})
	}
	def := validConfig()
	if got := string(def.Render()); got != "broker.id=0\nlisteners=PLAINTEXT://:9092\nlog.dirs=/tmp/kafka-logs\nzookeeper.connect=127.0.0.1:2181\n" {
		t.Errorf("defaults render as\n%s", got)
	}
}

// TestConfigParseErrors: values ReadProperties cannot store are reported
// with the range Validate would check, at their lines, before Validate
// runs.
func TestConfigParseErrors(t *testing.T) {
	_, _, err := parseConfig("log.retention.hours=-2\nreplica.fetch.max.bytes=3000000000\nnum.partitions=0\n")
	want := "server.properties:1: log.retention.hours: -2 is outside [-1, 1099511627776]\n" +
		"server.properties:2: replica.fetch.max.bytes: 3000000000 is outside [1, 2147483647]"
	if err == nil || err.Error() != want {
		t.Fatalf("error\n%v\nwant\n%s", err, want)
	}
}

// TestConfigErrorsAtLines: Validate's errors about a loaded file name the
// line of their key; keys that are not in the file name the file.
func TestConfigErrorsAtLines(t *testing.T) {
	_, _, err := parseConfig("broker.id=1\nlog.dirs=\nmin.insync.replicas=0\nlog.retention.bytes=-2\n")
	want := []string{
		"server.properties:3: min.insync.replicas: 0 is outside [1, 32767]",
		"server.properties:4: log.retention.bytes: -2 is outside [-1, 4611686018427387904]",
		"server.properties:2: log.dirs: names no directory",
		"server.properties: zookeeper.connect: is required (host:port[,host:port…][/chroot])",
	}
	if err == nil || err.Error() != strings.Join(want, "\n") {
		t.Fatalf("error\n%v\nwant\n%s", err, strings.Join(want, "\n"))
	}
}

// TestConfigFlush: log.flush.interval.messages and log.flush.interval.ms
// are read (no longer accepted and ignored), default to Kafka's
// Long.MAX_VALUE, and render back.
func TestConfigFlush(t *testing.T) {
	def := Defaults()
	if def.FlushMessages != 1<<63-1 || def.FlushIntervalMs != 1<<63-1 {
		t.Fatalf("defaults: %d %d", def.FlushMessages, def.FlushIntervalMs)
	}
	c, warns, err := parseConfig("zookeeper.connect=h:2181\nlog.flush.interval.messages=1\nlog.flush.interval.ms=1000\n")
	if err != nil || len(warns) != 0 {
		t.Fatalf("err %v warnings %v", err, warns)
	}
	if c.FlushMessages != 1 || c.FlushIntervalMs != 1000 {
		t.Fatalf("read %d %d", c.FlushMessages, c.FlushIntervalMs)
	}
	back, _, err := parseConfig(string(c.Render()))
	if err != nil || back.FlushMessages != 1 || back.FlushIntervalMs != 1000 {
		t.Fatalf("render: %v %+v", err, back)
	}
	if _, _, err := parseConfig("zookeeper.connect=h:2181\nlog.flush.interval.messages=0\n"); err == nil {
		t.Fatal("log.flush.interval.messages=0 accepted (Kafka: at least 1)")
	}
}

func TestCleanerConfig(t *testing.T) {
	c, _, err := parseConfig("zookeeper.connect=h:2181\nlog.cleanup.policy=delete,compact\nlog.cleaner.enable=false\nlog.cleaner.backoff.ms=250\nlog.cleaner.min.cleanable.ratio=0.2\nlog.cleaner.delete.retention.ms=1000\n")
	if err != nil {
		t.Fatal(err)
	}
	if c.CleanupPolicy != "compact,delete" || c.CleanerEnable || c.CleanerBackoff != 250*time.Millisecond || c.MinCleanableRatio != 0.2 || c.DeleteRetentionMs != 1000 {
		t.Fatalf("cleaner config %+v", c)
	}
	for _, text := range []string{"log.cleanup.policy=shred\n", "log.cleaner.min.cleanable.ratio=2\n"} {
		if _, _, err := parseConfig("zookeeper.connect=h:2181\n" + text); err == nil {
			t.Errorf("%q accepted", text)
		}
	}
	again, _, err := parseConfig(string(c.Render()))
	if err != nil || again.CleanupPolicy != c.CleanupPolicy || again.MinCleanableRatio != c.MinCleanableRatio || again.CleanerEnable {
		t.Fatalf("render round trip: %+v, %v", again, err)
	}
}
