package broker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-zookeeper/zk"
)

// clusterMeta is the broker's client of the cluster metadata: it keeps the
// cluster's state in the coordinator (or a real ZooKeeper) the way Kafka
// 2.x keeps it in ZooKeeper, so Kafka's own tools and ZooKeeper agree:
//
//	/brokers/ids/<id>                              ephemeral, the broker's endpoints
//	/brokers/topics/<t>                            {"version":2,"partitions":{"0":[1,2,3],…}}
//	/brokers/topics/<t>/partitions/<n>/state       {"leader":1,"leader_epoch":0,"isr":[…],…}
//	/config/topics/<t>                             {"version":1,"config":{…}}
//	/admin/delete_topics/<t>                       a topic to delete (controller.go)
//	/controller                                    ephemeral {"version":1,"brokerid":1,…}
//	/controller_epoch                              "1"
//	/cluster/id                                    {"version":"1","id":"…"} (clusterid.go)
//	/config/changes/config_change_<seq>            {"version":2,"entity_path":"topics/<t>"} (configchanges.go)
//
// all below zookeeper.connect's chroot. What is read back is decoded by
// metajson.go, which trusts none of it: a node that breaks an invariant
// fails with errBadMetadata naming what is wrong, and a topic whose
// metadata does not decode is skipped (logged) by topics(), so it stops
// neither the controller nor a broker's start.
type clusterMeta struct {
	conn   *zk.Conn
	chroot string
	log    *slog.Logger

	// renewed is signalled when the client has a new session after the
	// coordinator expired the old one: the broker's ephemeral
	// registration (and /controller, if it held it) went with it.
	renewed chan struct{}
	expired atomic.Bool

	setACL bool // zookeeper.set.acl: Kafka's secure ACLs (acl, zkclient_tls.go)
}

func dialClusterMeta(cfg *Config, log *slog.Logger) (*clusterMeta, error) {
	m := &clusterMeta{chroot: cfg.ZooKeeperChroot, log: log, renewed: make(chan struct{}, 1), setACL: cfg.ZooKeeperTLS.SetACL}
	dial, err := zkDialer(cfg) // zookeeper.ssl.client.enable (zkclient_tls.go)
	if err != nil {
		return nil, err
	}
	if dial == nil {
		dial = net.DialTimeout // go-zookeeper's default
	}
	conn, events, err := zk.Connect(cfg.ZooKeeperConnect, cfg.ZooKeeperSessionTimeout, zk.WithLogger(zkLogger{log}),
		zk.WithEventCallback(m.sessionEvent), zk.WithDialer(dial))
	if err != nil {
		return nil, fmt.Errorf("broker: connect to %v: %w", cfg.ZooKeeperConnect, err)
	}
	deadline := time.After(cfg.ZooKeeperTimeout)
	for connected := false; !connected; {
		select {
		case ev := <-events:
			connected = ev.State == zk.StateHasSession
		case <-deadline:
			conn.Close()
			return nil, fmt.Errorf("broker: no session with %v within zookeeper.connection.timeout.ms (%s)", cfg.ZooKeeperConnect, cfg.ZooKeeperTimeout)
		}
	}
	m.conn = conn
	for _, p := range []string{"/brokers/ids", "/brokers/topics", "/config/topics", "/admin/delete_topics", logDirEvents} {
		if err := m.ensure(p); err != nil {
			conn.Close()
			return nil, err
		}
	}
	return m, nil
}

func (m *clusterMeta) close() { m.conn.Close() }

// sessionEvent notes session expiry and signals renewed at the next
// session. It runs on the zk client's goroutine: it must not block.
func (m *clusterMeta) sessionEvent(ev zk.Event) {
	if ev.Type != zk.EventSession {
		return
	}
	switch ev.State {
	case zk.StateExpired:
		m.expired.Store(true)
		m.log.Warn("coordinator session expired")
	case zk.StateHasSession:
		if m.expired.Swap(false) {
			select {
			case m.renewed <- struct{}{}:
			default:
			}
		}
	}
}

