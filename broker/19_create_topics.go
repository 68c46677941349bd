package broker

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// CreateTopics v0–v7 creates each topic with its partition count,
// replication factor (-1: the broker defaults) and configs, spreading the
// replicas as Kafka's rack-unaware assignment does; manual replica
// assignments are refused (INVALID_REPLICA_ASSIGNMENT). v1+ may only
// validate; v5+ answers the topic's configs, v7 its id; v5+ is flexible.
// With an authorizer, as Kafka's: CREATE on the cluster, or on the
// topic, else TOPIC_AUTHORIZATION_FAILED ("Authorization failed."); the
// configs answered need DESCRIBE_CONFIGS on the topic, else its
// ConfigErrorCode is TOPIC_AUTHORIZATION_FAILED and none is listed.
var createTopicsAPI = api{key: kmsg.CreateTopics, min: 0, max: 7, handle: (*Broker).handleCreateTopics}

func (b *Broker) handleCreateTopics(_ context.Context, cn *conn, r *request) (kmsg.Response, error) {
	req := r.kreq.(*kmsg.CreateTopicsRequest)
	resp := req.ResponseKind().(*kmsg.CreateTopicsResponse)
	clusterCreate := cn.authorizedCluster(kmsg.ACLOperationCreate)
	for _, rt := range req.Topics {
		st := kmsg.NewCreateTopicsResponseTopic()
		st.Topic = rt.Topic
		config := map[string]string{}
		for _, c := range rt.Configs {
			if c.Value != nil {
				config[c.Name] = *c.Value
			}
		}
		var err error
		switch {
		case !clusterCreate && !cn.authorized(kmsg.ACLOperationCreate, kmsg.ACLResourceTypeTopic, rt.Topic):
			err = kafkaErrorf(kerr.TopicAuthorizationFailed, "Authorization failed.")
		case len(rt.ReplicaAssignment) > 0:
			err = kerr.InvalidReplicaAssignment // manual assignment: not supported
		default:
			err = b.createTopic(rt.Topic, rt.NumPartitions, rt.ReplicationFactor, config, req.ValidateOnly)
		}
		st.ErrorCode = errCode(err)
		if err != nil {
			msg := err.Error()
			if m := errMessage(err); m != nil {
				msg = *m
			}
			if err == kerr.TopicAlreadyExists {
				msg = "Topic '" + rt.Topic + "' already exists." // Kafka's words
			}
			st.ErrorMessage = &msg
		} else if t := b.lookupTopic(rt.Topic); t != nil {
			b.mu.RLock()
			st.TopicID = t.id
			st.NumPartitions = int32(len(t.replicas))
			if len(t.replicas) > 0 {
				st.ReplicationFactor = int16(len(t.replicas[0]))
			}
			b.mu.RUnlock()
			// v5+: the topic's effective configs (Kafka's Java admin client
			// requires the list to be there).
			st.Configs = []kmsg.CreateTopicsResponseTopicConfig{}
			if !cn.authorized(kmsg.ACLOperationDescribeConfigs, kmsg.ACLResourceTypeTopic, rt.Topic) {
				st.ConfigErrorCode = kerr.TopicAuthorizationFailed.Code
				resp.Topics = append(resp.Topics, st)
				continue
			}
			for _, d := range b.describeTopic(t.config, nil, false) {
				c := kmsg.NewCreateTopicsResponseTopicConfig()
				c.Name, c.Value, c.Source, c.ReadOnly, c.IsSensitive = d.Name, d.Value, int8(d.Source), d.ReadOnly, d.IsSensitive
				st.Configs = append(st.Configs, c)
			}
		}
		resp.Topics = append(resp.Topics, st)
	}
	return resp, nil
}
