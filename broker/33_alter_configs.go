package broker

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// AlterConfigs v0–v2 replaces a topic's configs, or a broker's dynamic
// ones, with those given (the ones not given go back to their defaults),
// as IncrementalAlterConfigs writes them (44_incremental_alter_configs.go).
// v2 is flexible. With an authorizer, ALTER_CONFIGS on the topic, or on
// the cluster for a broker, per resource as Kafka's (configResourceDenied).
var alterConfigsAPI = api{key: kmsg.AlterConfigs, min: 0, max: 2, handle: (*Broker).handleAlterConfigs}

func (b *Broker) handleAlterConfigs(_ context.Context, cn *conn, r *request) (kmsg.Response, error) {
	req := r.kreq.(*kmsg.AlterConfigsRequest)
	resp := req.ResponseKind().(*kmsg.AlterConfigsResponse)
	for _, rr := range req.Resources {
		res := kmsg.NewAlterConfigsResponseResource()
		res.ResourceType, res.ResourceName = rr.ResourceType, rr.ResourceName
		if err := cn.configResourceDenied(kmsg.ACLOperationAlterConfigs, rr.ResourceType, rr.ResourceName); err != nil {
			res.ErrorCode, res.ErrorMessage = errCode(err), errMessage(err)
			resp.Resources = append(resp.Resources, res)
			continue
		}
		err := b.alterConfigs(rr.ResourceType, rr.ResourceName, req.ValidateOnly, func(map[string]string) (map[string]string, error) {
			next := map[string]string{}
			for _, c := range rr.Configs {
				if _, dup := next[c.Name]; dup {
					return nil, kafkaErrorf(kerr.InvalidRequest, "Error due to duplicate config keys")
				}
				if c.Value == nil {
					return nil, kafkaErrorf(kerr.InvalidRequest, "Null value not supported for : %s", c.Name)
				}
				next[c.Name] = *c.Value
			}
			return next, nil
		})
		res.ErrorCode, res.ErrorMessage = errCode(err), errMessage(err)
		resp.Resources = append(resp.Resources, res)
	}
	return resp, nil
}
