package broker

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/go-zookeeper/zk"
)

// Partition reassignments in the cluster metadata, as Kafka 2.4+ keeps
// them (KIP-455):
//
//	/brokers/topics/<t>            {"version":2,"partitions":{"0":[4,2,1]},
//	                                "adding_replicas":{"0":[4]},"removing_replicas":{"0":[1]}}
//	/admin/reassign_partitions     {"version":1,"partitions":[{"topic":"t","partition":0,
//	                                "replicas":[4,2],"log_dirs":["any","any"]}]}
//
// While a partition is reassigned its replicas are the full set (the
// target's, in its order, then the original ones being removed); the
// target is that set less removing_replicas, the original less
// adding_replicas. The second node is what Kafka 2.x's
// kafka-reassign-partitions.sh --zookeeper writes; the controller starts
// the reassignments it names and removes each once it is done
// (controller_reassign.go).

// reassignment is a partition's reassignment in progress.
type reassignment struct {
	adding, removing []int32
}

func (r reassignment) active() bool { return len(r.adding) > 0 || len(r.removing) > 0 }

// reassignTo is the replica set and reassignment that move a partition
// whose replicas are cur (with r in progress) to target: Kafka's
// ReplicaAssignment.reassignTo. The original replicas stay those before
// r began.
func reassignTo(cur []int32, r reassignment, target []int32) ([]int32, reassignment) {
	orig := without(cur, r.adding)
	full := slices.Clone(target)
	for _, id := range orig {
		if !slices.Contains(full, id) {
			full = append(full, id)
		}
	}
	return full, reassignment{adding: without(target, orig), removing: without(orig, target)}
}

// without is a less the ids in b, in a's order.
func without(a, b []int32) []int32 {
	out := []int32{}
	for _, id := range a {
		if !slices.Contains(b, id) {
			out = append(out, id)
		}
	}
	return out
}

// decodeReassignments decodes an assignment's adding_replicas and
// removing_replicas (absent is none), given the replicas decodeAssignment
// read: each names an existing partition, with distinct replicas of it,
// no replica both added and removed, and at least one replica left
// both in the target and in the original.
func decodeReassignments(b []byte, replicas [][]int32) (map[int32]reassignment, error) {
	var asg struct {
		Adding   map[string][]int32 `json:"adding_replicas"`
		Removing map[string][]int32 `json:"removing_replicas"`
	}
	if err := json.Unmarshal(b, &asg); err != nil {
		return nil, badMetadata("assignment: %v", err)
	}
	out := map[int32]reassignment{}
	for field, m := range map[string]map[string][]int32{"adding_replicas": asg.Adding, "removing_replicas": asg.Removing} {
		for key, ids := range m {
			i, err := strconv.Atoi(key)
			if err != nil || i < 0 || i >= len(replicas) || strconv.Itoa(i) != key {
				return nil, badMetadata("assignment: %s names partition %q", field, key)
			}
			if err := checkBrokerIDs(ids, true); err != nil {
				return nil, badMetadata("assignment: %s of partition %d: %v", field, i, err)
			}
			if len(without(ids, replicas[i])) > 0 {
				return nil, badMetadata("assignment: %s of partition %d %v are not all among its replicas %v", field, i, ids, replicas[i])
			}
			r := out[int32(i)]
			if field == "adding_replicas" {
				r.adding = ids
			} else {
				r.removing = ids
			}
			out[int32(i)] = r
		}
	}
	for i, r := range out {
		// Neither the target (less the removed) nor the original (less
		// the added, what a cancel goes back to) may be empty.
		if len(without(r.adding, r.removing)) != len(r.adding) || len(without(replicas[i], r.removing)) == 0 || len(without(replicas[i], r.adding)) == 0 {
			return nil, badMetadata("assignment: partition %d adds %v and removes %v of %v", i, r.adding, r.removing, replicas[i])
		}
		if !r.active() {
			delete(out, i)
		}
	}
	return out, nil
}

