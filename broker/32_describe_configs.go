package broker

import (
	"context"
	"sort"
	"strconv"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// DescribeConfigs v0–v4 lists a topic's configs (its own, then the
// defaults) or the broker's; other resource types are INVALID_REQUEST.
// Synonyms (v1+) and documentation (v3+) are not filled; v4 is flexible.
var describeConfigsAPI = api{key: kmsg.DescribeConfigs, min: 0, max: 4, handle: (*Broker).handleDescribeConfigs}

func (b *Broker) handleDescribeConfigs(_ context.Context, _ *conn, r *request) (kmsg.Response, error) {
	req := r.kreq.(*kmsg.DescribeConfigsRequest)
	resp := req.ResponseKind().(*kmsg.DescribeConfigsResponse)
	for _, rr := range req.Resources {
		res := kmsg.NewDescribeConfigsResponseResource()
		res.ResourceType, res.ResourceName = rr.ResourceType, rr.ResourceName
		var values map[string]string
		set := map[string]bool{}
		switch rr.ResourceType {
		case kmsg.ConfigResourceTypeTopic:
			t := b.lookupTopic(rr.ResourceName)
			if t == nil {
				res.ErrorCode = kerr.UnknownTopicOrPartition.Code
				resp.Resources = append(resp.Resources, res)
				continue
			}
			values = map[string]string{}
			for k, v := range topicConfigDefaults {
				values[k] = v
			}
			for k, v := range t.config {
				values[k], set[k] = v, true
			}
		case kmsg.ConfigResourceTypeBroker:
			values = b.brokerConfigs()
		default:
			res.ErrorCode = kerr.InvalidRequest.Code
			resp.Resources = append(resp.Resources, res)
			continue
		}
		names := make([]string, 0, len(values))
		for k := range values {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			if rr.ConfigNames != nil && !contains(rr.ConfigNames, k) {
				continue
			}
			c := kmsg.NewDescribeConfigsResponseResourceConfig()
			v := values[k]
			c.Name, c.Value = k, &v
			c.Source = kmsg.ConfigSourceDefaultConfig
			c.IsDefault = !set[k]
			if set[k] {
				c.Source = kmsg.ConfigSourceDynamicTopicConfig
			}
			res.Configs = append(res.Configs, c)
		}
		resp.Resources = append(resp.Resources, res)
	}
	return resp, nil
}

func (b *Broker) brokerConfigs() map[string]string {
	c := b.cfg
	return map[string]string{
		"broker.id":                  strconv.Itoa(int(c.BrokerID)),
		"num.partitions":             strconv.Itoa(int(c.NumPartitions)),
		"default.replication.factor": strconv.Itoa(int(c.DefaultReplication)),
		"min.insync.replicas":        strconv.Itoa(c.MinInsyncReplicas),
		"log.retention.ms":           strconv.FormatInt(c.RetentionMs, 10),
		"log.retention.bytes":        strconv.FormatInt(c.RetentionBytes, 10),
		"log.segment.bytes":          strconv.FormatInt(c.SegmentBytes, 10),
		"auto.create.topics.enable":  strconv.FormatBool(c.AutoCreateTopics),
		"message.max.bytes":          strconv.Itoa(int(c.MessageMaxBytes)),
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
