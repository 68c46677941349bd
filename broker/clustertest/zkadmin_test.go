package clustertest_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/testkit/brokertest"
	"github.com/sluicelogs/sluice/testkit/testcluster"
)

// awaitStarted waits until every broker in addrs answers topic with the
// same non-zero id and the given replicas, each partition as the
// controller starts it with all replicas live: the first replica leads,
// every replica in sync. It returns the id.
func awaitStarted(t *testing.T, addrs []string, topic string, replicas [][]int32) [16]byte {
	t.Helper()
	return brokertest.AwaitPreferred(t, addrs, topic, len(replicas), func(p int, reps []int32) error {
		if !slices.Equal(reps, replicas[p]) {
			return fmt.Errorf("%s-%d has replicas %v, want %v", topic, p, reps, replicas[p])
		}
		return nil
	})
}

// writeAssignment creates or rewrites /brokers/topics/<topic> (and
// creates its config) as Kafka 2.7's AdminZkClient does: version 2, no
// topic id, no partition states.
func writeAssignment(t *testing.T, zc *zk.Conn, topic string, replicas [][]int32, create bool) {
	t.Helper()
	parts := map[string][]int32{}
	for i, reps := range replicas {
		parts[fmt.Sprint(i)] = reps
	}
	asg, _ := json.Marshal(map[string]any{"version": 2, "partitions": parts, "adding_replicas": map[string]any{}, "removing_replicas": map[string]any{}})
	acl := zk.WorldACL(zk.PermAll)
	if !create {
		if _, err := zc.Set("/brokers/topics/"+topic, asg, -1); err != nil {
			t.Fatalf("rewrite the assignment of %s: %v", topic, err)
		}
		return
	}
	if _, err := zc.Create("/config/topics/"+topic, []byte(`{"version":1,"config":{}}`), 0, acl); err != nil {
		t.Fatalf("create the config of %s: %v", topic, err)
	}
	if _, err := zc.Create("/brokers/topics/"+topic, asg, 0, acl); err != nil {
		t.Fatalf("create the assignment of %s: %v", topic, err)
	}
}

// assignedID reads the topic_id of /brokers/topics/<topic>.
func assignedID(t *testing.T, zc *zk.Conn, topic string) string {
	t.Helper()
	b, _, err := zc.Get("/brokers/topics/" + topic)
	if err != nil {
		t.Fatal(err)
	}
	var asg struct {
		Version int    `json:"version"`
		TopicID string `json:"topic_id"`
	}
	if err := json.Unmarshal(b, &asg); err != nil {
		t.Fatalf("/brokers/topics/%s = %s: %v", topic, b, err)
	}
	if asg.Version < 3 {
		t.Fatalf("/brokers/topics/%s = %s: a topic_id needs version 3", topic, b)
	}
	return asg.TopicID
}

