package broker

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/sluicelogs/sluice/broker/partition"
)

const offsetsTopic = "__consumer_offsets"

// isInternalTopic reports Kafka's internal topics, which only brokers
// write: the group and transaction logs.
func isInternalTopic(name string) bool {
	return name == offsetsTopic || name == "__transaction_state"
}

// refuseInternal refuses a client's DeleteTopics or CreatePartitions of
// an internal topic. A Kafka 3.x broker in ZooKeeper mode has no such
// check of its own (its ACLs are what protect these topics, and we have
// none); its kafka-topics.sh refused both for as long as it wrote to
// ZooKeeper. Without the check, deleting __consumer_offsets loses every
// committed offset. INVALID_TOPIC_EXCEPTION is the code a Kafka broker
// answers for the writes it refuses on internal topics (Produce,
// DeleteRecords).
func refuseInternal(name, what string) error {
	if !isInternalTopic(name) {
		return nil
	}
	return fmt.Errorf("%w: %s is an internal topic and cannot be %s by a client", kerr.InvalidTopicException, name, what)
}

var legalTopic = regexp.MustCompile(`^[a-zA-Z0-9._-]{1,249}$`)

// validTopicName reports whether Kafka accepts name as a topic name.
func validTopicName(name string) bool {
	return legalTopic.MatchString(name) && name != "." && name != ".."
}

// loadTopics reads every topic from the cluster metadata and opens the
// partitions this broker holds.
func (b *Broker) loadTopics() error {
	topics, err := b.meta.topics()
	if err != nil {
		return err
	}
	for _, t := range topics {
		ts, err := b.openTopic(t)
		if err != nil {
			return err
		}
		b.topics[t.name] = ts
	}
	return nil
}

// newTopicState is a cluster-metadata topic with no partition open yet.
func newTopicState(t *topic) *topicState {
	ts := &topicState{name: t.name, created: t.created, replicas: t.replicas, states: t.states, versions: t.versions, config: t.config,
		partitions: make([]*partition.Partition, len(t.replicas))}
	copy(ts.id[:], topicIDFromConfig(t))
	return ts
}

// openTopic opens the local partitions of a cluster-metadata topic.
func (b *Broker) openTopic(t *topic) (*topicState, error) {
	ts := newTopicState(t)
	for i, reps := range t.replicas {
		if !containsID(reps, b.cfg.BrokerID) {
			continue
		}
		// Nothing is new to a starting broker (Kafka's controller says
		// so too): its partitions may be on a directory now offline.
		p, err := b.openPartition(t.name, int32(i), t.config, false)
		if errors.Is(err, kerr.KafkaStorageError) {
			// An offline replica (cannotOpen), answered as one.
			b.log.Error("opening partition", "topic", t.name, "partition", i, "err", err)
			continue
		}
		if err != nil {
			return nil, err
		}
		ts.partitions[i] = p
	}
	return ts, nil
}

func topicIDFromConfig(t *topic) []byte {
	if id, err := base64.RawURLEncoding.DecodeString(t.id); err == nil && len(id) == 16 {
		return id
	}
	return make([]byte, 16)
}

func containsID(ids []int32, id int32) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// partitionDir is where a partition's segments live: <log.dir>/<topic>-<n>.
// With several log.dirs, a partition goes to the dir already holding it,
// else to the one with the fewest partitions.
func (b *Broker) partitionDir(topic string, index int32) string {
	name := topic + "-" + strconv.Itoa(int(index))
	best, bestN := b.cfg.LogDirs[0], -1
	for _, d := range b.cfg.LogDirs {
		if _, err := os.Stat(filepath.Join(d, name)); err == nil {
			return filepath.Join(d, name)
		}
		entries, _ := os.ReadDir(d)
		if bestN < 0 || len(entries) < bestN {
			best, bestN = d, len(entries)
		}
	}
	return filepath.Join(best, name)
}

// assignReplicas spreads partitions over brokers as Kafka's rack-unaware
// assignment does: partition i's first replica is broker (start+i) mod n,
// the others follow with a shift that grows every n partitions, so leaders
// are staggered and replicas spread.
func assignReplicas(brokers []int32, partitions int, rf int, firstPartition int) ([][]int32, error) {
	n := len(brokers)
	if rf > n {
		return nil, kerr.InvalidReplicationFactor
	}
	sort.Slice(brokers, func(i, j int) bool { return brokers[i] < brokers[j] })
	start, shift := randInt(n), randInt(n)
	out := make([][]int32, partitions)
	for p := 0; p < partitions; p++ {
		i := p + firstPartition
		if i > 0 && i%n == 0 {
			shift++
		}
		first := (i + start) % n
		reps := []int32{brokers[first]}
		for j := 0; j < rf-1; j++ {
			step := 1 + (shift+j)%(n-1)
			reps = append(reps, brokers[(first+step)%n])
		}
		out[p] = reps
	}
	return out, nil
}

func randInt(n int) int {
	if n <= 1 {
		return 0
	}
	v, err := rand.Int(rand.Reader, big.NewInt(int64(n)))
	if err != nil {
		return 0
	}
	return int(v.Int64())
}

