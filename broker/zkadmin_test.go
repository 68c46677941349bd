package broker_test

import (
	"context"
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
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/testkit/testcluster"
)

// zkTopic is what Metadata says of a topic: its id and partitions, or the
// topic's error.
type zkTopic struct {
	id    [16]byte
	parts []partInfo
	err   int16
}

// topicMetadata asks the broker at addr for topic's metadata (v12: with
// the topic id).
func topicMetadata(addr, topic string) (zkTopic, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		return zkTopic{}, err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req := kmsg.NewPtrMetadataRequest()
	mt := kmsg.NewMetadataRequestTopic()
	mt.Topic = kmsg.StringPtr(topic)
	req.Topics = append(req.Topics, mt)
	// Only to addr: a client would ask any broker, and each must answer.
	resp, err := cl.SeedBrokers()[0].RetriableRequest(ctx, req)
	if err != nil {
		return zkTopic{}, err
	}
	mresp := resp.(*kmsg.MetadataResponse)
	if len(mresp.Topics) != 1 {
		return zkTopic{}, fmt.Errorf("metadata of %s: %d topics", topic, len(mresp.Topics))
	}
	rt := mresp.Topics[0]
	out := zkTopic{id: rt.TopicID, err: rt.ErrorCode, parts: make([]partInfo, len(rt.Partitions))}
	for _, p := range rt.Partitions {
		if p.Partition < 0 || int(p.Partition) >= len(out.parts) {
			return zkTopic{}, fmt.Errorf("metadata of %s: partition %d of %d", topic, p.Partition, len(out.parts))
		}
		out.parts[p.Partition] = partInfo{leader: p.Leader, epoch: p.LeaderEpoch, replicas: p.Replicas, isr: p.ISR, err: p.ErrorCode}
	}
	return out, nil
}

// awaitStarted waits until every broker in addrs answers topic with the
// same non-zero id and the given replicas, each partition as the
// controller starts it with all replicas live: the first replica leads,
// every replica in sync. It returns the id.
func awaitStarted(t *testing.T, addrs []string, topic string, replicas [][]int32) [16]byte {
	t.Helper()
	return awaitPreferred(t, addrs, topic, len(replicas), func(p int, reps []int32) error {
		if !slices.Equal(reps, replicas[p]) {
			return fmt.Errorf("%s-%d has replicas %v, want %v", topic, p, reps, replicas[p])
		}
		return nil
	})
}

// awaitPreferred waits until every broker in addrs answers topic with
// the same non-zero id and n partitions, each led by its first replica
// (the preferred one) with every replica in sync, and check accepts each
// partition's replicas. It returns the id.
func awaitPreferred(t *testing.T, addrs []string, topic string, n int, check func(p int, replicas []int32) error) [16]byte {
	t.Helper()
	var id [16]byte
	await.Eventually(t, 90*time.Second, 50*time.Millisecond, func() error {
		for i, addr := range addrs {
			md, err := topicMetadata(addr, topic)
			if err != nil {
				return err
			}
			if md.err != 0 {
				return fmt.Errorf("broker at %s: %s: %v", addr, topic, kerr.ErrorForCode(md.err))
			}
			if md.id == ([16]byte{}) {
				return fmt.Errorf("broker at %s: %s has no topic id", addr, topic)
			}
			if i == 0 {
				id = md.id
			} else if md.id != id {
				return fmt.Errorf("brokers disagree on the id of %s: %x and %x", topic, id, md.id)
			}
			if len(md.parts) != n {
				return fmt.Errorf("broker at %s: %s has %d partitions, want %d", addr, topic, len(md.parts), n)
			}
			for p, got := range md.parts {
				if err := check(p, got.replicas); err != nil {
					return fmt.Errorf("broker at %s: %w", addr, err)
				}
				if len(got.replicas) == 0 || got.leader != got.replicas[0] || !sameIDs(got.isr, got.replicas) {
					return fmt.Errorf("broker at %s: %s-%d is %+v, want the first replica leading and every replica in sync", addr, topic, p, got)
				}
			}
		}
		return nil
	})
	return id
}

// awaitMetadata waits until the metadata of topic that every broker in
// addrs answers passes check.
func awaitMetadata(t *testing.T, addrs []string, topic string, check func(zkTopic) error) {
	t.Helper()
	await.Eventually(t, 60*time.Second, 50*time.Millisecond, func() error {
		for _, addr := range addrs {
			md, err := topicMetadata(addr, topic)
			if err != nil {
				return err
			}
			if err := check(md); err != nil {
				return fmt.Errorf("broker at %s: %w", addr, err)
			}
		}
		return nil
	})
}

// sameIDs reports whether a and b hold the same broker ids, in any order.
func sameIDs(a, b []int32) bool {
	return slices.Equal(slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b)))
}

// awaitGone waits until every broker in addrs answers UNKNOWN_TOPIC_OR_PARTITION
// for topic.
func awaitGone(t *testing.T, addrs []string, topic string) {
	t.Helper()
	awaitMetadata(t, addrs, topic, func(md zkTopic) error {
		if md.err != kerr.UnknownTopicOrPartition.Code {
			return fmt.Errorf("%s answers %v, %d partitions", topic, kerr.ErrorForCode(md.err), len(md.parts))
		}
		return nil
	})
}

// awaitNoNode waits until path is gone from the coordinator.
func awaitNoNode(t *testing.T, zc *zk.Conn, path string) {
	t.Helper()
	await.Eventually(t, 60*time.Second, 50*time.Millisecond, func() error {
		ok, _, err := zc.Exists(path)
		if err == nil && ok {
			err = fmt.Errorf("%s still exists", path)
		}
		return err
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

// markForDeletion writes /admin/delete_topics/<topic>, as Kafka 2.7's
// kafka-topics.sh --delete --zookeeper does.
func markForDeletion(t *testing.T, zc *zk.Conn, topic string) {
	t.Helper()
	if _, err := zc.Create("/admin/delete_topics/"+topic, nil, 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatalf("mark %s for deletion: %v", topic, err)
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
	produceValues(t, addrs[0], topic, 300)
	checkValues(t, addrs[0], topic, 300)

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

	markForDeletion(t, zc, topic)
	awaitGone(t, addrs, topic)
	for _, p := range []string{"/brokers/topics/", "/config/topics/", "/admin/delete_topics/"} {
		awaitNoNode(t, zc, p+topic)
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
	produceValues(t, addrs[0], topic, 10)
	checkValues(t, addrs[0], topic, 10)

	// A marker for no topic goes; one for a topic with a replica on a
	// broker that is down waits.
	createReplicated(t, addrs[0], "pending", 1, 3, nil)
	brokers[2].Stop()
	addrs = addrs[:2]
	markForDeletion(t, zc, "pending")
	markForDeletion(t, zc, "ghost")
	// The pass that removed ghost's marker considered pending's, created
	// before it.
	awaitNoNode(t, zc, "/admin/delete_topics/ghost")
	if ok, _, err := zc.Exists("/brokers/topics/pending"); err != nil || !ok {
		t.Fatalf("pending was deleted with broker 3, which holds a replica, down (exists %v, %v)", ok, err)
	}
	cl, ctx := requestClient(t, addrs[0])
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
	awaitGone(t, addrs, "pending")
}
