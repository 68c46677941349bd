package broker

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicelogs/sluice/broker/group"
)

// FindCoordinator v0–v4 names, as a group's coordinator, the leader of
// the group's __consumer_offsets partition, abs(hashCode(group)) % the
// topic's partitions as Kafka computes it (group.PartitionFor), creating
// the topic on first use as Kafka does. v4 batches keys
// (CoordinatorKeys); older versions ask for one and get the answer in
// the top-level fields. A partition without a live leader, or a topic
// not created yet, is COORDINATOR_NOT_AVAILABLE. Transaction coordinators (key
// type 1, v1+) are not offered: COORDINATOR_NOT_AVAILABLE. With an
// authorizer, as Kafka's: a group the principal may not DESCRIBE answers
// GROUP_AUTHORIZATION_FAILED, a transactional id it may not DESCRIBE
// TRANSACTIONAL_ID_AUTHORIZATION_FAILED.
var findCoordinatorAPI = api{key: kmsg.FindCoordinator, min: 0, max: 4, handle: (*Broker).handleFindCoordinator}

// groupKeyType is FindCoordinator's key type for a consumer group.
const groupKeyType int8 = 0

func (b *Broker) handleFindCoordinator(_ context.Context, cn *conn, r *request) (kmsg.Response, error) {
	req := r.kreq.(*kmsg.FindCoordinatorRequest)
	resp := req.ResponseKind().(*kmsg.FindCoordinatorResponse)
	keys := req.CoordinatorKeys
	if req.GetVersion() < 4 {
		keys = []string{req.CoordinatorKey}
	}
	if err := b.ensureOffsetsTopic(); err != nil {
		b.log.Warn("creating the offsets topic", "err", err)
	}
	for _, key := range keys {
		c := kmsg.NewFindCoordinatorResponseCoordinator()
		c.Key = key
		id, info, ok := b.groupHost(key)
		// The coordinator's endpoint of the request's listener; without
		// one it is not available to this client, as in Kafka.
		host, port, hasEndpoint := info.endpoint(cn.listenerName())
		switch {
		case req.CoordinatorType == groupKeyType && !cn.authorizedGroup(kmsg.ACLOperationDescribe, key):
			c.ErrorCode = kerr.GroupAuthorizationFailed.Code
		case req.CoordinatorType != groupKeyType && !cn.authorized(kmsg.ACLOperationDescribe, kmsg.ACLResourceTypeTransactionalId, key):
			c.ErrorCode = kerr.TransactionalIDAuthorizationFailed.Code
		case req.CoordinatorType != groupKeyType || !ok || !hasEndpoint:
			c.ErrorCode = kerr.CoordinatorNotAvailable.Code
		default:
			c.NodeID, c.Host, c.Port = id, host, port
		}
		resp.Coordinators = append(resp.Coordinators, c)
	}
	if req.GetVersion() < 4 && len(resp.Coordinators) == 1 {
		c := resp.Coordinators[0]
		resp.ErrorCode, resp.NodeID, resp.Host, resp.Port = c.ErrorCode, c.NodeID, c.Host, c.Port
	}
	return resp, nil
}

// groupHost returns the broker leading group id's __consumer_offsets
// partition: it runs the group's manager, so it is the group's
// coordinator in the protocol's terms.
func (b *Broker) groupHost(id string) (int32, brokerInfo, bool) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	t := b.topics[offsetsTopic]
	if t == nil || len(t.states) == 0 {
		return 0, brokerInfo{}, false
	}
	leader := t.states[group.PartitionFor(id, int32(len(t.states)))].Leader
	info, ok := b.brokers[leader]
	return leader, info, ok && leader >= 0
}
