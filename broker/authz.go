package broker

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicelogs/sluice/broker/acl"
)

// Each handler applies its own authorization rules, as Kafka's KafkaApis
// does for that API (its file's comment says which); these are the
// helpers they share. Without an authorizer everything is allowed.

// deniedTopics is the set of names c's principal may not do op on (nil
// when none is denied).
func (c *conn) deniedTopics(op acl.Operation, names ...string) map[string]bool {
	if c.b.authz == nil {
		return nil
	}
	var denied map[string]bool
	for _, n := range names {
		if denied[n] {
			continue
		}
		if !c.authorized(op, kmsg.ACLResourceTypeTopic, n) {
			if denied == nil {
				denied = map[string]bool{}
			}
			denied[n] = true
		}
	}
	return denied
}

// authorizedGroup reports whether c's principal may do op on group.
func (c *conn) authorizedGroup(op acl.Operation, group string) bool {
	return c.authorized(op, kmsg.ACLResourceTypeGroup, group)
}

// configResourceDenied is the error Kafka answers when c's principal may
// not do op (DESCRIBE_CONFIGS, ALTER_CONFIGS) on a config resource: on a
// topic TOPIC_AUTHORIZATION_FAILED, on a broker (op on the cluster)
// CLUSTER_AUTHORIZATION_FAILED, with the error's own message; nil when
// allowed (or for another resource type, which the handler refuses).
func (c *conn) configResourceDenied(op acl.Operation, rt kmsg.ConfigResourceType, name string) error {
	switch {
	case rt == kmsg.ConfigResourceTypeTopic && !c.authorized(op, kmsg.ACLResourceTypeTopic, name):
		return kafkaErrorf(kerr.TopicAuthorizationFailed, "Topic authorization failed.")
	case (rt == kmsg.ConfigResourceTypeBroker || rt == kmsg.ConfigResourceTypeBrokerLogger) && !c.authorizedCluster(op):
		return kafkaErrorf(kerr.ClusterAuthorizationFailed, "Cluster authorization failed.")
	}
	return nil
}