func (m *clusterMeta) p(p string) string { return m.chroot + p }

// ensure creates p and its parents (chroot included) if missing.
func (m *clusterMeta) ensure(p string) error {
	full := m.p(p)
	parts := strings.Split(strings.Trim(full, "/"), "/")
	cur := ""
	for _, part := range parts {
		cur += "/" + part
		if _, err := m.conn.Create(cur, nil, 0, m.aclFor(cur)); err != nil && !errors.Is(err, zk.ErrNodeExists) {
			return fmt.Errorf("broker: create %s: %w", cur, err)
		}
	}
	return nil
}

type brokerInfo struct {
	ListenerMap map[string]string `json:"listener_security_protocol_map"`
	Endpoints   []string          `json:"endpoints"`
	JMXPort     int               `json:"jmx_port"`
	Host        *string           `json:"host"` // the PLAINTEXT endpoint's, null without one
	Port        int32             `json:"port"`
	Version     int               `json:"version"`
	Timestamp   string            `json:"timestamp"`
	Rack        *string           `json:"rack,omitempty"`

	// sluice's own: the log directories that failed on this broker and
	// the replicas on them (or that could not open for want of an
	// online directory), by topic. The controller treats those replicas
	// as dead. Gone when the broker restarts (the node is ephemeral).
	OfflineLogDirs  []string           `json:"offline_log_dirs,omitempty"`
	OfflineReplicas map[string][]int32 `json:"offline_replicas,omitempty"`
}

func newBrokerInfo() brokerInfo {
	return brokerInfo{JMXPort: -1, Version: 4, Timestamp: strconv.FormatInt(time.Now().UnixMilli(), 10)}
}

// hosts reports whether this broker's replica of the partition can serve:
// it is not on a failed log directory.
func (i brokerInfo) hosts(topic string, index int32) bool {
	return !slices.Contains(i.OfflineReplicas[topic], index)
}

// registerBroker creates /brokers/ids/<id>. A node left by this broker's
// previous session (it was killed) goes away when that session expires,
// so a NodeExists is retried for up to wait, or until ctx ends.
func (m *clusterMeta) registerBroker(ctx context.Context, id int32, info brokerInfo, wait time.Duration) error {
	b, _ := json.Marshal(info)
	p := m.p("/brokers/ids/" + strconv.Itoa(int(id)))
	deadline := time.Now().Add(wait)
	for {
		_, err := m.conn.Create(p, b, zk.FlagEphemeral, m.aclFor(p))
		if err == nil {
			return nil
		}
		if !errors.Is(err, zk.ErrNodeExists) || time.Now().After(deadline) {
			return fmt.Errorf("broker: register %s: %w", p, err)
		}
		m.log.Info("broker id still registered by an earlier session; waiting for it to expire", "path", p)
		if !sleepCtx(ctx, 500*time.Millisecond) {
			return fmt.Errorf("broker: register %s: %w", p, ctx.Err())
		}
	}
}

// updateRegistration rewrites this broker's registration (its offline
// replicas changed).
func (m *clusterMeta) updateRegistration(id int32, info brokerInfo) error {
	b, _ := json.Marshal(info)
	p := m.p("/brokers/ids/" + strconv.Itoa(int(id)))
	if _, err := m.conn.Set(p, b, -1); err != nil {
		return fmt.Errorf("broker: update %s: %w", p, err)
	}
	return nil
}

// logDirEvents is where brokers tell the controller a log directory
// failed, as Kafka's do: a sequential node
// log_dir_event_<n> = {"version":1,"broker":<id>,"event":1}.
const logDirEvents = "/log_dir_event_notification"

func (m *clusterMeta) notifyLogDirEvent(id int32) error {
	b, _ := json.Marshal(map[string]any{"version": 1, "broker": id, "event": 1})
	if _, err := m.conn.Create(m.p(logDirEvents+"/log_dir_event_"), b, zk.FlagSequence, m.aclFor(m.p(logDirEvents))); err != nil {
		return fmt.Errorf("broker: log dir event: %w", err)
	}
	return nil
}

