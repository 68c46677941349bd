package interop_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicelogs/sluice/broker"
	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/testkit/brokertest"
	"github.com/sluicelogs/sluice/testkit/testcluster"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// TestAlterTopicConfigs: kafka-configs.sh --alter through one broker
// sets retention.ms on a topic; the other broker describes it (the change
// notification reached it), the leader's retention acts on it without a
// restart, and ZooKeeper holds it where Kafka 2.x does. --delete-config
// takes it back to the default.
func TestAlterTopicConfigs(t *testing.T) {
	t.Parallel() // spends its time waiting on Kafka\'s JVM tools or brokers: see the package doc
	zkAddr := testcluster.Coordinator(t)
	fast := func(c *broker.Config) { c.RetentionCheckInterval = 100 * time.Millisecond }
	b1 := testcluster.StartBroker(t, 1, zkAddr, "", fast)
	b2 := testcluster.StartBroker(t, 2, zkAddr, "", fast)
	testcluster.CreateReplicatedTopic(t, b1.Addr(), "alt", 1, 2, map[string]string{"segment.bytes": "1024"})
	cl, err := kgo.NewClient(kgo.SeedBrokers(b1.Addr()), kgo.DefaultProduceTopic("alt"),
		kgo.ProducerBatchCompression(kgo.NoCompression()), kgo.RequiredAcks(kgo.AllISRAcks()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx := context.Background()
	old := time.Now().Add(-time.Hour)
	for i := 0; i < 20; i++ { // ~20 segments of one 600-byte batch each, an hour old
		if err := cl.ProduceSync(ctx, &kgo.Record{Value: []byte(fmt.Sprintf("%0600d", i)), Timestamp: old}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	if e := brokertest.EarliestOffset(t, cl, "alt"); e != 0 {
		t.Fatalf("earliest offset %d before the alter, want 0 (7 days' retention)", e)
	}

	out := brokertest.ConfigTool(t, b1.Addr(), "--alter", "--entity-type", "topics", "--entity-name", "alt", "--add-config", "retention.ms=1000")
	if !strings.Contains(out, "Completed updating config for topic alt.") {
		t.Fatalf("kafka-configs.sh --alter printed:\n%s", out)
	}
	want := "retention.ms=1000 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:retention.ms=1000}"
	await.Eventually(t, 20*time.Second, 200*time.Millisecond, func() error {
		out := brokertest.ConfigTool(t, b2.Addr(), "--describe", "--entity-type", "topics", "--entity-name", "alt")
		if !strings.Contains(out, want) {
			return fmt.Errorf("broker 2 describes:\n%s", out)
		}
		return nil
	})
	await.Eventually(t, 20*time.Second, 200*time.Millisecond, func() error {
		if e := brokertest.EarliestOffset(t, cl, "alt"); e < 10 {
			return fmt.Errorf("earliest offset %d: retention.ms=1000 has not deleted the hour-old segments", e)
		}
		return nil
	})

	conn, _, err := zk.Connect([]string{zkAddr}, 10*time.Second, zk.WithLogInfo(false))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	data, _, err := conn.Get("/config/topics/alt")
	if err != nil {
		t.Fatal(err)
	}
	var node struct {
		Version int               `json:"version"`
		Config  map[string]string `json:"config"`
	}
	if err := json.Unmarshal(data, &node); err != nil || node.Version != 1 || node.Config["retention.ms"] != "1000" || node.Config["segment.bytes"] != "1024" {
		t.Fatalf("/config/topics/alt = %s (%v)", data, err)
	}
	changes, _, err := conn.Children("/config/changes")
	if err != nil || len(changes) == 0 || !strings.HasPrefix(changes[0], "config_change_") {
		t.Fatalf("/config/changes children %v (%v)", changes, err)
	}
	data, _, err = conn.Get("/config/changes/" + changes[len(changes)-1])
	if err != nil || string(data) != `{"entity_path":"topics/alt","version":2}` {
		t.Fatalf("%s = %s (%v)", changes[len(changes)-1], data, err)
	}

	brokertest.ConfigTool(t, b2.Addr(), "--alter", "--entity-type", "topics", "--entity-name", "alt", "--delete-config", "retention.ms")
	await.Eventually(t, 20*time.Second, 200*time.Millisecond, func() error {
		out := brokertest.ConfigTool(t, b1.Addr(), "--describe", "--entity-type", "topics", "--entity-name", "alt")
		if strings.Contains(out, "retention.ms") || !strings.Contains(out, "segment.bytes=1024") {
			return fmt.Errorf("broker 1 describes after --delete-config:\n%s", out)
		}
		return nil
	})
}

// TestAlterConfigsRefused: what Kafka refuses, with its error and
// message, and nothing written.
func TestAlterConfigsRefused(t *testing.T) {
	zkAddr := testcluster.Coordinator(t)
	b := testcluster.StartBroker(t, 1, zkAddr, "")
	testcluster.CreateTopic(t, b.Addr(), "ref", 1)
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	for _, c := range []struct {
		typ       kmsg.ConfigResourceType
		name, key string
		value     string
		code      *kerr.Error
		message   string
	}{
		{kmsg.ConfigResourceTypeTopic, "ref", "retention.ms", "abc", kerr.InvalidConfig, "Invalid value abc for configuration retention.ms: Not a number of type LONG"},
		{kmsg.ConfigResourceTypeTopic, "ref", "retention.ms", "-5", kerr.InvalidConfig, "Invalid value -5 for configuration retention.ms: Value must be at least -1"},
		{kmsg.ConfigResourceTypeTopic, "ref", "foo.bar", "1", kerr.InvalidConfig, "Unknown topic config name: foo.bar"},
		{kmsg.ConfigResourceTypeTopic, "ref", "cleanup.policy", "bogus", kerr.InvalidConfig, "Invalid value bogus for configuration cleanup.policy: String must be one of: compact, delete"},
		{kmsg.ConfigResourceTypeTopic, "ref", "min.insync.replicas", "0", kerr.InvalidConfig, "Invalid value 0 for configuration min.insync.replicas: Value must be at least 1"},
		{kmsg.ConfigResourceTypeTopic, "nosuch", "retention.ms", "1", kerr.UnknownTopicOrPartition, ""},
		{kmsg.ConfigResourceTypeBroker, "1", "broker.id", "2", kerr.InvalidConfig,
			"Invalid config value for resource ConfigResource(type=BROKER, name='1'): Cannot update these configs dynamically: Set(broker.id)"},
		{kmsg.ConfigResourceTypeBroker, "", "log.retention.hours", "1", kerr.InvalidConfig,
			"Invalid config value for resource ConfigResource(type=BROKER, name=''): Cannot update these configs dynamically: Set(log.retention.hours)"},
		{kmsg.ConfigResourceTypeBroker, "", "log.retention.ms", "soon", kerr.InvalidConfig,
			"Invalid config value for resource ConfigResource(type=BROKER, name=''): Invalid value soon for configuration log.retention.ms: Not a number of type LONG"},
		{kmsg.ConfigResourceTypeBroker, "1", "log.cleanup.policy", "bogus", kerr.InvalidConfig,
			"Invalid config value for resource ConfigResource(type=BROKER, name='1'): Invalid value bogus for configuration log.cleanup.policy: String must be one of: compact, delete"},
		{kmsg.ConfigResourceTypeBroker, "", "min.insync.replicas", "0", kerr.InvalidConfig,
			"Invalid config value for resource ConfigResource(type=BROKER, name=''): Invalid value 0 for configuration min.insync.replicas: Value must be at least 1"},
		{kmsg.ConfigResourceTypeBroker, "", "listeners", "PLAINTEXT://127.0.0.1:1", kerr.InvalidRequest, ""},
		{kmsg.ConfigResourceTypeBroker, "", "foo.bar", "1", kerr.InvalidRequest, ""},
		{kmsg.ConfigResourceTypeBroker, "2", "leader.replication.throttled.rate", "1", kerr.InvalidRequest, "Unexpected broker id, expected 1 or empty string, but received 2"},
		{kmsg.ConfigResourceTypeBroker, "1", "leader.replication.throttled.rate", "fast", kerr.InvalidConfig,
			"Invalid config value for resource ConfigResource(type=BROKER, name='1'): Invalid value fast for configuration leader.replication.throttled.rate: Not a number of type LONG"},
		{kmsg.ConfigResourceTypeBroker, "", "follower.replication.throttled.rate", "-1", kerr.InvalidConfig,
			"Invalid config value for resource ConfigResource(type=BROKER, name=''): Invalid value -1 for configuration follower.replication.throttled.rate: Value must be at least 0"},
		{kmsg.ConfigResourceTypeTopic, "ref", "leader.replication.throttled.replicas", "0-1", kerr.InvalidConfig,
			"Invalid value 0-1 for configuration leader.replication.throttled.replicas: leader.replication.throttled.replicas must be the literal '*' or a list of replicas in the following format: [partitionId]:[brokerId],[partitionId]:[brokerId],..."},
		{kmsg.ConfigResourceTypeTopic, "ref", "follower.replication.throttled.replicas", "0:1,*", kerr.InvalidConfig, ""},
	} {
		req := kmsg.NewPtrIncrementalAlterConfigsRequest()
		rr := kmsg.NewIncrementalAlterConfigsRequestResource()
		rr.ResourceType, rr.ResourceName = c.typ, c.name
		rc := kmsg.NewIncrementalAlterConfigsRequestResourceConfig()
		rc.Name, rc.Value = c.key, kmsg.StringPtr(c.value)
		rr.Configs = append(rr.Configs, rc)
		req.Resources = append(req.Resources, rr)
		kresp, err := cl.Broker(1).Request(context.Background(), req) // to broker 1 whatever the resource names
		if err != nil {
			t.Fatal(err)
		}
		got := kresp.(*kmsg.IncrementalAlterConfigsResponse).Resources[0]
		if got.ErrorCode != c.code.Code || (c.message != "" && (got.ErrorMessage == nil || *got.ErrorMessage != c.message)) {
			t.Errorf("%s=%s on %s: error %d %v, want %d %q", c.key, c.value, c.name, got.ErrorCode, got.ErrorMessage, c.code.Code, c.message)
		}
	}
	out := brokertest.ConfigTool(t, b.Addr(), "--describe", "--entity-type", "topics", "--entity-name", "ref")
	if strings.Contains(out, "=") {
		t.Fatalf("a refused alter left configs:\n%s", out)
	}
	out = brokertest.ConfigTool(t, b.Addr(), "--describe", "--entity-type", "brokers", "--entity-default")
	if strings.Contains(out, "=") {
		t.Fatalf("a refused alter left dynamic default broker configs:\n%s", out)
	}
	testpeer.Used(t, "kafka", testpeer.KafkaVersion+" kafka-configs.sh")
}