// TestTopicsChangedThroughZooKeeper: what Kafka 2.x's tools do to topics
// through ZooKeeper, done here with a ZooKeeper client, is carried out by
// the controller as Kafka's does. A topic written as only its assignment
// and config gets leaders, ISRs and a topic id every broker answers;
// partitions added to the assignment start; a topic named under
// /admin/delete_topics is deleted everywhere (nodes, data, marker); a
// marker for no topic is removed, and one for a topic with a replica on
// a broker that is down waits, and a DeleteTopics of that topic removes
// it with the topic. A topic created again under the same name is a new
// topic.
func TestTopicsChangedThroughZooKeeper(t *testing.T) {
	zkAddr := testcluster.Coordinator(t)
	var brokers []*testcluster.Broker
	var addrs []string
	for id := 1; id <= 3; id++ {
		b := testcluster.StartBroker(t, id, zkAddr, "")
		brokers = append(brokers, b)
		addrs = append(addrs, b.Addr())
	}
	zc, _, err := zk.Connect([]string{zkAddr}, 10*time.Second, zk.WithLogInfo(false))
	if err != nil {
		t.Fatal(err)
	}
	defer zc.Close()

	const topic = "magedu"
	replicas := [][]int32{{1, 2, 3}, {2, 3, 1}, {3, 1, 2}}
	writeAssignment(t, zc, topic, replicas, true)
	id := awaitStarted(t, addrs, topic, replicas)
	if got := assignedID(t, zc, topic); got != base64.RawURLEncoding.EncodeToString(id[:]) {
		t.Fatalf("the assignment's topic_id is %q, Metadata's %x", got, id)
	}
	brokertest.ProduceValues(t, addrs[0], topic, 300)
	brokertest.CheckValues(t, addrs[0], topic, 300)

	// 2.7's --alter --partitions 4 --zookeeper rewrites the assignment,
	// without the topic id.
	replicas = append(replicas, []int32{1, 3, 2})
	writeAssignment(t, zc, topic, replicas, false)
	if again := awaitStarted(t, addrs, topic, replicas); again != id {
		t.Fatalf("adding partitions changed the topic id from %x to %x", id, again)
	}
	await.Eventually(t, 30*time.Second, 50*time.Millisecond, func() error {
		if got := assignedID(t, zc, topic); got != base64.RawURLEncoding.EncodeToString(id[:]) {
			return fmt.Errorf("the assignment's topic_id is %q, want the topic's %x back", got, id)
		}
		return nil
	})

	brokertest.MarkForDeletion(t, zc, topic)
	brokertest.AwaitGone(t, addrs, topic)
	for _, p := range []string{"/brokers/topics/", "/config/topics/", "/admin/delete_topics/"} {
		brokertest.AwaitNoNode(t, zc, p+topic)
	}
	for _, b := range brokers {
		for p := range replicas {
			dir := filepath.Join(b.Dir, "logs", fmt.Sprintf("%s-%d", topic, p))
			await.Eventually(t, 30*time.Second, 50*time.Millisecond, func() error {
				if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
					return fmt.Errorf("%s still there (%v)", dir, err)
				}
				return nil
			})
		}
	}

	// Created again under the same name: a new topic, with a new id and
	// none of the old records.
	writeAssignment(t, zc, topic, replicas[:1], true)
	if again := awaitStarted(t, addrs, topic, replicas[:1]); again == id {
		t.Fatalf("the topic created again has the deleted one's id %x", id)
	}
	brokertest.ProduceValues(t, addrs[0], topic, 10)
	brokertest.CheckValues(t, addrs[0], topic, 10)

	// A marker for no topic goes; one for a topic with a replica on a
	// broker that is down waits.
	testcluster.CreateReplicatedTopic(t, addrs[0], "pending", 1, 3, nil)
	brokers[2].Stop()
	addrs = addrs[:2]
	brokertest.MarkForDeletion(t, zc, "pending")
	brokertest.MarkForDeletion(t, zc, "ghost")
	// The pass that removed ghost's marker considered pending's, created
	// before it.
	brokertest.AwaitNoNode(t, zc, "/admin/delete_topics/ghost")
	if ok, _, err := zc.Exists("/brokers/topics/pending"); err != nil || !ok {
		t.Fatalf("pending was deleted with broker 3, which holds a replica, down (exists %v, %v)", ok, err)
	}
	cl, ctx := brokertest.RequestClient(t, addrs[0])
	req := kmsg.NewPtrDeleteTopicsRequest()
	rt := kmsg.NewDeleteTopicsRequestTopic()
	rt.Topic = kmsg.StringPtr("pending")
	req.Topics = append(req.Topics, rt)
	req.TimeoutMillis = 10000
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Topics) != 1 {
		t.Fatalf("DeleteTopics answered %d topics", len(resp.Topics))
	}
	if code := resp.Topics[0].ErrorCode; code != 0 {
		t.Fatalf("DeleteTopics pending: %v", kerr.ErrorForCode(code))
	}
	if ok, _, err := zc.Exists("/admin/delete_topics/pending"); err != nil || ok {
		t.Fatalf("DeleteTopics left the marker of pending behind (exists %v, %v)", ok, err)
	}
	brokertest.AwaitGone(t, addrs, "pending")
}