// brokers returns the registered brokers by id.
func (m *clusterMeta) brokers() (map[int32]brokerInfo, error) {
	ids, _, err := m.conn.Children(m.p("/brokers/ids"))
	if err != nil {
		return nil, fmt.Errorf("broker: list brokers: %w", err)
	}
	out := map[int32]brokerInfo{}
	for _, s := range ids {
		id, err := strconv.Atoi(s)
		if err != nil {
			continue
		}
		b, _, err := m.conn.Get(m.p("/brokers/ids/" + s))
		if err != nil {
			continue // went away meanwhile
		}
		var info brokerInfo
		if json.Unmarshal(b, &info) == nil {
			out[int32(id)] = info
		}
	}
	return out, nil
}

// claimController makes this broker the controller if no one is, bumping
// /controller_epoch. It returns the controller's broker id (-1 if none
// could be read), and when that is this broker, the new epoch and the
// version of /controller_epoch that fences this controller's writes.
func (m *clusterMeta) claimController(id int32) (controller int32, epoch int, epochVersion int32, err error) {
	b, _ := json.Marshal(map[string]any{"version": 1, "brokerid": id, "timestamp": strconv.FormatInt(time.Now().UnixMilli(), 10)})
	_, err = m.conn.Create(m.p("/controller"), b, zk.FlagEphemeral, m.aclFor(m.p("/controller")))
	if errors.Is(err, zk.ErrNodeExists) {
		cur, err := m.controllerID()
		return cur, 0, 0, err
	}
	if err != nil {
		return -1, 0, 0, fmt.Errorf("broker: claim controller: %w", err)
	}
	for {
		old, st, err := m.conn.Get(m.p("/controller_epoch"))
		if errors.Is(err, zk.ErrNoNode) {
			_, err := m.conn.Create(m.p("/controller_epoch"), []byte("1"), 0, m.aclFor(m.p("/controller_epoch")))
			if errors.Is(err, zk.ErrNodeExists) {
				continue
			}
			if err != nil {
				return id, 0, 0, fmt.Errorf("broker: create controller epoch: %w", err)
			}
			_, stat, err := m.conn.Get(m.p("/controller_epoch"))
			if err != nil {
				return id, 0, 0, fmt.Errorf("broker: read controller epoch: %w", err)
			}
			return id, 1, stat.Version, nil
		}
		if err != nil {
			return id, 0, 0, fmt.Errorf("broker: read controller epoch: %w", err)
		}
		n, _ := strconv.Atoi(string(old))
		stat, err := m.conn.Set(m.p("/controller_epoch"), []byte(strconv.Itoa(n+1)), st.Version)
		if errors.Is(err, zk.ErrBadVersion) {
			continue
		}
		if err != nil {
			return id, 0, 0, fmt.Errorf("broker: bump controller epoch: %w", err)
		}
		return id, n + 1, stat.Version, nil
	}
}

// controllerID reads /controller: the broker id, or -1 when there is none.
func (m *clusterMeta) controllerID() (int32, error) {
	cur, _, err := m.conn.Get(m.p("/controller"))
	if errors.Is(err, zk.ErrNoNode) {
		return -1, nil
	}
	if err != nil {
		return -1, fmt.Errorf("broker: read controller: %w", err)
	}
	var c struct {
		BrokerID int32 `json:"brokerid"`
	}
	if err := json.Unmarshal(cur, &c); err != nil {
		return -1, fmt.Errorf("broker: /controller: %w", err)
	}
	return c.BrokerID, nil
}

func (m *clusterMeta) statePath(topic string, index int32) string {
	return m.p("/brokers/topics/" + topic + "/partitions/" + strconv.Itoa(int(index)) + "/state")
}

// partitionState reads one partition's state and its node version.
func (m *clusterMeta) partitionState(topic string, index int32) (partitionState, int32, error) {
	b, stat, err := m.conn.Get(m.statePath(topic, index))
	if err != nil {
		return partitionState{}, 0, fmt.Errorf("broker: read state of %s-%d: %w", topic, index, err)
	}
	st, err := decodePartitionState(b)
	if err != nil {
		return st, 0, fmt.Errorf("broker: state of %s-%d: %w", topic, index, err)
	}
	return st, stat.Version, nil
}

