package broker

import (
	"context"
	"errors"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// AlterPartitionReassignments v0 starts (replicas given) or cancels
// (null replicas) the reassignment of each partition, as Kafka's
// controller does (controller_reassign.go): kafka-reassign-partitions.sh
// --execute and --cancel, AdminClient's alterPartitionReassignments. Per
// partition: INVALID_REPLICA_ASSIGNMENT for an empty list, duplicate or
// negative ids, or a new replica on a broker that is not live;
// UNKNOWN_TOPIC_OR_PARTITION; NO_REASSIGNMENT_IN_PROGRESS for a cancel
// with none. The answer comes once the reassignment is written, not done
// (ListPartitionReassignments follows it). Only the controller serves
// it: another broker answers NOT_CONTROLLER, as Kafka's in ZooKeeper
// mode. v0 is flexible; v1 (Kafka 4.0: refusing a change of the
// replication factor) is not offered. With an authorizer, ALTER on the
// cluster is required, as in Kafka: without it the request and each
// partition answer CLUSTER_AUTHORIZATION_FAILED.
var alterPartitionReassignmentsAPI = api{key: kmsg.AlterPartitionAssignments, min: 0, max: 0, handle: (*Broker).handleAlterPartitionReassignments}

func (b *Broker) handleAlterPartitionReassignments(_ context.Context, c *conn, r *request) (kmsg.Response, error) {
	req := r.kreq.(*kmsg.AlterPartitionAssignmentsRequest)
	resp := req.ResponseKind().(*kmsg.AlterPartitionAssignmentsResponse)
	if !c.authorizedCluster(kmsg.ACLOperationAlter) {
		resp.ErrorCode = kerr.ClusterAuthorizationFailed.Code
		for _, rt := range req.Topics {
			st := kmsg.NewAlterPartitionAssignmentsResponseTopic()
			st.Topic = rt.Topic
			for _, rp := range rt.Partitions {
				sp := kmsg.NewAlterPartitionAssignmentsResponseTopicPartition()
				sp.Partition, sp.ErrorCode = rp.Partition, kerr.ClusterAuthorizationFailed.Code
				st.Partitions = append(st.Partitions, sp)
			}
			resp.Topics = append(resp.Topics, st)
		}
		return resp, nil
	}
	fence, ok := b.asController()
	if !ok {
		resp.ErrorCode = kerr.NotController.Code
		return resp, nil
	}
	live, err := b.meta.brokers()
	if err != nil {
		b.log.Warn("alter partition reassignments: reading brokers", "err", err)
		resp.ErrorCode = kerr.UnknownServerError.Code
		return resp, nil
	}
	for _, rt := range req.Topics {
		st := kmsg.NewAlterPartitionAssignmentsResponseTopic()
		st.Topic = rt.Topic
		for _, rp := range rt.Partitions {
			sp := kmsg.NewAlterPartitionAssignmentsResponseTopicPartition()
			sp.Partition = rp.Partition
			err := b.startReassignment(rt.Topic, rp.Partition, rp.Replicas, live, fence)
			switch {
			case errors.Is(err, errControllerMoved):
				err = kerr.NotController
			case err != nil && errMessage(err) == nil && errCode(err) == kerr.UnknownServerError.Code:
				b.log.Warn("alter partition reassignments", "topic", rt.Topic, "partition", rp.Partition, "err", err)
			}
			sp.ErrorCode, sp.ErrorMessage = errCode(err), errMessage(err)
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
	return resp, nil
}
