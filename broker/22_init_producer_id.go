package broker

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// InitProducerId v0–v4 gives an idempotent producer a new id, epoch 0
// (transactional ids are refused). Ids come in blocks reserved in the
// cluster metadata, so they are unique across brokers and restarts. v3+
// (bumping the epoch of an existing id, KIP-360) is answered like v0: a
// new id. v2+ is flexible. With an authorizer, as Kafka 3's
// KafkaApis: IDEMPOTENT_WRITE on the cluster, or WRITE on some topic
// (KIP-679), else CLUSTER_AUTHORIZATION_FAILED.
var initProducerIDAPI = api{key: kmsg.InitProducerID, min: 0, max: 4, handle: (*Broker).handleInitProducerID}

func (b *Broker) handleInitProducerID(_ context.Context, c *conn, r *request) (kmsg.Response, error) {
	req := r.kreq.(*kmsg.InitProducerIDRequest)
	resp := req.ResponseKind().(*kmsg.InitProducerIDResponse)
	if req.TransactionalID != nil {
		resp.ErrorCode = kerr.TransactionalIDAuthorizationFailed.Code
		return resp, nil
	}
	if b.authz != nil && !c.authorizedCluster(kmsg.ACLOperationIdempotentWrite) &&
		!b.authz.AuthorizeAny(c.principal, remoteIP(c.nc), kmsg.ACLOperationWrite, kmsg.ACLResourceTypeTopic) {
		resp.ErrorCode = kerr.ClusterAuthorizationFailed.Code
		return resp, nil
	}
	id, err := b.producerIDs.nextID(b.meta, b.cfg.BrokerID)
	if err != nil {
		b.log.Error("allocating a producer id", "err", err)
		resp.ErrorCode = kerr.CoordinatorNotAvailable.Code
		return resp, nil
	}
	resp.ProducerID, resp.ProducerEpoch = id, 0
	return resp, nil
}