// partitionStateW is partitionState with a watch on the node.
func (m *clusterMeta) partitionStateW(topic string, index int32) (partitionState, int32, <-chan zk.Event, error) {
	b, stat, ch, err := m.conn.GetW(m.statePath(topic, index))
	if err != nil {
		return partitionState{}, 0, nil, fmt.Errorf("broker: watch state of %s-%d: %w", topic, index, err)
	}
	st, err := decodePartitionState(b)
	if err != nil {
		return st, 0, nil, fmt.Errorf("broker: state of %s-%d: %w", topic, index, err)
	}
	return st, stat.Version, ch, nil
}

// setPartitionState writes a partition's state if its node is still at
// version (zk.ErrBadVersion otherwise), returning the new version: how a
// leader changes its ISR.
func (m *clusterMeta) setPartitionState(topic string, index int32, st partitionState, version int32) (int32, error) {
	b, _ := json.Marshal(st)
	stat, err := m.conn.Set(m.statePath(topic, index), b, version)
	if err != nil {
		return 0, fmt.Errorf("broker: write state of %s-%d: %w", topic, index, err)
	}
	return stat.Version, nil
}

// errControllerMoved is a controller's write refused because another
// broker has become controller since (its /controller_epoch changed).
var errControllerMoved = errors.New("another broker became controller")

// setPartitionStateAsController is setPartitionState fenced by the
// controller epoch.
func (m *clusterMeta) setPartitionStateAsController(topic string, index int32, st partitionState, version, epochVersion int32) error {
	b, _ := json.Marshal(st)
	if err := m.multiAsController(epochVersion, &zk.SetDataRequest{Path: m.statePath(topic, index), Data: b, Version: version}); err != nil {
		return fmt.Errorf("broker: write state of %s-%d: %w", topic, index, err)
	}
	return nil
}

// multiAsController runs ops in one multi after a check that
// /controller_epoch is still at epochVersion, as Kafka's controller
// fences its writes: a failed check is errControllerMoved.
func (m *clusterMeta) multiAsController(epochVersion int32, ops ...any) error {
	ops = append([]any{&zk.CheckVersionRequest{Path: m.p("/controller_epoch"), Version: epochVersion}}, ops...)
	res, err := m.conn.Multi(ops...)
	if err != nil && len(res) > 0 && errors.Is(res[0].Error, zk.ErrBadVersion) {
		return errControllerMoved
	}
	return err
}

// removeAsController removes the node at p (below the chroot; gone
// already is fine), fenced by the controller epoch.
func (m *clusterMeta) removeAsController(p string, epochVersion int32) error {
	err := m.multiAsController(epochVersion, &zk.DeleteRequest{Path: m.p(p), Version: -1})
	if errors.Is(err, errControllerMoved) {
		return err
	}
	if err != nil && !errors.Is(err, zk.ErrNoNode) {
		return fmt.Errorf("broker: remove %s: %w", p, err)
	}
	return nil
}

// topicAssignment is /brokers/topics/<t>.
type topicAssignment struct {
	Version    int                `json:"version"`
	TopicID    string             `json:"topic_id,omitempty"`
	Partitions map[string][]int32 `json:"partitions"`
	Adding     map[string][]int32 `json:"adding_replicas"`
	Removing   map[string][]int32 `json:"removing_replicas"`
}

// partitionState is /brokers/topics/<t>/partitions/<n>/state.
type partitionState struct {
	ControllerEpoch int     `json:"controller_epoch"`
	Leader          int32   `json:"leader"`
	Version         int     `json:"version"`
	LeaderEpoch     int32   `json:"leader_epoch"`
	ISR             []int32 `json:"isr"`
}

