package group

import (
	"context"

	"sort"
	"strings"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// ListGroups v0–v5: ListGroups, below, answers it; v4 filters by state,
// v5 by group type and answers each group's type ("classic": Kafka 4's
// kafka-consumer-groups.sh shows it instead of Unknown).
var listGroupsAPI = API{kmsg.ListGroups, 0, 5, func(c *Manager, _ context.Context, req kmsg.Request) kmsg.Response {
	return c.ListGroups(req.(*kmsg.ListGroupsRequest))
}}

// ListGroups handles ListGroups: this manager's groups,
// filtered by state (v4+) and type (v5+; all groups here are "classic").
func (c *Manager) ListGroups(req *kmsg.ListGroupsRequest) *kmsg.ListGroupsResponse {
	resp := req.ResponseKind().(*kmsg.ListGroupsResponse)
	if len(req.TypesFilter) > 0 && !containsFold(req.TypesFilter, "classic") {
		return resp
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, g := range c.groups {
		if g.state == stateDead {
			continue
		}
		if len(req.StatesFilter) > 0 && !containsFold(req.StatesFilter, g.state.String()) {
			continue
		}
		lg := kmsg.NewListGroupsResponseGroup()
		lg.Group = g.name
		lg.ProtocolType = g.protocolType
		lg.GroupState = g.state.String()
		lg.GroupType = "classic"
		resp.Groups = append(resp.Groups, lg)
	}
	sort.Slice(resp.Groups, func(i, j int) bool { return resp.Groups[i].Group < resp.Groups[j].Group })
	return resp
}

func containsFold(ss []string, s string) bool {
	for _, x := range ss {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
