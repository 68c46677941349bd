package main

// The Kafka admin tools as subcommands: `topics` (kafka-topics.sh) lives
// here with the helpers the four share; `console-producer` and
// `console-consumer` are in kafkacli_console.go, `groups` in
// kafkacli_groups.go. They take Kafka's own flags (Go's flag package accepts
// the double-dash spelling) and print what Kafka 3.9's tools print, so they
// work against the sluice broker and any Kafka cluster alike.

import (
	"context"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// listFlag is a repeatable string flag (--config k=v --config k2=v2).
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// keyValues splits k=v flag values, failing on one without '='.
func keyValues(flagName string, vs []string) (map[string]string, error) {
	m := make(map[string]string, len(vs))
	for _, v := range vs {
		k, val, ok := strings.Cut(v, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--%s %q: want key=value", flagName, v)
		}
		m[k] = val
	}
	return m, nil
}

// kafkaClient connects to the comma-separated bootstrap servers.
func kafkaClient(bootstrap string, opts ...kgo.Opt) (*kgo.Client, error) {
	if bootstrap == "" {
		return nil, errors.New("missing required argument \"[bootstrap-server]\"")
	}
	seeds := strings.Split(bootstrap, ",")
	return kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(seeds...)}, opts...)...)
}

// kafkaMessage is the message Kafka's tools print for a failed request:
// the broker's own message if it sent one, else the error code's text.
func kafkaMessage(err error, brokerMsg string) string {
	if brokerMsg != "" {
		return brokerMsg
	}
	if ke := (*kerr.Error)(nil); errors.As(err, &ke) {
		return ke.Description
	}
	return err.Error()
}

// errorsOf joins the per-item failures of a request, or returns nil.
func errorsOf(msgs []string) error {
	if len(msgs) == 0 {
		return nil
	}
	return errors.New(strings.Join(msgs, "; "))
}

// topicMatcher is how Kafka reads --topic outside of --create: a regular
// expression matching whole names, commas meaning "or".
func topicMatcher(topic string) (*regexp.Regexp, error) {
	if topic == "" {
		return regexp.MustCompile(""), nil
	}
	re, err := regexp.Compile("^(?:" + strings.ReplaceAll(topic, ",", "|") + ")$")
	if err != nil {
		return nil, fmt.Errorf("--topic %q: %w", topic, err)
	}
	return re, nil
}