// topic is a topic as the cluster metadata describes it.
type topic struct {
	name     string
	id       string    // base64 (URL alphabet, no padding) of the 16-byte topic id
	replicas [][]int32 // by partition
	states   []partitionState
	versions []int32 // of each partition's state node; -1 where it does not exist
	config   map[string]string
	// reassigning holds the partitions being reassigned (reassignmeta.go)
	reassigning map[int32]reassignment

	assignment        []byte // /brokers/topics/<t> as read
	assignmentVersion int32  // its node version
	created           int64  // its node's czxid: a topic deleted and created again has a new one
}

// createTopic writes a new topic's config, assignment and partition
// states in one multi, so a topic appears whole or not at all: a broker
// that sees the topic also sees its config (min.insync.replicas, …).
func (m *clusterMeta) createTopic(t *topic) error {
	asg := topicAssignment{Version: 3, TopicID: t.id, Partitions: map[string][]int32{}, Adding: map[string][]int32{}, Removing: map[string][]int32{}}
	for i, reps := range t.replicas {
		asg.Partitions[strconv.Itoa(i)] = reps
	}
	ab, _ := json.Marshal(asg)
	cfg := t.config
	if cfg == nil {
		cfg = map[string]string{}
	}
	cb, _ := json.Marshal(map[string]any{"version": 1, "config": cfg})
	base := m.p("/brokers/topics/" + t.name)
	cp := m.p("/config/topics/" + t.name)
	ops := []any{
		&zk.CreateRequest{Path: cp, Data: cb, Acl: m.aclFor(cp)},
		&zk.CreateRequest{Path: base, Data: ab, Acl: m.aclFor(base)},
		&zk.CreateRequest{Path: base + "/partitions", Acl: m.aclFor(base)},
	}
	for i, st := range t.states {
		sb, _ := json.Marshal(st)
		pp := base + "/partitions/" + strconv.Itoa(i)
		ops = append(ops, &zk.CreateRequest{Path: pp, Acl: m.aclFor(pp)}, &zk.CreateRequest{Path: pp + "/state", Data: sb, Acl: m.aclFor(pp)})
	}
	for attempt := 0; ; attempt++ {
		_, err := m.conn.Multi(ops...)
		if err == nil {
			return nil
		}
		if !errors.Is(err, zk.ErrNodeExists) {
			return fmt.Errorf("broker: create topic %s: %w", t.name, err)
		}
		if ok, _, _ := m.conn.Exists(base); ok {
			return errTopicExists
		}
		if attempt > 0 {
			return fmt.Errorf("broker: create topic %s: %w", t.name, err)
		}
		// A config left behind by a topic deleted half-way: replace it.
		if err := m.conn.Delete(cp, -1); err != nil && !errors.Is(err, zk.ErrNoNode) {
			return fmt.Errorf("broker: topic %s: stale config: %w", t.name, err)
		}
	}
}

var errTopicExists = errors.New("topic exists")

// addPartitions extends a topic's assignment with new partitions.
func (m *clusterMeta) addPartitions(t *topic, from int) error {
	base := m.p("/brokers/topics/" + t.name)
	b, st, err := m.conn.Get(base)
	if err != nil {
		return fmt.Errorf("broker: topic %s: %w", t.name, err)
	}
	var asg topicAssignment
	if err := json.Unmarshal(b, &asg); err != nil {
		return fmt.Errorf("broker: topic %s assignment: %w", t.name, err)
	}
	if asg.Partitions == nil {
		asg.Partitions = map[string][]int32{}
	}
	ops := []any{}
	for i := from; i < len(t.replicas); i++ {
		asg.Partitions[strconv.Itoa(i)] = t.replicas[i]
		sb, _ := json.Marshal(t.states[i])
		pp := base + "/partitions/" + strconv.Itoa(i)
		ops = append(ops, &zk.CreateRequest{Path: pp, Acl: m.aclFor(pp)}, &zk.CreateRequest{Path: pp + "/state", Data: sb, Acl: m.aclFor(pp)})
	}
	ab, _ := json.Marshal(asg)
	ops = append([]any{&zk.SetDataRequest{Path: base, Data: ab, Version: st.Version}}, ops...)
	if _, err := m.conn.Multi(ops...); err != nil {
		return fmt.Errorf("broker: add partitions to %s: %w", t.name, err)
	}
	return nil
}

