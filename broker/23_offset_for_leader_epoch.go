package broker

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// OffsetForLeaderEpoch v0–v4 answers, as leader, where an epoch ends in
// this log: the largest epoch not above the one asked and the offset after
// its last record. A follower truncates a divergent tail with it; a
// consumer checks its position after a leader change (KIP-320). v2+
// carries the asker's current leader epoch, fenced like a fetch's; v3+
// the replica id; v4 is flexible. With an authorizer, as Kafka's: a
// follower's (replica id >= 0) needs CLUSTER_ACTION on the cluster, else
// every partition answers CLUSTER_AUTHORIZATION_FAILED; a consumer's
// needs DESCRIBE on each topic, else TOPIC_AUTHORIZATION_FAILED.
var offsetForLeaderEpochAPI = api{key: kmsg.OffsetForLeaderEpoch, min: 0, max: 4, handle: (*Broker).handleOffsetForLeaderEpoch}

func (b *Broker) handleOffsetForLeaderEpoch(_ context.Context, c *conn, r *request) (kmsg.Response, error) {
	req := r.kreq.(*kmsg.OffsetForLeaderEpochRequest)
	resp := req.ResponseKind().(*kmsg.OffsetForLeaderEpochResponse)
	follower := req.GetVersion() >= 3 && req.ReplicaID >= 0
	clusterDenied := follower && !c.authorizedCluster(kmsg.ACLOperationClusterAction)
	for _, rt := range req.Topics {
		var denied error
		switch {
		case clusterDenied:
			denied = kerr.ClusterAuthorizationFailed
		case !follower && !c.authorized(kmsg.ACLOperationDescribe, kmsg.ACLResourceTypeTopic, rt.Topic):
			denied = kerr.TopicAuthorizationFailed
		}
		st := kmsg.NewOffsetForLeaderEpochResponseTopic()
		st.Topic = rt.Topic
		for _, rp := range rt.Partitions {
			sp := kmsg.NewOffsetForLeaderEpochResponseTopicPartition()
			sp.Partition, sp.LeaderEpoch, sp.EndOffset = rp.Partition, -1, -1
			p, err := b.localPartition(rt.Topic, rp.Partition)
			if denied != nil {
				err = denied
			}
			if err == nil && req.GetVersion() >= 2 {
				err = p.CheckEpoch(rp.CurrentLeaderEpoch)
			}
			if err == nil {
				sp.LeaderEpoch, sp.EndOffset = p.EndOffsetFor(rp.LeaderEpoch)
			}
			sp.ErrorCode = errCode(err)
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
	return resp, nil
}