func runTopics(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("sluice topics", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	bootstrap := fs.String("bootstrap-server", "", "REQUIRED: the Kafka server(s) to connect to, host:port[,host:port…]")
	create := fs.Bool("create", false, "create a new topic")
	list := fs.Bool("list", false, "list all available topics")
	describe := fs.Bool("describe", false, "list details for the given topics")
	alter := fs.Bool("alter", false, "alter the number of partitions of a topic")
	del := fs.Bool("delete", false, "delete a topic")
	topic := fs.String("topic", "", "the topic to create, alter, describe or delete; outside --create a regular expression (commas mean or)")
	partitions := fs.Int("partitions", -1, "the number of partitions for the topic being created or altered (default: the broker's num.partitions)")
	rf := fs.Int("replication-factor", -1, "the replication factor of each partition of the topic being created (default: the broker's default.replication.factor)")
	var configs listFlag
	fs.Var(&configs, "config", "a topic configuration override for the topic being created, key=value (repeatable)")
	ifNotExists := fs.Bool("if-not-exists", false, "with --create: only create the topic if it does not already exist")
	ifExists := fs.Bool("if-exists", false, "with --alter, --describe or --delete: only act if the topic exists")
	excludeInternal := fs.Bool("exclude-internal", false, "with --list or --describe: leave out internal topics")
	zookeeper := fs.String("zookeeper", "", "instead of --bootstrap-server, as Kafka 2.x's tool: read and write the cluster's znodes, host:port[,host:port…][/chroot] (--create, --list, --describe, --delete)")
	replicaAssignment := fs.String("replica-assignment", "", "with --zookeeper --create: the brokers of each partition, b1:b2,b1:b2,…")
	zkTLSFile := fs.String("zk-tls-config-file", "", "with --zookeeper: the file where ZooKeeper client TLS connectivity properties are defined (Kafka's zookeeper.ssl.* keys, as kafka-configs.sh reads them; other keys are ignored); with a key store, created znodes get Kafka's secure ACLs")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	actions := 0
	for _, b := range []bool{*create, *list, *describe, *alter, *del} {
		if b {
			actions++
		}
	}
	if actions != 1 {
		return errors.New("exactly one of --create, --list, --describe, --alter or --delete must be given")
	}
	if (*create || *alter || *del) && *topic == "" {
		return errors.New("missing required argument \"[topic]\"")
	}
	if *alter && *partitions < 0 {
		return errors.New("--alter needs --partitions")
	}
	if *zookeeper != "" {
		if *bootstrap != "" {
			return errors.New("Only one of --bootstrap-server or --zookeeper must be specified")
		}
		if *alter {
			return errors.New("--alter with --zookeeper is not supported: use --bootstrap-server")
		}
		cfg, err := keyValues("config", configs)
		if err != nil {
			return err
		}
		return runTopicsZK(ctx, e.stdout, zkTopicsOpts{
			connect: *zookeeper, create: *create, list: *list, describe: *describe, del: *del,
			topic: *topic, partitions: *partitions, rf: *rf, replicaAssignment: *replicaAssignment,
			configs: cfg, ifNotExists: *ifNotExists, ifExists: *ifExists, exclInt: *excludeInternal,
			tlsFile: *zkTLSFile,
		})
	}
	if *zkTLSFile != "" {
		return errors.New("--zk-tls-config-file is only supported with --zookeeper")
	}
	if *replicaAssignment != "" {
		return errors.New("--replica-assignment is only supported with --zookeeper")
	}
	cl, err := kafkaClient(*bootstrap)
	if err != nil {
		return err
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)

	if *create {
		cfg, err := keyValues("config", configs)
		if err != nil {
			return err
		}
		return createTopic(ctx, e.stdout, adm, *topic, *partitions, *rf, cfg, *ifNotExists)
	}
	re, err := topicMatcher(*topic)
	if err != nil {
		return err
	}
	all, err := adm.ListTopicsWithInternal(ctx)
	if err != nil {
		return err
	}
	var names []string
	for _, d := range all.Sorted() {
		if re.MatchString(d.Topic) && !(d.IsInternal && *excludeInternal) {
			names = append(names, d.Topic)
		}
	}
	if len(names) == 0 && *topic != "" && !*ifExists && !*list {
		return fmt.Errorf("Topic '%s' does not exist as expected", *topic)
	}
	switch {
	case *list:
		for _, n := range names {
			fmt.Fprintln(e.stdout, n)
		}
		return nil
	case *describe:
		return describeTopics(ctx, e.stdout, cl, adm, all, names)
	case *alter:
		rs, err := adm.UpdatePartitions(ctx, *partitions, names...)
		if err != nil {
			return err
		}
		var failed []string
		for _, r := range rs.Sorted() {
			if r.Err != nil {
				failed = append(failed, kafkaMessage(r.Err, r.ErrMessage))
			}
		}
		return errorsOf(failed)
	default: // delete
		rs, err := adm.DeleteTopics(ctx, names...)
		if err != nil {
			return err
		}
		var failed []string
		for _, r := range rs.Sorted() {
			if r.Err != nil {
				failed = append(failed, fmt.Sprintf("Topic '%s': %s", r.Topic, kafkaMessage(r.Err, r.ErrMessage)))
			}
		}
		return errorsOf(failed)
	}
}

func createTopic(ctx context.Context, w io.Writer, adm *kadm.Client, topic string, partitions, rf int, cfg map[string]string, ifNotExists bool) error {
	if strings.ContainsAny(topic, "._") {
		fmt.Fprintln(w, "WARNING: Due to limitations in metric names, topics with a period ('.') or underscore ('_') could collide. To avoid issues it is best to use either, but not both.")
	}
	configs := make(map[string]*string, len(cfg))
	for k, v := range cfg {
		configs[k] = &v
	}
	r, err := adm.CreateTopic(ctx, int32(partitions), int16(rf), configs, topic)
	if err == nil {
		err = r.Err
	}
	switch {
	case errors.Is(err, kerr.TopicAlreadyExists) && ifNotExists:
		return nil
	case err != nil:
		return errors.New(kafkaMessage(err, r.ErrMessage))
	}
	_, err = fmt.Fprintf(w, "Created topic %s.\n", topic)
	return err
}

// partitionInfo is one partition as `--describe` prints it. hasELR is set
// when the broker answered DescribeTopicPartitions (Kafka 3.8+), the only
// request that carries the eligible leader replicas; without it Kafka 3.9's
// tool prints N/A in the Elr and LastKnownElr columns.
type partitionInfo struct {
	partition, leader         int32
	replicas, isr, elr, lkElr []int32
	hasELR                    bool
}

func describeTopics(ctx context.Context, w io.Writer, cl *kgo.Client, adm *kadm.Client, all kadm.TopicDetails, names []string) error {
	if len(names) == 0 {
		return nil
	}
	parts, err := topicPartitions(ctx, cl, adm, all, names)
	if err != nil {
		return err
	}
	cfgs, err := adm.DescribeTopicConfigs(ctx, names...)
	if err != nil {
		return err
	}
	for _, rc := range cfgs {
		if rc.Err != nil {
			return fmt.Errorf("Topic '%s': %s", rc.Name, kafkaMessage(rc.Err, rc.ErrMessage))
		}
	}
	for _, name := range names {
		var set []string
		if i := slices.IndexFunc(cfgs, func(rc kadm.ResourceConfig) bool { return rc.Name == name }); i >= 0 {
			for _, c := range cfgs[i].Configs {
				if c.Source != kmsg.ConfigSourceDefaultConfig {
					set = append(set, c.Key+"="+valueOrNull(c.Value))
				}
			}
		}
		ps := parts[name]
		rf := 0
		if len(ps) > 0 {
			rf = len(ps[0].replicas)
		}
		id := all[name].ID
		fmt.Fprintf(w, "Topic: %s\tTopicId: %s\tPartitionCount: %d\tReplicationFactor: %d\tConfigs: %s\n",
			name, base64.RawURLEncoding.EncodeToString(id[:]), len(ps), rf, strings.Join(set, ","))
		for _, p := range ps {
			leader := "none"
			if p.leader >= 0 {
				leader = strconv.Itoa(int(p.leader))
			}
			fmt.Fprintf(w, "\tTopic: %s\tPartition: %d\tLeader: %s\tReplicas: %s\tIsr: %s",
				name, p.partition, leader, joinIDs(p.replicas), joinIDs(p.isr))
			if p.hasELR {
				fmt.Fprintf(w, "\tElr: %s\tLastKnownElr: %s", joinIDs(p.elr), joinIDs(p.lkElr))
			} else {
				// Kafka 3.9's tool against a broker without
				// DescribeTopicPartitions.
				fmt.Fprint(w, "\tElr: N/A\tLastKnownElr: N/A")
			}
			if _, err := fmt.Fprintln(w); err != nil {
				return err
			}
		}
	}
	return nil
}

// topicPartitions returns the partitions of the named topics sorted by
// number, asking as Kafka's admin client does: DescribeTopicPartitions when
// every broker supports it, else the Metadata answer already in all.
func topicPartitions(ctx context.Context, cl *kgo.Client, adm *kadm.Client, all kadm.TopicDetails, names []string) (map[string][]partitionInfo, error) {
	out := make(map[string][]partitionInfo, len(names))
	versions, err := adm.ApiVersions(ctx)
	if err != nil {
		return nil, err
	}
	dtp := len(versions) > 0
	for _, v := range versions {
		if _, ok := v.KeyMaxVersion(75); v.Err != nil || !ok {
			dtp = false
		}
	}
	if !dtp {
		for _, name := range names {
			d := all[name]
			if d.Err != nil {
				return nil, fmt.Errorf("Topic '%s': %s", name, kafkaMessage(d.Err, ""))
			}
			for _, p := range d.Partitions.Sorted() {
				out[name] = append(out[name], partitionInfo{partition: p.Partition, leader: p.Leader, replicas: p.Replicas, isr: p.ISR})
			}
		}
		return out, nil
	}
	req := kmsg.NewPtrDescribeTopicPartitionsRequest()
	req.ResponsePartitionLimit = 2000
	for _, n := range names {
		t := kmsg.NewDescribeTopicPartitionsRequestTopic()
		t.Topic = n
		req.Topics = append(req.Topics, t)
	}
	for {
		resp, err := req.RequestWith(ctx, cl)
		if err != nil {
			return nil, err
		}
		for _, t := range resp.Topics {
			name := valueOrNull(t.Topic)
			if err := kerr.ErrorForCode(t.ErrorCode); err != nil {
				return nil, fmt.Errorf("Topic '%s': %s", name, kafkaMessage(err, ""))
			}
			for _, p := range t.Partitions {
				out[name] = append(out[name], partitionInfo{
					partition: p.Partition, leader: p.LeaderID, replicas: p.Replicas, isr: p.ISR,
					elr: p.EligibleLeaderReplicas, lkElr: p.LastKnownELR, hasELR: true,
				})
			}
		}
		if resp.NextCursor == nil {
			break
		}
		req.Cursor = &kmsg.DescribeTopicPartitionsRequestCursor{Topic: resp.NextCursor.Topic, Partition: resp.NextCursor.Partition}
	}
	for _, ps := range out {
		slices.SortFunc(ps, func(a, b partitionInfo) int { return int(a.partition - b.partition) })
	}
	return out, nil
}

func joinIDs(ids []int32) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.Itoa(int(id))
	}
	return strings.Join(s, ",")
}

func valueOrNull(s *string) string {
	if s == nil {
		return "null"
	}
	return *s
}