// topics reads every topic.
func (m *clusterMeta) topics() (map[string]*topic, error) {
	names, _, err := m.conn.Children(m.p("/brokers/topics"))
	if err != nil {
		return nil, fmt.Errorf("broker: list topics: %w", err)
	}
	out := map[string]*topic{}
	for _, name := range names {
		t, err := m.topic(name)
		if errors.Is(err, errBadMetadata) {
			// One topic written wrong (by hand, or another program)
			// must not stop the controller or the broker's start.
			m.log.Error("skipping a topic whose metadata does not decode", "topic", name, "err", err)
			continue
		}
		if err != nil {
			if errors.Is(err, zk.ErrNoNode) {
				continue
			}
			return nil, err
		}
		out[name] = t
	}
	return out, nil
}

func (m *clusterMeta) topic(name string) (*topic, error) {
	base := m.p("/brokers/topics/" + name)
	b, stat, err := m.conn.Get(base)
	if err != nil {
		return nil, fmt.Errorf("broker: topic %s: %w", name, err)
	}
	id, replicas, err := decodeAssignment(b)
	if err != nil {
		return nil, fmt.Errorf("broker: topic %s: %w", name, err)
	}
	reassigning, err := decodeReassignments(b, replicas)
	if err != nil {
		return nil, fmt.Errorf("broker: topic %s: %w", name, err)
	}
	t := &topic{name: name, id: id, replicas: replicas, reassigning: reassigning, assignment: b, assignmentVersion: stat.Version,
		created: stat.Czxid, states: make([]partitionState, len(replicas)), versions: make([]int32, len(replicas))}
	for i, reps := range replicas {
		sb, stat, err := m.conn.Get(path.Join(base, "partitions", strconv.Itoa(i), "state"))
		switch {
		case errors.Is(err, zk.ErrNoNode): // being created
			t.states[i], t.versions[i] = partitionState{Leader: -1, ISR: reps}, -1
		case err != nil:
			return nil, fmt.Errorf("broker: topic %s partition %d: %w", name, i, err)
		default:
			if t.states[i], err = decodePartitionState(sb); err != nil {
				return nil, fmt.Errorf("broker: topic %s partition %d: %w", name, i, err)
			}
			t.versions[i] = stat.Version
		}
	}
	cb, _, err := m.conn.Get(m.p("/config/topics/" + name))
	switch {
	case errors.Is(err, zk.ErrNoNode):
	case err != nil:
		return nil, fmt.Errorf("broker: topic %s config: %w", name, err)
	default:
		if t.config, err = decodeTopicConfig(cb); err != nil {
			return nil, fmt.Errorf("broker: topic %s: %w", name, err)
		}
	}
	return t, nil
}

// deleteTopic removes a topic's nodes, its config and its deletion
// marker (/admin/delete_topics/<t>, if any) in one multi, deepest first,
// so no broker ever reads a topic half deleted (and opens it again).
// A node added meanwhile fails the multi: it is tried again.
func (m *clusterMeta) deleteTopic(name string) error {
	return m.deleteTopicOps(name, nil)
}

// deleteTopicAsController is deleteTopic fenced by the controller epoch.
func (m *clusterMeta) deleteTopicAsController(name string, epochVersion int32) error {
	return m.deleteTopicOps(name, &zk.CheckVersionRequest{Path: m.p("/controller_epoch"), Version: epochVersion})
}

