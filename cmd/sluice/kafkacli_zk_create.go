package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"

	"github.com/go-zookeeper/zk"
)

// create is Kafka 2.7's AdminZkClient.createTopic: validate, write the
// config, then the assignment; the controller, watching /brokers/topics,
// elects leaders and writes the partition states.
func (z *zkTopics) create(o zkTopicsOpts) error {
	if err := validateTopicName(o.topic); err != nil {
		return err
	}
	if strings.ContainsAny(o.topic, "._") {
		fmt.Fprintln(z.out, "WARNING: Due to limitations in metric names, topics with a period ('.') or underscore ('_') could collide. To avoid issues it is best to use either, but not both.")
	}
	var asg [][]int32
	if o.replicaAssignment != "" {
		var err error
		if asg, err = parseReplicaAssignment(o.replicaAssignment); err != nil {
			return err
		}
	} else {
		if o.partitions < 0 {
			return errors.New("Missing required argument \"[partitions]\"")
		}
		if o.rf < 0 {
			return errors.New("Missing required argument \"[replication-factor]\"")
		}
		brokers, err := z.brokerIDs()
		if err != nil {
			return err
		}
		asg, err = assignReplicas(brokers, o.partitions, o.rf, rand.IntN, -1)
		if err != nil {
			return err
		}
	}
	err := z.writeTopic(o.topic, asg, o.configs)
	if errors.Is(err, errZKTopicExists) && o.ifNotExists {
		return nil
	}
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(z.out, "Created topic %s.\n", o.topic)
	return err
}

var errZKTopicExists = errors.New("topic exists")

func (z *zkTopics) writeTopic(topic string, asg [][]int32, configs map[string]string) error {
	if marked, err := z.markedForDeletion(topic); err != nil {
		return err
	} else if marked {
		return fmt.Errorf("Topic \"%s\" is marked for deletion.", topic)
	}
	tp := z.p("/brokers/topics/" + topic)
	if ok, _, err := z.conn.Exists(tp); err != nil {
		return fmt.Errorf("topic %s: %w", topic, err)
	} else if ok {
		return fmt.Errorf("Topic '%s' already exists: %w", topic, errZKTopicExists)
	}
	if strings.ContainsAny(topic, "._") {
		existing, err := z.topics("", false)
		if err != nil {
			return err
		}
		norm := func(s string) string { return strings.ReplaceAll(s, ".", "_") }
		var collide []string
		for _, t := range existing {
			if norm(t) == norm(topic) {
				collide = append(collide, t)
			}
		}
		if len(collide) > 0 {
			return fmt.Errorf("Topic '%s' collides with existing topics: %s", topic, strings.Join(collide, ", "))
		}
	}
	if configs == nil {
		configs = map[string]string{}
	}
	cb, err := json.Marshal(map[string]any{"version": 1, "config": configs})
	if err != nil {
		return err
	}
	parts := make(map[string][]int32, len(asg))
	for i, rs := range asg {
		parts[strconv.Itoa(i)] = rs
	}
	ab, err := json.Marshal(zkAssignment{Version: 2, Partitions: parts, Adding: map[string][]int32{}, Removing: map[string][]int32{}})
	if err != nil {
		return err
	}
	// The config first (set or created, as Kafka's setOrCreateEntityConfigs
	// does), so that the controller finds it with the assignment.
	cp := z.p("/config/topics/" + topic)
	if _, err := z.conn.Set(cp, cb, -1); errors.Is(err, zk.ErrNoNode) {
		if err := z.createParents(z.p("/config/topics")); err != nil {
			return err
		}
		if _, err := z.conn.Create(cp, cb, 0, z.acl(cp)); err != nil {
			return fmt.Errorf("create %s: %w", cp, err)
		}
	} else if err != nil {
		return fmt.Errorf("set %s: %w", cp, err)
	}
	_, err = z.conn.Create(tp, ab, 0, z.acl(tp))
	if errors.Is(err, zk.ErrNoNode) {
		if err = z.createParents(z.p("/brokers/topics")); err == nil {
			_, err = z.conn.Create(tp, ab, 0, z.acl(tp))
		}
	}
	if errors.Is(err, zk.ErrNodeExists) {
		return fmt.Errorf("Topic '%s' already exists: %w", topic, errZKTopicExists)
	}
	if err != nil {
		return fmt.Errorf("create %s: %w", tp, err)
	}
	return nil
}

// brokerIDs are the registered brokers (/brokers/ids), sorted.
func (z *zkTopics) brokerIDs() ([]int32, error) {
	kids, _, err := z.conn.Children(z.p("/brokers/ids"))
	if err != nil && !errors.Is(err, zk.ErrNoNode) {
		return nil, fmt.Errorf("list %s: %w", z.p("/brokers/ids"), err)
	}
	ids := make([]int32, 0, len(kids))
	for _, k := range kids {
		id, err := strconv.ParseInt(k, 10, 32)
		if err != nil {
			continue // not a broker's registration
		}
		ids = append(ids, int32(id))
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids, nil
}

// assignReplicas places partitions on brokers as Kafka's rack-unaware
// assignment does: partition p's first replica on broker (start+p) mod n,
// the others at a shift that grows by one every n partitions, so leaders
// and followers both spread evenly. start and the first shift are drawn
// with randn (Kafka draws them at random) unless fixed is ≥ 0.
func assignReplicas(brokers []int32, partitions, rf int, randn func(int) int, fixed int) ([][]int32, error) {
	n := len(brokers)
	switch {
	case partitions <= 0:
		return nil, errors.New("Number of partitions must be larger than 0.")
	case rf <= 0:
		return nil, errors.New("Replication factor must be larger than 0.")
	case rf > n:
		return nil, fmt.Errorf("Replication factor: %d larger than available brokers: %d.", rf, n)
	}
	start, shift := fixed, fixed
	if fixed < 0 {
		start, shift = randn(n), randn(n)
	}
	out := make([][]int32, partitions)
	for p := range partitions {
		if p > 0 && p%n == 0 {
			shift++
		}
		first := (p + start) % n
		rs := []int32{brokers[first]}
		for j := range rf - 1 {
			rs = append(rs, brokers[(first+1+(shift+j)%(n-1))%n])
		}
		out[p] = rs
	}
	return out, nil
}

// parseReplicaAssignment reads --replica-assignment "1:2,2:3,3:1": a
// partition's brokers separated by colons, partitions by commas.
func parseReplicaAssignment(s string) ([][]int32, error) {
	var out [][]int32
	for i, part := range strings.Split(s, ",") {
		var rs []int32
		for _, b := range strings.Split(part, ":") {
			id, err := strconv.ParseInt(strings.TrimSpace(b), 10, 32)
			if err != nil {
				return nil, fmt.Errorf("--replica-assignment %q: %w", s, err)
			}
			for _, r := range rs {
				if r == int32(id) {
					return nil, fmt.Errorf("Partition replica lists may not contain duplicate entries: %d", id)
				}
			}
			rs = append(rs, int32(id))
		}
		if i > 0 && len(rs) != len(out[0]) {
			return nil, fmt.Errorf("Partition %d has different replication factor: %s", i, part)
		}
		out = append(out, rs)
	}
	return out, nil
}
