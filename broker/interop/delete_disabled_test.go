package interop_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"

	"github.com/sluicelogs/sluice/broker"
	"github.com/sluicelogs/sluice/testkit/brokertest"
	"github.com/sluicelogs/sluice/testkit/testcluster"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// TestDeleteTopicDisabled: with delete.topic.enable=false, as Kafka,
// DeleteTopics answers TOPIC_DELETION_DISABLED (INVALID_REQUEST before v3,
// which has no such code), Kafka 3.9's kafka-topics.sh --delete fails
// with it, and a marker under /admin/delete_topics (2.7's --delete
// --zookeeper) is removed by the controller while the topic and its
// records stay.
func TestDeleteTopicDisabled(t *testing.T) {
	zkAddr := testcluster.Coordinator(t)
	b := testcluster.StartBroker(t, 1, zkAddr, "", func(c *broker.Config) { c.DeleteTopicEnable = false })
	addr := b.Addr()
	const topic = "kept"
	testcluster.CreateReplicatedTopic(t, addr, topic, 1, 1, nil)
	brokertest.ProduceValues(t, addr, topic, 50)

	for _, c := range []struct {
		version int16
		want    error
	}{{6, kerr.TopicDeletionDisabled}, {3, kerr.TopicDeletionDisabled}, {2, kerr.InvalidRequest}} {
		vs := kversion.Stable()
		vs.SetMaxKeyVersion(int16(kmsg.DeleteTopics), c.version)
		cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.MaxVersions(vs))
		if err != nil {
			t.Fatal(err)
		}
		defer cl.Close()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		req := kmsg.NewPtrDeleteTopicsRequest()
		req.TimeoutMillis = 10000
		if c.version >= 6 {
			rt := kmsg.NewDeleteTopicsRequestTopic()
			rt.Topic = kmsg.StringPtr(topic)
			req.Topics = append(req.Topics, rt)
		} else {
			req.TopicNames = []string{topic}
		}
		resp, err := req.RequestWith(ctx, cl)
		if err != nil {
			t.Fatalf("DeleteTopics v%d: %v", c.version, err)
		}
		if len(resp.Topics) != 1 || kerr.ErrorForCode(resp.Topics[0].ErrorCode) != c.want {
			t.Fatalf("DeleteTopics v%d answered %+v, want %v", c.version, resp.Topics, c.want)
		}
	}
	_, stderr, code := testpeer.KafkaToolExit(t, "kafka-topics.sh", nil, "--bootstrap-server", addr, "--delete", "--topic", topic)
	if code == 0 || !strings.Contains(stderr, "TopicDeletionDisabledException") {
		t.Fatalf("kafka-topics.sh --delete exited %d:\n%s", code, stderr)
	}

	zc, _, err := zk.Connect([]string{zkAddr}, 10*time.Second, zk.WithLogInfo(false))
	if err != nil {
		t.Fatal(err)
	}
	defer zc.Close()
	brokertest.MarkForDeletion(t, zc, topic)
	brokertest.AwaitNoNode(t, zc, "/admin/delete_topics/"+topic)
	if ok, _, err := zc.Exists("/brokers/topics/" + topic); err != nil || !ok {
		t.Fatalf("the topic's assignment is gone (exists %v, %v)", ok, err)
	}
	brokertest.CheckValues(t, addr, topic, 50)
}
