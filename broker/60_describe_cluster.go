package broker

import (
	"context"
	"sort"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// DescribeCluster v0–v1 answers the cluster id (/cluster/id), the
// controller and the live brokers, as Metadata does; v1 asks for an
// endpoint type, and a request for the controllers' endpoints (2) is
// MISMATCHED_ENDPOINT_TYPE, as a Kafka broker answers it. Authorized
// operations are not computed (no ACLs): the field keeps its "not asked"
// value. Every version is flexible.
var describeClusterAPI = api{key: kmsg.DescribeCluster, min: 0, max: 1, handle: (*Broker).handleDescribeCluster}

func (b *Broker) handleDescribeCluster(_ context.Context, c *conn, r *request) (kmsg.Response, error) {
	req := r.kreq.(*kmsg.DescribeClusterRequest)
	resp := req.ResponseKind().(*kmsg.DescribeClusterResponse)
	if req.GetVersion() >= 1 {
		resp.EndpointType = req.EndpointType
		if req.EndpointType != 1 {
			resp.ErrorCode = kerr.MismatchedEndpointType.Code
			resp.ErrorMessage = kmsg.StringPtr("The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type " + endpointTypeName(req.EndpointType))
			return resp, nil
		}
	}
	if err := b.refreshBrokers(); err != nil {
		b.log.Warn("describe cluster: reading brokers", "err", err)
	}
	resp.ClusterID = b.clusterID
	resp.ControllerID = b.controllerID()
	b.mu.RLock()
	for id, info := range b.brokers {
		host, port, ok := info.endpoint(c.listenerName()) // as in Metadata
		if !ok {
			continue
		}
		mb := kmsg.NewDescribeClusterResponseBroker()
		mb.NodeID, mb.Host, mb.Port, mb.Rack = id, host, port, info.Rack
		resp.Brokers = append(resp.Brokers, mb)
	}
	b.mu.RUnlock()
	sort.Slice(resp.Brokers, func(i, j int) bool { return resp.Brokers[i].NodeID < resp.Brokers[j].NodeID })
	return resp, nil
}

func endpointTypeName(t int8) string {
	switch t {
	case 1:
		return "BROKER"
	case 2:
		return "CONTROLLER"
	}
	return "UNKNOWN"
}