// deleteTopicOps is deleteTopic with fence, if not nil, as the multi's
// first operation: its failure is errControllerMoved.
func (m *clusterMeta) deleteTopicOps(name string, fence *zk.CheckVersionRequest) error {
	base := m.p("/brokers/topics/" + name)
	for attempt := 0; ; attempt++ {
		var ops []any
		if fence != nil {
			ops = append(ops, fence)
		}
		if err := m.collectDeletes(base, &ops); err != nil {
			return err
		}
		for _, p := range []string{"/config/topics/" + name, "/admin/delete_topics/" + name} {
			if ok, _, err := m.conn.Exists(m.p(p)); err == nil && ok {
				ops = append(ops, &zk.DeleteRequest{Path: m.p(p), Version: -1})
			}
		}
		if len(ops) == 0 || (fence != nil && len(ops) == 1) {
			return nil
		}
		res, err := m.conn.Multi(ops...)
		if err == nil {
			return nil
		}
		if fence != nil && len(res) > 0 && errors.Is(res[0].Error, zk.ErrBadVersion) {
			return errControllerMoved
		}
		if attempt >= 3 || !(errors.Is(err, zk.ErrNotEmpty) || errors.Is(err, zk.ErrNoNode)) {
			return fmt.Errorf("broker: delete topic %s: %w", name, err)
		}
	}
}

// deletionMarkers lists /admin/delete_topics: the topics someone asked
// to delete through ZooKeeper (Kafka 2.x's kafka-topics.sh --delete
// --zookeeper writes there).
func (m *clusterMeta) deletionMarkers() ([]string, error) {
	names, _, err := m.conn.Children(m.p("/admin/delete_topics"))
	if err != nil {
		return nil, fmt.Errorf("broker: list topics to delete: %w", err)
	}
	return names, nil
}

// startPartitions completes a topic written to the coordinator by another
// program (Kafka 2.x's tools write only the assignment and the config):
// it creates the state nodes in states (by partition) and, when id is not
// empty, writes it into the assignment as its topic_id (version 3, as
// Kafka 2.8+ does), in one multi fenced by the controller epoch. The
// assignment is rewritten even with no id, at the version read, so the
// multi fails if it changed since (the next pass reads it again) and
// every broker's watch on it fires and reads the new states.
func (m *clusterMeta) startPartitions(t *topic, id string, states map[int32]partitionState, epochVersion int32) error {
	asg, err := withTopicID(t.assignment, id)
	if err != nil {
		return fmt.Errorf("broker: topic %s: %w", t.name, err)
	}
	base := m.p("/brokers/topics/" + t.name)
	ops := []any{&zk.SetDataRequest{Path: base, Data: asg, Version: t.assignmentVersion}}
	create := func(p string, data []byte) error {
		ok, _, err := m.conn.Exists(p)
		if err != nil {
			return fmt.Errorf("broker: topic %s: %w", t.name, err)
		}
		if !ok {
			ops = append(ops, &zk.CreateRequest{Path: p, Data: data, Acl: m.aclFor(p)})
		}
		return nil
	}
	if len(states) > 0 {
		if err := create(base+"/partitions", nil); err != nil {
			return err
		}
	}
	for _, i := range slices.Sorted(maps.Keys(states)) {
		pp := base + "/partitions/" + strconv.Itoa(int(i))
		if err := create(pp, nil); err != nil {
			return err
		}
		sb, _ := json.Marshal(states[i])
		ops = append(ops, &zk.CreateRequest{Path: pp + "/state", Data: sb, Acl: m.aclFor(pp)})
	}
	if err := m.multiAsController(epochVersion, ops...); err != nil {
		return fmt.Errorf("broker: start partitions of %s: %w", t.name, err)
	}
	return nil
}

// collectDeletes appends the deletes of p's subtree, children first.
func (m *clusterMeta) collectDeletes(p string, ops *[]any) error {
	kids, _, err := m.conn.Children(p)
	if errors.Is(err, zk.ErrNoNode) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("broker: delete %s: %w", p, err)
	}
	sort.Strings(kids)
	for _, k := range kids {
		if err := m.collectDeletes(p+"/"+k, ops); err != nil {
			return err
		}
	}
	*ops = append(*ops, &zk.DeleteRequest{Path: p, Version: -1})
	return nil
}

// zkLogger sends go-zookeeper's log lines to slog at debug level.
type zkLogger struct{ l *slog.Logger }

func (z zkLogger) Printf(format string, args ...any) {
	z.l.Debug(fmt.Sprintf(format, args...), "component", "zk-client")
}