// setReassignment rewrites t's assignment, at the version it was read,
// with partition index's replicas and reassignment (none when r is not
// active), keeping every other field; version 2 at least, the first with
// adding_replicas and removing_replicas. It is fenced by the controller
// epoch and runs with extra ops in one multi.
func (m *clusterMeta) setReassignment(t *topic, index int32, replicas []int32, r reassignment, epochVersion int32, extra ...any) error {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(t.assignment, &fields); err != nil || fields == nil {
		return badMetadata("assignment of %s is not an object: %v", t.name, err)
	}
	key := strconv.Itoa(int(index))
	edit := func(name string, ids []int32) error {
		var ms map[string][]int32
		if raw, ok := fields[name]; ok {
			if err := json.Unmarshal(raw, &ms); err != nil {
				return badMetadata("assignment of %s: %s: %v", t.name, name, err)
			}
		}
		if ms == nil {
			ms = map[string][]int32{}
		}
		if len(ids) > 0 {
			ms[key] = ids
		} else {
			delete(ms, key)
		}
		fields[name], _ = json.Marshal(ms)
		return nil
	}
	if err := errors.Join(edit("partitions", replicas), edit("adding_replicas", r.adding), edit("removing_replicas", r.removing)); err != nil {
		return err
	}
	var version int
	if json.Unmarshal(fields["version"], &version) != nil || version < 2 {
		fields["version"] = json.RawMessage("2")
	}
	b, _ := json.Marshal(fields)
	ops := append([]any{&zk.SetDataRequest{Path: m.p("/brokers/topics/" + t.name), Data: b, Version: t.assignmentVersion}}, extra...)
	if err := m.multiAsController(epochVersion, ops...); err != nil {
		return fmt.Errorf("broker: reassign %s-%d: %w", t.name, index, err)
	}
	return nil
}

// reassignPartitions is /admin/reassign_partitions.
const reassignPartitions = "/admin/reassign_partitions"

// reassignRequest is one entry of /admin/reassign_partitions.
type reassignRequest struct {
	Topic     string   `json:"topic"`
	Partition int32    `json:"partition"`
	Replicas  []int32  `json:"replicas"`
	LogDirs   []string `json:"log_dirs,omitempty"`
}

// decodeReassignPartitions decodes /admin/reassign_partitions: every
// entry with a topic, a partition number that is not negative and a
// replica list (checked when its reassignment starts).
func decodeReassignPartitions(b []byte) ([]reassignRequest, error) {
	var raw struct {
		Partitions []struct {
			Topic     *string  `json:"topic"`
			Partition *int32   `json:"partition"`
			Replicas  []int32  `json:"replicas"`
			LogDirs   []string `json:"log_dirs"`
		} `json:"partitions"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, badMetadata("partition reassignment: %v", err)
	}
	out := make([]reassignRequest, 0, len(raw.Partitions))
	for _, p := range raw.Partitions {
		if p.Topic == nil || p.Partition == nil || *p.Partition < 0 || p.Replicas == nil {
			return nil, badMetadata("partition reassignment: an entry without a topic, a partition number or replicas")
		}
		out = append(out, reassignRequest{Topic: *p.Topic, Partition: *p.Partition, Replicas: p.Replicas, LogDirs: p.LogDirs})
	}
	return out, nil
}

// setReassignPartitions rewrites /admin/reassign_partitions (at version)
// with the entries left, or removes it when none is, fenced by the
// controller epoch.
func (m *clusterMeta) setReassignPartitions(left []reassignRequest, version, epochVersion int32) error {
	var op any = &zk.DeleteRequest{Path: m.p(reassignPartitions), Version: version}
	if len(left) > 0 {
		b, _ := json.Marshal(map[string]any{"version": 1, "partitions": left})
		op = &zk.SetDataRequest{Path: m.p(reassignPartitions), Data: b, Version: version}
	}
	if err := m.multiAsController(epochVersion, op); err != nil {
		return fmt.Errorf("broker: rewrite %s: %w", reassignPartitions, err)
	}
	return nil
}
