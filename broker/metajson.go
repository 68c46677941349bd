package broker

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// The cluster metadata's JSON is read from the coordinator, which anyone
// with a ZooKeeper client can write: these decoders trust none of it.
// Each fails with an error wrapping errBadMetadata that says what is
// wrong, and allocates in proportion to its input only (no count read
// from the input sizes an allocation).

// errBadMetadata is cluster metadata that does not decode or breaks an
// invariant.
var errBadMetadata = errors.New("bad cluster metadata")

func badMetadata(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errBadMetadata, fmt.Sprintf(format, args...))
}

// maxReplicationFactor bounds a partition's replica list (Kafka's
// replication factor is a 16-bit number).
const maxReplicationFactor = 1<<15 - 1

// decodeAssignment decodes /brokers/topics/<t>: the topic id and the
// replicas of partitions 0…n-1, each named once, in decimal, each with a
// non-empty list of distinct broker ids.
func decodeAssignment(b []byte) (id string, replicas [][]int32, err error) {
	var asg topicAssignment
	if err := json.Unmarshal(b, &asg); err != nil {
		return "", nil, badMetadata("assignment: %v", err)
	}
	n := len(asg.Partitions)
	if n == 0 {
		return "", nil, badMetadata("assignment names no partition")
	}
	replicas = make([][]int32, n)
	for key, reps := range asg.Partitions {
		i, err := strconv.Atoi(key)
		if err != nil || i < 0 || i >= n || strconv.Itoa(i) != key {
			return "", nil, badMetadata("assignment: partition %q is not one of 0…%d", key, n-1)
		}
		if err := checkBrokerIDs(reps, false); err != nil {
			return "", nil, badMetadata("assignment: partition %d replicas: %v", i, err)
		}
		replicas[i] = reps
	}
	return asg.TopicID, replicas, nil
}

