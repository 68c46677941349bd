package broker

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// DescribeConfigs v0–v4 lists a topic's configs or a broker's: every
// config a Kafka 3.9 broker lists (configdefs.go), with its value, source
// (DYNAMIC_TOPIC_CONFIG, DYNAMIC_BROKER_CONFIG,
// DYNAMIC_DEFAULT_BROKER_CONFIG, STATIC_BROKER_CONFIG, DEFAULT_CONFIG; v0
// only says default or not; the dynamic broker configs, dynconfig.go,
// alone for the default broker resource ""), read-only and sensitive
// flags, synonyms (v1+,
// when asked) and type (v3+); documentation is not given. v4 is
// flexible. Other resource types are INVALID_REQUEST; an unknown topic is
// UNKNOWN_TOPIC_OR_PARTITION, a broker id other than this broker's
// INVALID_REQUEST, as Kafka's. With an authorizer, a topic needs
// DESCRIBE_CONFIGS on it (TOPIC_AUTHORIZATION_FAILED), a broker
// DESCRIBE_CONFIGS on the cluster (CLUSTER_AUTHORIZATION_FAILED), per
// resource as Kafka's.
var describeConfigsAPI = api{key: kmsg.DescribeConfigs, min: 0, max: 4, handle: (*Broker).handleDescribeConfigs}

func (b *Broker) handleDescribeConfigs(_ context.Context, c *conn, r *request) (kmsg.Response, error) {
	req := r.kreq.(*kmsg.DescribeConfigsRequest)
	resp := req.ResponseKind().(*kmsg.DescribeConfigsResponse)
	for _, rr := range req.Resources {
		res := kmsg.NewDescribeConfigsResponseResource()
		res.ResourceType, res.ResourceName = rr.ResourceType, rr.ResourceName
		if err := c.configResourceDenied(kmsg.ACLOperationDescribeConfigs, rr.ResourceType, rr.ResourceName); err != nil {
			res.ErrorCode, res.ErrorMessage = errCode(err), errMessage(err)
			resp.Resources = append(resp.Resources, res)
			continue
		}
		switch rr.ResourceType {
		case kmsg.ConfigResourceTypeTopic:
			t := b.lookupTopic(rr.ResourceName)
			if t == nil {
				res.ErrorCode = kerr.UnknownTopicOrPartition.Code
				break
			}
			res.Configs = b.describeTopic(t.config, rr.ConfigNames, req.IncludeSynonyms)
		case kmsg.ConfigResourceTypeBroker:
			if err := b.checkBrokerResource(rr.ResourceName); err != nil {
				res.ErrorCode, res.ErrorMessage = errCode(err), errMessage(err)
				break
			}
			if rr.ResourceName == "" { // --entity-default: the dynamic defaults only, as Kafka
				res.Configs = b.describeDefaultBroker(rr.ConfigNames, req.IncludeSynonyms)
				break
			}
			res.Configs = b.describeBroker(rr.ConfigNames, req.IncludeSynonyms)
		default:
			res.ErrorCode = kerr.InvalidRequest.Code
		}
		resp.Resources = append(resp.Resources, res)
	}
	return resp, nil
}
