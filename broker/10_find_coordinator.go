package broker

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// findCoordinator names this broker as the coordinator of every group (it
// holds __consumer_offsets). Transaction coordinators are not offered.
func (b *Broker) findCoordinator(req *kmsg.FindCoordinatorRequest) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.FindCoordinatorResponse)
	keys := req.CoordinatorKeys
	if req.GetVersion() < 4 {
		keys = []string{req.CoordinatorKey}
	}
	for _, key := range keys {
		c := kmsg.NewFindCoordinatorResponseCoordinator()
		c.Key = key
		if req.CoordinatorType != 0 {
			c.ErrorCode = kerr.CoordinatorNotAvailable.Code
		} else {
			c.NodeID, c.Host, c.Port = b.cfg.BrokerID, b.cfg.AdvertisedHost, b.cfg.AdvertisedPort
		}
		resp.Coordinators = append(resp.Coordinators, c)
	}
	if req.GetVersion() < 4 && len(resp.Coordinators) == 1 {
		c := resp.Coordinators[0]
		resp.ErrorCode, resp.NodeID, resp.Host, resp.Port = c.ErrorCode, c.NodeID, c.Host, c.Port
	}
	return resp
}
