package main

// `sluice topics --zookeeper host:port[,…][/chroot]`: kafka-topics.sh of
// Kafka 2.7 and earlier, which reads and writes the cluster's znodes
// directly instead of asking a broker. Create writes the assignment
// (/brokers/topics/<t>) and the config (/config/topics/<t>) and leaves the
// partition states to the controller; delete only marks the topic under
// /admin/delete_topics for the controller to carry out. The output is
// Kafka 2.7's (no TopicId, no Elr columns).

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/sluicelogs/sluice/internal/zktls"
)

// zkTopicsOpts are the flags of `topics --zookeeper`.
type zkTopicsOpts struct {
	connect                        string
	create, list, describe, del    bool
	topic                          string
	partitions, rf                 int
	replicaAssignment              string
	configs                        map[string]string
	ifNotExists, ifExists, exclInt bool
	tlsFile                        string // --zk-tls-config-file
}

// zkTopics is a ZooKeeper session under the connect string's chroot.
type zkTopics struct {
	conn   *zk.Conn
	chroot string
	secure bool // create znodes with Kafka's secure ACLs
	out    io.Writer
}

func (z *zkTopics) p(path string) string { return z.chroot + path }

// acl is the ACL of a znode created at full (a path with the chroot).
func (z *zkTopics) acl(full string) []zk.ACL {
	return zktls.KafkaACL(z.secure, strings.TrimPrefix(full, z.chroot))
}

// splitChroot splits "h1:2181,h2:2181/kafka" into its servers and "/kafka",
// as ZooKeeper's client reads a connect string.
func splitChroot(connect string) (servers []string, chroot string) {
	hosts := connect
	if i := strings.IndexByte(connect, '/'); i >= 0 {
		hosts, chroot = connect[:i], strings.TrimSuffix(connect[i:], "/")
	}
	return strings.Split(hosts, ","), chroot
}

// kafkaInternalTopics are Kafka's internal topics (Topic.isInternal).
var kafkaInternalTopics = []string{"__consumer_offsets", "__transaction_state"}

func runTopicsZK(ctx context.Context, w io.Writer, o zkTopicsOpts) error {
	servers, chroot := splitChroot(o.connect)
	dial, secure, err := zkTLSConfigFile(o.tlsFile)
	if err != nil {
		return err
	}
	conn, err := zkConnect(ctx, servers, 30*time.Second, slog.New(slog.DiscardHandler), dial)
	if err != nil {
		return err
	}
	defer conn.Close()
	z := &zkTopics{conn: conn, chroot: chroot, secure: secure, out: w}
	if o.create {
		return z.create(o)
	}
	names, err := z.topics(o.topic, o.exclInt)
	if err != nil {
		return err
	}
	if len(names) == 0 && o.topic != "" && !o.ifExists && !o.list {
		return fmt.Errorf("Topic '%s' does not exist as expected", o.topic)
	}
	switch {
	case o.list:
		return z.printList(names)
	case o.describe:
		return z.describe(names)
	}
	return z.markDeleted(names)
}

// topics returns the topics under /brokers/topics that --topic matches,
// sorted.
func (z *zkTopics) topics(topic string, excludeInternal bool) ([]string, error) {
	re, err := topicMatcher(topic)
	if err != nil {
		return nil, err
	}
	all, _, err := z.conn.Children(z.p("/brokers/topics"))
	if errors.Is(err, zk.ErrNoNode) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", z.p("/brokers/topics"), err)
	}
	sort.Strings(all)
	var names []string
	for _, n := range all {
		if re.MatchString(n) && !(excludeInternal && slices.Contains(kafkaInternalTopics, n)) {
			names = append(names, n)
		}
	}
	return names, nil
}

func (z *zkTopics) markedForDeletion(topic string) (bool, error) {
	ok, _, err := z.conn.Exists(z.p("/admin/delete_topics/" + topic))
	if err != nil {
		return false, fmt.Errorf("topic %s: %w", topic, err)
	}
	return ok, nil
}

func (z *zkTopics) printList(names []string) error {
	for _, n := range names {
		marked, err := z.markedForDeletion(n)
		if err != nil {
			return err
		}
		if marked {
			n += " - marked for deletion"
		}
		if _, err := fmt.Fprintln(z.out, n); err != nil {
			return err
		}
	}
	return nil
}

// zkAssignment is /brokers/topics/<t> as Kafka 2.7 writes it.
type zkAssignment struct {
	Version    int                `json:"version"`
	Partitions map[string][]int32 `json:"partitions"`
	Adding     map[string][]int32 `json:"adding_replicas"`
	Removing   map[string][]int32 `json:"removing_replicas"`
}

// zkPartitionState is the part of /brokers/topics/<t>/partitions/<n>/state
// that describe shows.
type zkPartitionState struct {
	Leader int32   `json:"leader"`
	ISR    []int32 `json:"isr"`
}