// newTopicID returns a random topic id, as Kafka's Uuid.randomUuid: not
// one of the reserved ids, and not starting with '-' (which a command
// line would take for an option).
func newTopicID() string {
	for {
		var id [16]byte
		_, _ = rand.Read(id[:])
		s := base64.RawURLEncoding.EncodeToString(id[:])
		if validTopicID(s) && s[0] != '-' {
			return s
		}
	}
}

// createTopic creates a topic in the cluster metadata and opens its local
// partitions. It returns a Kafka error for the client.
func (b *Broker) createTopic(name string, partitions int32, rf int16, config map[string]string, validateOnly bool) error {
	if !validTopicName(name) {
		return kerr.InvalidTopicException
	}
	if partitions == -1 {
		partitions = b.cfg.NumPartitions
	}
	if rf == -1 {
		rf = b.cfg.DefaultReplication
	}
	if partitions <= 0 {
		return kerr.InvalidPartitions
	}
	if rf <= 0 {
		return kerr.InvalidReplicationFactor
	}
	for k, v := range config {
		if err := checkTopicConfig(k, v); err != nil {
			return err
		}
		if _, err := parseCleanupPolicy(v); k == "cleanup.policy" && err != nil {
			return kerr.InvalidConfig
		}
	}
	b.mu.RLock()
	_, exists := b.topics[name]
	ids := make([]int32, 0, len(b.brokers))
	for id := range b.brokers {
		ids = append(ids, id)
	}
	b.mu.RUnlock()
	if exists {
		return kerr.TopicAlreadyExists
	}
	if err := b.refreshBrokers(); err == nil {
		b.mu.RLock()
		ids = ids[:0]
		for id := range b.brokers {
			ids = append(ids, id)
		}
		b.mu.RUnlock()
	}
	replicas, err := assignReplicas(ids, int(partitions), int(rf), 0)
	if err != nil {
		return err
	}
	if validateOnly {
		return nil
	}
	t := &topic{name: name, id: newTopicID(), replicas: replicas, config: config}
	for _, reps := range replicas {
		t.states = append(t.states, partitionState{ControllerEpoch: 1, Leader: reps[0], Version: 1, LeaderEpoch: 0, ISR: reps})
	}
	if err := b.meta.createTopic(t); err != nil {
		if errors.Is(err, errTopicExists) {
			return kerr.TopicAlreadyExists
		}
		b.log.Error("create topic", "topic", name, "err", err)
		return kerr.UnknownServerError
	}
	// The cluster watch may be opening it too: reloadTopic is the one
	// place (serialized) that opens a topic's partitions.
	b.reloadTopic(name)
	b.mu.RLock()
	ts := b.topics[name]
	missing := ts == nil
	for i := 0; ts != nil && i < len(ts.replicas); i++ {
		if containsID(ts.replicas[i], b.cfg.BrokerID) && ts.partitions[i] == nil {
			missing = true
		}
	}
	b.mu.RUnlock()
	if missing {
		b.log.Error("opening the new topic's partitions failed", "topic", name)
		return kerr.KafkaStorageError
	}
	b.log.Info("created topic", "topic", name, "partitions", partitions, "replication_factor", rf)
	return nil
}

func (b *Broker) lookupTopic(name string) *topicState {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.topics[name]
}

// localPartition returns the partition this broker leads, or the Kafka
// error to answer with.
func (b *Broker) localPartition(topic string, index int32) (*partition.Partition, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	t := b.topics[topic]
	if t == nil {
		return nil, kerr.UnknownTopicOrPartition
	}
	if index < 0 || int(index) >= len(t.partitions) {
		return nil, kerr.UnknownTopicOrPartition
	}
	p := t.partitions[index]
	if (p != nil && p.Offline()) || (p == nil && b.isOfflineReplica(topic, index)) {
		return nil, kerr.KafkaStorageError // its log directory failed
	}
	if p == nil || t.states[index].Leader != b.cfg.BrokerID {
		return nil, kerr.NotLeaderForPartition
	}
	if !p.IsLeader() {
		return nil, kerr.NotLeaderForPartition
	}
	return p, nil
}

func (b *Broker) refreshBrokers() error {
	bs, err := b.meta.brokers()
	if err != nil {
		return err
	}
	b.mu.Lock()
	b.brokers = bs
	b.mu.Unlock()
	return nil
}

// closePartitions closes every partition's log, then gives up the log
// directories' locks.
func (b *Broker) closePartitions() {
	b.mu.Lock()
	defer b.mu.Unlock()
	defer b.releaseDirLocks() // after every log is closed
	for _, t := range b.topics {
		for _, p := range t.partitions {
			if p != nil {
				if err := p.Close(); err != nil {
					b.log.Warn("closing partition", "topic", p.Topic(), "partition", p.Index(), "err", err)
				}
			}
		}
	}
}

func errCode(err error) int16 {
	if err == nil {
		return 0
	}
	var ke *kerr.Error
	if errors.As(err, &ke) {
		return ke.Code
	}
	return kerr.UnknownServerError.Code
}