// decodePartitionState decodes /brokers/topics/<t>/partitions/<n>/state:
// leader (-1 for none), leader_epoch and isr are required, the ISR's ids
// distinct.
func decodePartitionState(b []byte) (partitionState, error) {
	var raw struct {
		ControllerEpoch int     `json:"controller_epoch"`
		Leader          *int32  `json:"leader"`
		Version         int     `json:"version"`
		LeaderEpoch     *int32  `json:"leader_epoch"`
		ISR             []int32 `json:"isr"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return partitionState{}, badMetadata("partition state: %v", err)
	}
	switch {
	case raw.Leader == nil || raw.LeaderEpoch == nil || raw.ISR == nil:
		return partitionState{}, badMetadata("partition state lacks leader, leader_epoch or isr")
	case *raw.Leader < -1:
		return partitionState{}, badMetadata("partition state: leader %d", *raw.Leader)
	case *raw.LeaderEpoch < 0 || raw.ControllerEpoch < 0:
		return partitionState{}, badMetadata("partition state: leader epoch %d, controller epoch %d", *raw.LeaderEpoch, raw.ControllerEpoch)
	}
	if err := checkBrokerIDs(raw.ISR, true); err != nil {
		return partitionState{}, badMetadata("partition state: isr: %v", err)
	}
	return partitionState{ControllerEpoch: raw.ControllerEpoch, Leader: *raw.Leader, Version: raw.Version,
		LeaderEpoch: *raw.LeaderEpoch, ISR: raw.ISR}, nil
}

// decodeTopicConfig decodes /config/topics/<t>: {"version":1,"config":{…}}
// with string values.
func decodeTopicConfig(b []byte) (map[string]string, error) {
	var c struct {
		Config map[string]string `json:"config"`
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, badMetadata("topic config: %v", err)
	}
	return c.Config, nil
}

// checkBrokerIDs checks a list of broker ids: distinct, not negative, at
// most maxReplicationFactor of them, and not empty unless mayBeEmpty.
func checkBrokerIDs(ids []int32, mayBeEmpty bool) error {
	if len(ids) == 0 && !mayBeEmpty {
		return errors.New("empty")
	}
	if len(ids) > maxReplicationFactor {
		return fmt.Errorf("%d ids", len(ids))
	}
	sorted := slices.Sorted(slices.Values(ids))
	for i, id := range sorted {
		if id < 0 {
			return fmt.Errorf("broker id %d", id)
		}
		if i > 0 && sorted[i-1] == id {
			return fmt.Errorf("broker %d twice", id)
		}
	}
	return nil
}

// validTopicID reports whether id is a topic id as Kafka writes one: the
// 22-character unpadded base64url form of 16 bytes, neither all zero
// (Kafka's Uuid.ZERO_UUID, "no id") nor Kafka's reserved
// METADATA_TOPIC_ID (…0001).
func validTopicID(id string) bool {
	b, err := base64.RawURLEncoding.DecodeString(id)
	if err != nil || len(b) != 16 {
		return false
	}
	var reserved [16]byte
	if [16]byte(b) == reserved {
		return false
	}
	reserved[15] = 1
	return [16]byte(b) != reserved
}

// withTopicID returns the assignment asg (a JSON object, as
// decodeAssignment accepted it) with its topic_id set to id and its
// version raised to 3 (the first that carries one), keeping every other
// field as it was; with id empty, asg unchanged.
func withTopicID(asg []byte, id string) ([]byte, error) {
	if id == "" {
		return asg, nil
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(asg, &fields); err != nil || fields == nil {
		return nil, badMetadata("assignment is not an object: %v", err)
	}
	idJSON, _ := json.Marshal(id)
	fields["topic_id"] = idJSON
	var version int
	if json.Unmarshal(fields["version"], &version) != nil || version < 3 {
		fields["version"] = json.RawMessage("3")
	}
	return json.Marshal(fields)
}

// decodePreferredElection decodes /admin/preferred_replica_election:
// {"version":1,"partitions":[{"topic":"t","partition":0},…]}, each
// partition with a topic name and a partition number that is not
// negative.
func decodePreferredElection(b []byte) ([]stateKey, error) {
	var e struct {
		Partitions []struct {
			Topic     *string `json:"topic"`
			Partition *int32  `json:"partition"`
		} `json:"partitions"`
	}
	if err := json.Unmarshal(b, &e); err != nil {
		return nil, badMetadata("preferred replica election: %v", err)
	}
	out := make([]stateKey, 0, len(e.Partitions))
	for _, p := range e.Partitions {
		if p.Topic == nil || p.Partition == nil || *p.Partition < 0 {
			return nil, badMetadata("preferred replica election: a partition without a topic or a partition number")
		}
		out = append(out, stateKey{*p.Topic, *p.Partition})
	}
	return out, nil
}

// decodeConfigChange decodes a config change notification
// (/config/changes/config_change_<seq>, configchanges.go) into the path
// of the entity whose configs changed, below /config: "topics/<t>",
// "brokers/<id>", … Version 2, what Kafka 2.x and sluice write, names it
// as entity_path; version 1, Kafka's older form, as entity_type (topics
// or clients, the only ones it had) and entity_name. As in Kafka, the
// path's first part is an entity type (topics, clients, users, brokers,
// ips) and a name follows; another version is refused.
func decodeConfigChange(b []byte) (string, error) {
	var n struct {
		Version    *int    `json:"version"`
		EntityPath *string `json:"entity_path"`
		EntityType *string `json:"entity_type"`
		EntityName *string `json:"entity_name"`
	}
	if err := json.Unmarshal(b, &n); err != nil {
		return "", badMetadata("config change: %v", err)
	}
	var entity string
	switch {
	case n.Version == nil:
		return "", badMetadata("config change without a version")
	case *n.Version == 1:
		if n.EntityType == nil || n.EntityName == nil || *n.EntityName == "" || (*n.EntityType != "topics" && *n.EntityType != "clients") {
			return "", badMetadata("config change (version 1): want entity_type topics or clients and an entity_name")
		}
		entity = *n.EntityType + "/" + *n.EntityName
	case *n.Version == 2:
		if n.EntityPath == nil {
			return "", badMetadata("config change (version 2) without an entity_path")
		}
		entity = *n.EntityPath
	default:
		return "", badMetadata("config change of version %d", *n.Version)
	}
	root, name, ok := strings.Cut(entity, "/")
	if !ok || name == "" || !slices.Contains([]string{"topics", "clients", "users", "brokers", "ips"}, root) {
		return "", badMetadata("config change: entity %q is not <type>/<name> of a known type", entity)
	}
	return entity, nil
}