func (z *zkTopics) describe(names []string) error {
	for _, name := range names {
		b, _, err := z.conn.Get(z.p("/brokers/topics/" + name))
		if errors.Is(err, zk.ErrNoNode) { // deleted since it was listed
			fmt.Fprintf(z.out, "Topic %s doesn't exist!\n", name)
			continue
		}
		if err != nil {
			return fmt.Errorf("topic %s: %w", name, err)
		}
		var asg zkAssignment
		if err := json.Unmarshal(b, &asg); err != nil {
			return fmt.Errorf("topic %s: assignment %s: %w", name, z.p("/brokers/topics/"+name), err)
		}
		cfg, err := z.topicConfig(name)
		if err != nil {
			return err
		}
		marked, err := z.markedForDeletion(name)
		if err != nil {
			return err
		}
		mark := ""
		if marked {
			mark = "\tMarkedForDeletion: true"
		}
		parts := make([]int, 0, len(asg.Partitions))
		for k := range asg.Partitions {
			n, err := strconv.Atoi(k)
			if err != nil {
				return fmt.Errorf("topic %s: partition %q: %w", name, k, err)
			}
			parts = append(parts, n)
		}
		sort.Ints(parts)
		rf := 0
		if len(parts) > 0 {
			rf = len(asg.Partitions[strconv.Itoa(parts[0])])
		}
		fmt.Fprintf(z.out, "Topic: %s\tPartitionCount: %d\tReplicationFactor: %d\tConfigs: %s%s\n", name, len(parts), rf, cfg, mark)
		for _, p := range parts {
			leader, isr := "none", ""
			sb, _, err := z.conn.Get(z.p(fmt.Sprintf("/brokers/topics/%s/partitions/%d/state", name, p)))
			switch {
			case errors.Is(err, zk.ErrNoNode): // the controller has not got to it
			case err != nil:
				return fmt.Errorf("topic %s partition %d: %w", name, p, err)
			default:
				var st zkPartitionState
				if err := json.Unmarshal(sb, &st); err != nil {
					return fmt.Errorf("topic %s partition %d state: %w", name, p, err)
				}
				if st.Leader >= 0 {
					leader = strconv.Itoa(int(st.Leader))
				}
				isr = joinIDs(st.ISR)
			}
			if _, err := fmt.Fprintf(z.out, "\tTopic: %s\tPartition: %d\tLeader: %s\tReplicas: %s\tIsr: %s%s\n",
				name, p, leader, joinIDs(asg.Partitions[strconv.Itoa(p)]), isr, mark); err != nil {
				return err
			}
		}
	}
	return nil
}

// topicConfig is the topic's overrides as describe prints them: k=v,…
// sorted by key.
func (z *zkTopics) topicConfig(name string) (string, error) {
	b, _, err := z.conn.Get(z.p("/config/topics/" + name))
	if errors.Is(err, zk.ErrNoNode) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("topic %s config: %w", name, err)
	}
	var c struct {
		Config map[string]string `json:"config"`
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return "", fmt.Errorf("topic %s config %s: %w", name, z.p("/config/topics/"+name), err)
	}
	kv := make([]string, 0, len(c.Config))
	for k, v := range c.Config {
		kv = append(kv, k+"="+v)
	}
	sort.Strings(kv)
	return strings.Join(kv, ","), nil
}

func (z *zkTopics) markDeleted(names []string) error {
	for _, name := range names {
		if slices.Contains(kafkaInternalTopics, name) {
			return fmt.Errorf("Topic %s is a kafka internal topic and is not allowed to be marked for deletion.", name)
		}
		mark := z.p("/admin/delete_topics/" + name)
		_, err := z.conn.Create(mark, nil, 0, z.acl(mark))
		if errors.Is(err, zk.ErrNoNode) { // no /admin/delete_topics yet
			if err = z.createParents(z.p("/admin/delete_topics")); err == nil {
				_, err = z.conn.Create(mark, nil, 0, z.acl(mark))
			}
		}
		switch {
		case errors.Is(err, zk.ErrNodeExists):
			fmt.Fprintf(z.out, "Topic %s is already marked for deletion.\n", name)
		case err != nil:
			return fmt.Errorf("Error while deleting topic %s: %w", name, err)
		default:
			fmt.Fprintf(z.out, "Topic %s is marked for deletion.\nNote: This will have no impact if delete.topic.enable is not set to true.\n", name)
		}
	}
	return nil
}

// createParents creates path and its missing ancestors.
func (z *zkTopics) createParents(path string) error {
	at := ""
	for _, part := range strings.Split(strings.TrimPrefix(path, "/"), "/") {
		at += "/" + part
		if _, err := z.conn.Create(at, nil, 0, z.acl(at)); err != nil && !errors.Is(err, zk.ErrNodeExists) {
			return fmt.Errorf("create %s: %w", at, err)
		}
	}
	return nil
}

var legalTopicName = regexp.MustCompile(`^[a-zA-Z0-9._-]+$`)

// validateTopicName refuses what Kafka's Topic.validate refuses, with its
// messages.
func validateTopicName(t string) error {
	switch {
	case t == "":
		return errors.New("Topic name is illegal, it can't be empty")
	case t == "." || t == "..":
		return errors.New("Topic name cannot be \".\" or \"..\"")
	case len(t) > 249:
		return fmt.Errorf("Topic name is illegal, it can't be longer than 249 characters, topic name: %s", t)
	case !legalTopicName.MatchString(t):
		return fmt.Errorf("Topic name \"%s\" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'", t)
	}
	return nil
}
