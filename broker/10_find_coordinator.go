package broker

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// findCoordinator names the leader of __consumer_offsets-0 as the
// coordinator of every group. Transaction coordinators are not offered.
func (b *Broker) findCoordinator(req *kmsg.FindCoordinatorRequest) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.FindCoordinatorResponse)
	keys := req.CoordinatorKeys
	if req.GetVersion() < 4 {
		keys = []string{req.CoordinatorKey}
	}
	if err := b.ensureOffsetsTopic(); err != nil {
		b.log.Warn("creating the offsets topic", "err", err)
	}
	id, info, ok := b.groupCoordinator()
	for _, key := range keys {
		c := kmsg.NewFindCoordinatorResponseCoordinator()
		c.Key = key
		if req.CoordinatorType != 0 || !ok {
			c.ErrorCode = kerr.CoordinatorNotAvailable.Code
		} else {
			c.NodeID, c.Host, c.Port = id, info.Host, info.Port
		}
		resp.Coordinators = append(resp.Coordinators, c)
	}
	if req.GetVersion() < 4 && len(resp.Coordinators) == 1 {
		c := resp.Coordinators[0]
		resp.ErrorCode, resp.NodeID, resp.Host, resp.Port = c.ErrorCode, c.NodeID, c.Host, c.Port
	}
	return resp
}

// groupCoordinator returns the broker leading __consumer_offsets-0.
func (b *Broker) groupCoordinator() (int32, brokerInfo, bool) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	t := b.topics[offsetsTopic]
	if t == nil || len(t.states) == 0 {
		return 0, brokerInfo{}, false
	}
	leader := t.states[0].Leader
	info, ok := b.brokers[leader]
	return leader, info, ok && leader >= 0
}
