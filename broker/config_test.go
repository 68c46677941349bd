package broker

import (
	"strings"
	"testing"
	"time"

	"github.com/sluicelogs/sluice/broker/segment"
	"github.com/sluicelogs/sluice/internal/config"
)

func TestConfig(t *testing.T) {
	p, err := config.ParseProperties("server.properties", []byte(`broker.id=2
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
`))
	if err != nil {
		t.Fatal(err)
	}
	c, err := configFromProperties(p)
	if err != nil {
		t.Fatal(err)
	}
	if c.BrokerID != 2 || c.Listener != "0.0.0.0:9092" || c.AdvertisedHost != "h2" || c.AdvertisedPort != 9092 {
		t.Fatalf("listeners: %+v", c)
	}
	if strings.Join(c.LogDirs, ",") != "/data/a,/data/b" || c.NumPartitions != 3 || c.DefaultReplication != 3 || c.MinInsyncReplicas != 2 {
		t.Fatalf("topics: %+v", c)
	}
	if c.RetentionMs != 72*3600*1000 || c.SegmentBytes != 1<<20 || c.AutoCreateTopics {
		t.Fatalf("logs: %+v", c)
	}
	if strings.Join(c.ZooKeeperConnect, ",") != "h1:2181,h2:2181,h3:2181" || c.ZooKeeperChroot != "/kafka" || c.ZooKeeperTimeout != 6*time.Second {
		t.Fatalf("zookeeper: %v %q %v", c.ZooKeeperConnect, c.ZooKeeperChroot, c.ZooKeeperTimeout)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"zookeeper.connect=h:2181\nbroker.id=x\n", `server.properties:2: broker.id: "x" is not an integer`},
		{"zookeeper.connect=h:2181\nlisteners=SSL://h:9093\n", `server.properties:2: listeners: listener "SSL://h:9093": only PLAINTEXT is supported`},
		{"broker.id=1\n", "server.properties: zookeeper.connect: is required"},
		{"zookeeper.connect=h:2181\nnum.partitions=0\n", "server.properties:2: num.partitions: 0 is outside [1, 1048576]"},
	} {
		p, err := config.ParseProperties("server.properties", []byte(tc.text))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := configFromProperties(p); err == nil || !strings.Contains(err.Error(), tc.want) {
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
	applyTopicConfig(&o, map[string]string{"cleanup.policy": "compact"})
	if o.RetentionMs != -1 || o.RetentionBytes != -1 {
		t.Fatalf("a compacted topic is trimmed: %+v", o)
	}
}
