package broker

import (
	"context"
	"maps"
	"slices"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// ListPartitionReassignments v0 lists the reassignments in progress
// (controller_reassign.go): of the partitions asked for, or of every
// partition when the topic list is null; each with its replicas (the
// full set), adding and removing replicas. Partitions that are not being
// reassigned, or do not exist, are left out, as Kafka does. Only the
// controller serves it: another broker answers NOT_CONTROLLER, as
// Kafka's in ZooKeeper mode. v0 is flexible. With an authorizer, DESCRIBE
// on the cluster is required (CLUSTER_AUTHORIZATION_FAILED), as in Kafka.
var listPartitionReassignmentsAPI = api{key: kmsg.ListPartitionReassignments, min: 0, max: 0, handle: (*Broker).handleListPartitionReassignments}

func (b *Broker) handleListPartitionReassignments(_ context.Context, c *conn, r *request) (kmsg.Response, error) {
	req := r.kreq.(*kmsg.ListPartitionReassignmentsRequest)
	resp := req.ResponseKind().(*kmsg.ListPartitionReassignmentsResponse)
	if !c.authorizedCluster(kmsg.ACLOperationDescribe) {
		resp.ErrorCode = kerr.ClusterAuthorizationFailed.Code
		return resp, nil
	}
	if _, ok := b.asController(); !ok {
		resp.ErrorCode = kerr.NotController.Code
		return resp, nil
	}
	topics, err := b.meta.topics()
	if err != nil {
		b.log.Warn("list partition reassignments", "err", err)
		resp.ErrorCode = kerr.UnknownServerError.Code
		return resp, nil
	}
	wanted := func(string, int32) bool { return true }
	if req.Topics != nil {
		asked := map[stateKey]bool{}
		for _, rt := range req.Topics {
			for _, p := range rt.Partitions {
				asked[stateKey{rt.Topic, p}] = true
			}
		}
		wanted = func(topic string, p int32) bool { return asked[stateKey{topic, p}] }
	}
	for _, name := range slices.Sorted(maps.Keys(topics)) {
		t := topics[name]
		st := kmsg.NewListPartitionReassignmentsResponseTopic()
		st.Topic = name
		for _, i := range slices.Sorted(maps.Keys(t.reassigning)) {
			if !wanted(name, i) {
				continue
			}
			r := t.reassigning[i]
			sp := kmsg.NewListPartitionReassignmentsResponseTopicPartition()
			sp.Partition, sp.Replicas = i, t.replicas[i]
			sp.AddingReplicas, sp.RemovingReplicas = nonNil(r.adding), nonNil(r.removing)
			st.Partitions = append(st.Partitions, sp)
		}
		if len(st.Partitions) > 0 {
			resp.Topics = append(resp.Topics, st)
		}
	}
	return resp, nil
}

func nonNil(ids []int32) []int32 {
	if ids == nil {
		return []int32{}
	}
	return ids
}
