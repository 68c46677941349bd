package broker

import (
	"context"
	"maps"
	"slices"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// IncrementalAlterConfigs v0–v1 sets, deletes, appends to or subtracts
// from (list configs only) a topic's configs, kept in /config/topics/<t>,
// or a broker's dynamic configs (dynconfig.go: the log defaults, the
// connection quotas, the replication throttle rates), kept in
// /config/brokers/<id> or <default>, and announced to every broker
// (configchanges.go); validate-only checks without writing. A value is
// checked as Kafka checks it (INVALID_CONFIG with Kafka's message); a
// broker config Kafka cannot alter dynamically is INVALID_CONFIG
// ("Cannot update these configs dynamically"), one Kafka can but sluice
// does not INVALID_REQUEST. v1 is flexible. With an authorizer,
// ALTER_CONFIGS on the topic, or on the cluster for a broker, per
// resource as Kafka's (configResourceDenied).
var incrementalAlterConfigsAPI = api{key: kmsg.IncrementalAlterConfigs, min: 0, max: 1, handle: (*Broker).handleIncrementalAlterConfigs}

func (b *Broker) handleIncrementalAlterConfigs(_ context.Context, c *conn, r *request) (kmsg.Response, error) {
	req := r.kreq.(*kmsg.IncrementalAlterConfigsRequest)
	resp := req.ResponseKind().(*kmsg.IncrementalAlterConfigsResponse)
	for _, rr := range req.Resources {
		res := kmsg.NewIncrementalAlterConfigsResponseResource()
		res.ResourceType, res.ResourceName = rr.ResourceType, rr.ResourceName
		if err := c.configResourceDenied(kmsg.ACLOperationAlterConfigs, rr.ResourceType, rr.ResourceName); err != nil {
			res.ErrorCode, res.ErrorMessage = errCode(err), errMessage(err)
			resp.Resources = append(resp.Resources, res)
			continue
		}
		lookup := topicConfigDefByName
		if rr.ResourceType == kmsg.ConfigResourceTypeBroker {
			lookup = dynamicBrokerConfigDef
		}
		err := b.alterConfigs(rr.ResourceType, rr.ResourceName, req.ValidateOnly, func(cur map[string]string) (map[string]string, error) {
			return incrementalChange(cur, rr.Configs, lookup)
		})
		res.ErrorCode, res.ErrorMessage = errCode(err), errMessage(err)
		resp.Resources = append(resp.Resources, res)
	}
	return resp, nil
}

// incrementalChange applies one resource's operations to its configs
// (lookup gives a config's type and default).
func incrementalChange(cur map[string]string, ops []kmsg.IncrementalAlterConfigsRequestResourceConfig, lookup func(string) (topicConfigDef, bool)) (map[string]string, error) {
	next := maps.Clone(cur)
	seen := map[string]bool{}
	for _, c := range ops {
		if seen[c.Name] {
			return nil, kafkaErrorf(kerr.InvalidRequest, "Error due to duplicate config keys")
		}
		seen[c.Name] = true
		d, ok := lookup(c.Name)
		if !ok {
			return nil, checkTopicConfig(c.Name, "")
		}
		value := ""
		if c.Value != nil {
			value = *c.Value
		}
		switch c.Op {
		case kmsg.IncrementalAlterConfigOpSet:
			if c.Value == nil {
				return nil, kafkaErrorf(kerr.InvalidRequest, "Null value not supported for : %s", c.Name)
			}
			next[c.Name] = value
		case kmsg.IncrementalAlterConfigOpDelete:
			delete(next, c.Name)
		case kmsg.IncrementalAlterConfigOpAppend, kmsg.IncrementalAlterConfigOpSubtract:
			if d.typ != tList {
				return nil, kafkaErrorf(kerr.InvalidConfig, "Config value append is not allowed for config key: %s", c.Name)
			}
			old, ok := next[c.Name]
			if !ok {
				old = d.def
			}
			items := splitList(old)
			for _, v := range splitList(value) {
				if c.Op == kmsg.IncrementalAlterConfigOpAppend && !slices.Contains(items, v) {
					items = append(items, v)
				}
				if c.Op == kmsg.IncrementalAlterConfigOpSubtract {
					items = slices.DeleteFunc(items, func(x string) bool { return x == v })
				}
			}
			next[c.Name] = strings.Join(items, ",")
		default:
			return nil, kafkaErrorf(kerr.InvalidRequest, "Unknown alter config operation %d for %s", c.Op, c.Name)
		}
	}
	return next, nil
}

func splitList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

// alterConfigs checks and writes one resource's new configs, a topic's
// or a broker's dynamic ones (change gives them from the current ones);
// validateOnly writes nothing.
func (b *Broker) alterConfigs(typ kmsg.ConfigResourceType, name string, validateOnly bool, change func(map[string]string) (map[string]string, error)) error {
	switch typ {
	case kmsg.ConfigResourceTypeTopic:
	case kmsg.ConfigResourceTypeBroker:
		return b.alterBrokerConfigs(name, validateOnly, change)
	default:
		return kafkaErrorf(kerr.InvalidRequest, "Unsupported resource type %s", typ)
	}
	if b.lookupTopic(name) == nil {
		return kafkaErrorf(kerr.UnknownTopicOrPartition, "Topic %s does not exist", name)
	}
	checked := func(cur map[string]string) (map[string]string, error) {
		next, err := change(cur)
		if err != nil {
			return nil, err
		}
		for _, k := range slices.Sorted(maps.Keys(next)) {
			if err := checkTopicConfig(k, next[k]); err != nil {
				return nil, err
			}
		}
		return next, nil
	}
	if validateOnly {
		t := b.lookupTopic(name)
		_, err := checked(maps.Clone(t.config))
		return err
	}
	if err := b.meta.alterTopicConfig(name, checked); err != nil {
		if errMessage(err) == nil {
			b.log.Error("alter topic config", "topic", name, "err", err)
		}
		return err
	}
	b.topicConfigChanged(name) // the watch does it too; here the client sees it applied at once
	return nil
}
