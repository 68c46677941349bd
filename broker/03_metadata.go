package broker

import (
	"context"
	"slices"
	"sort"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Metadata v0–v12 lists the live brokers, the controller and the asked
// topics (all of them for a nil list, and for an empty one in v0) with
// each partition's leader, leader epoch, replicas and ISR. A topic this
// broker does not know yet is read from the cluster metadata first (created
// through another broker a moment ago), then auto-created when
// auto.create.topics.enable allows it (v4+: and the request does). v5+
// lists each partition's offline replicas: those of brokers that are not
// registered, and those a broker registered as offline (on a failed log
// directory, see logdirs.go), as Kafka's controller counts them. A
// partition without a leader, or whose leader is not registered or has
// its replica offline, answers LEADER_NOT_AVAILABLE with leader -1 and
// its last leader epoch, as Kafka's metadata cache does (Kafka's
// controller has by then written the leader -1; here the leader's
// registration may say so first). v0, which has no offline replicas,
// lists only the replicas and ISR members of registered brokers and
// answers REPLICA_NOT_AVAILABLE when it left one out (Kafka's
// errorUnavailableEndpoints). A partition the controller never started
// (no state in ZooKeeper: its replicas' brokers were all down when it was
// created) is left out while others of its topic are listed, as it is
// from Kafka's metadata cache, which holds only the partitions the
// controller sent a leader and ISR for; a topic none of whose partitions
// has started yet (created a moment ago) lists them all leaderless. v10+
// names topics by id too; v9+ is flexible.
//
// With an authorizer, as Kafka's KafkaApis: a listing of all topics
// leaves out those the principal may not DESCRIBE; a topic asked for by
// name that it may not DESCRIBE answers TOPIC_AUTHORIZATION_FAILED,
// whether or not it exists; auto-creating one needs CREATE on the
// cluster or on the topic, else TOPIC_AUTHORIZATION_FAILED.
var metadataAPI = api{key: kmsg.Metadata, min: 0, max: 12, handle: (*Broker).handleMetadata}

func (b *Broker) handleMetadata(_ context.Context, c *conn, r *request) (kmsg.Response, error) {
	req := r.kreq.(*kmsg.MetadataRequest)
	resp := req.ResponseKind().(*kmsg.MetadataResponse)
	if err := b.refreshBrokers(); err != nil {
		b.log.Warn("metadata: reading brokers", "err", err)
	}
	b.mu.RLock()
	ids := make([]int32, 0, len(b.brokers))
	for id := range b.brokers {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		// Each broker's endpoint of the listener the request came in on;
		// a broker without that listener is left out, as Kafka does.
		info := b.brokers[id]
		host, port, ok := info.endpoint(c.listenerName())
		if !ok {
			continue
		}
		mb := kmsg.NewMetadataResponseBroker()
		mb.NodeID, mb.Host, mb.Port, mb.Rack = id, host, port, info.Rack
		resp.Brokers = append(resp.Brokers, mb)
	}
	b.mu.RUnlock()
	resp.ClusterID = &b.clusterID // v2+
	resp.ControllerID = b.controllerID()

	var names []string
	all := req.Topics == nil || (req.GetVersion() == 0 && len(req.Topics) == 0)
	if all {
		b.mu.RLock()
		for name := range b.topics {
			names = append(names, name)
		}
		b.mu.RUnlock()
		sort.Strings(names)
	} else {
		for _, t := range req.Topics {
			names = append(names, b.requestedTopic(t.Topic, t.TopicID))
		}
	}
	denied := c.deniedTopics(kmsg.ACLOperationDescribe, names...)
	mayCreate := func(name string) bool {
		return c.authorizedCluster(kmsg.ACLOperationCreate) || c.authorized(kmsg.ACLOperationCreate, kmsg.ACLResourceTypeTopic, name)
	}
	for _, name := range names {
		if denied[name] {
			if !all {
				mt := kmsg.NewMetadataResponseTopic()
				mt.Topic = kmsg.StringPtr(name)
				mt.ErrorCode = kerr.TopicAuthorizationFailed.Code
				resp.Topics = append(resp.Topics, mt)
			}
			continue
		}
		ts := b.lookupTopic(name)
		if ts == nil && !all && validTopicName(name) {
			// Created through another broker a moment ago, before this
			// broker's watch said so: read it from the cluster metadata.
			b.reloadTopic(name)
			ts = b.lookupTopic(name)
		}
		if ts == nil && !all && b.cfg.AutoCreateTopics && (req.GetVersion() < 4 || req.AllowAutoTopicCreation) && validTopicName(name) {
			if !mayCreate(name) {
				mt := kmsg.NewMetadataResponseTopic()
				mt.Topic = kmsg.StringPtr(name)
				mt.ErrorCode = kerr.TopicAuthorizationFailed.Code
				resp.Topics = append(resp.Topics, mt)
				continue
			}
			if err := b.createTopic(name, -1, -1, nil, false); err != nil && err != kerr.TopicAlreadyExists {
				b.log.Warn("auto-creating topic", "topic", name, "err", err)
			}
			ts = b.lookupTopic(name)
		}
		mt := kmsg.NewMetadataResponseTopic()
		n := name
		mt.Topic = &n
		if ts == nil {
			mt.ErrorCode = kerr.UnknownTopicOrPartition.Code
			if !validTopicName(name) {
				mt.ErrorCode = kerr.InvalidTopicException.Code
			}
			resp.Topics = append(resp.Topics, mt)
			continue
		}
		mt.TopicID = ts.id
		mt.IsInternal = isInternalTopic(name)
		b.mu.RLock()
		started := slices.ContainsFunc(ts.versions, func(v int32) bool { return v >= 0 })
		for i, reps := range ts.replicas {
			if started && ts.versions[i] < 0 {
				continue
			}
			st := ts.states[i]
			mp := kmsg.NewMetadataResponseTopicPartition()
			mp.Partition, mp.Leader, mp.LeaderEpoch = int32(i), st.Leader, st.LeaderEpoch
			mp.Replicas, mp.ISR = reps, st.ISR
			mp.OfflineReplicas = b.offlineReplicasOf(name, int32(i), reps)
			if _, live := b.brokers[st.Leader]; !live || slices.Contains(mp.OfflineReplicas, st.Leader) {
				mp.ErrorCode, mp.Leader = kerr.LeaderNotAvailable.Code, -1
			}
			if req.GetVersion() == 0 {
				b.onlyLiveReplicas(&mp)
			}
			mt.Partitions = append(mt.Partitions, mp)
		}
		b.mu.RUnlock()
		resp.Topics = append(resp.Topics, mt)
	}
	return resp, nil
}

// onlyLiveReplicas is Metadata v0's view of a partition: its replicas and
// ISR without the brokers that are not registered, and REPLICA_NOT_AVAILABLE
// when that left one out and the leader is available (its own error
// comes first). b.mu is held.
func (b *Broker) onlyLiveReplicas(mp *kmsg.MetadataResponseTopicPartition) {
	dead := func(id int32) bool { _, live := b.brokers[id]; return !live }
	replicas := slices.DeleteFunc(slices.Clone(mp.Replicas), dead)
	isr := slices.DeleteFunc(slices.Clone(mp.ISR), dead)
	if mp.ErrorCode == 0 && (len(replicas) < len(mp.Replicas) || len(isr) < len(mp.ISR)) {
		mp.ErrorCode = kerr.ReplicaNotAvailable.Code
	}
	mp.Replicas, mp.ISR = replicas, isr
}

// offlineReplicasOf is which of a partition's replicas are offline: on a
// broker that is not registered, or named in its broker's
// offline_replicas. b.mu is held.
func (b *Broker) offlineReplicasOf(topic string, index int32, replicas []int32) []int32 {
	offline := []int32{}
	for _, r := range replicas {
		info, live := b.brokers[r]
		if !live || slices.Contains(info.OfflineReplicas[topic], index) {
			offline = append(offline, r)
		}
	}
	return offline
}

// requestedTopic is the topic a request's entry names: by name when it
// has one, else by topic id ("" when no topic has it).
func (b *Broker) requestedTopic(name *string, id [16]byte) string {
	if name != nil {
		return *name
	}
	return b.topicNameByID(id)
}

func (b *Broker) topicNameByID(id [16]byte) string {
	b.mu.RLock()
	defer b.mu.RUnlock()
	for name, t := range b.topics {
		if t.id == id {
			return name
		}
	}
	return ""
}
