package broker

import (
	"context"
	"slices"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicelogs/sluice/broker/acl"
)

// DeleteAcls v0–v3 removes the ACLs each filter selects and answers them
// per filter, as Kafka's: ALTER on the cluster is required (every filter
// CLUSTER_AUTHORIZATION_FAILED), SECURITY_DISABLED without an
// authorizer, INVALID_REQUEST for a filter naming an UNKNOWN value. A
// pattern left without entries loses its node (aclstore.go). v0 has no
// pattern type (LITERAL); v2+ is flexible.
var deleteACLsAPI = api{key: kmsg.DeleteACLs, min: 0, max: 3, handle: (*Broker).handleDeleteACLs}

func (b *Broker) handleDeleteACLs(_ context.Context, c *conn, r *request) (kmsg.Response, error) {
	req := r.kreq.(*kmsg.DeleteACLsRequest)
	resp := req.ResponseKind().(*kmsg.DeleteACLsResponse)
	var global *kerr.Error
	msg := ""
	switch {
	case !c.authorizedCluster(kmsg.ACLOperationAlter):
		global, msg = kerr.ClusterAuthorizationFailed, "Cluster authorization failed."
	case b.authz == nil:
		global, msg = kerr.SecurityDisabled, errNoAuthorizer
	}
	for _, rf := range req.Filters {
		res := kmsg.NewDeleteACLsResponseResult()
		f := acl.Filter{Type: rf.ResourceType, Name: rf.ResourceName, Pattern: rf.ResourcePatternType, Principal: rf.Principal,
			Host: rf.Host, Operation: rf.Operation, Permission: rf.PermissionType}
		switch {
		case global != nil:
			res.ErrorCode, res.ErrorMessage = global.Code, &msg
		case !f.Valid():
			m := "The filter has an UNKNOWN field"
			res.ErrorCode, res.ErrorMessage = kerr.InvalidRequest.Code, &m
		default:
			res.MatchingACLs = b.deleteACLs(f)
		}
		resp.Results = append(resp.Results, res)
	}
	return resp, nil
}

// deleteACLs removes what f selects, pattern by pattern, and answers
// each removed ACL (or a pattern's failure on each of its ACLs).
func (b *Broker) deleteACLs(f acl.Filter) []kmsg.DeleteACLsResponseResultMatchingACL {
	var out []kmsg.DeleteACLsResponseResultMatchingACL
	var patterns []acl.Pattern
	matched := map[acl.Pattern][]acl.Entry{}
	for _, bd := range b.authz.Bindings(f) {
		if matched[bd.Pattern] == nil {
			patterns = append(patterns, bd.Pattern)
		}
		matched[bd.Pattern] = append(matched[bd.Pattern], bd.Entry)
	}
	for _, p := range patterns {
		var removed []acl.Entry
		_, err := b.meta.alterACL(p, func(cur []acl.Entry) []acl.Entry {
			removed = nil
			return slices.DeleteFunc(cur, func(e acl.Entry) bool {
				if f.MatchesEntry(e) {
					removed = append(removed, e)
					return true
				}
				return false
			})
		})
		if err == nil {
			err = b.reloadACL(p)
		}
		if err != nil {
			b.log.Error("delete ACLs", "pattern", acl.Path(p), "err", err)
			removed = matched[p]
		} else {
			b.log.Info("ACLs removed", "pattern", acl.Path(p), "count", len(removed))
		}
		for _, e := range removed {
			m := kmsg.NewDeleteACLsResponseResultMatchingACL()
			m.ResourceType, m.ResourceName, m.ResourcePatternType = p.Type, p.Name, p.Pattern
			m.Principal, m.Host, m.Operation, m.PermissionType = e.Principal, e.Host, e.Operation, e.Permission
			if err != nil {
				msg := err.Error()
				m.ErrorCode, m.ErrorMessage = kerr.UnknownServerError.Code, &msg
			}
			out = append(out, m)
		}
	}
	return out
}
