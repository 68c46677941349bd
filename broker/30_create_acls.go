package broker

import (
	"context"
	"slices"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicelogs/sluice/broker/acl"
)

// CreateAcls v0–v3 adds ACLs, each answered in its place, as Kafka's:
// ALTER on the cluster is required (every creation
// CLUSTER_AUTHORIZATION_FAILED), SECURITY_DISABLED without an
// authorizer; a creation Kafka refuses (a pattern type other than
// LITERAL or PREFIXED, an empty name, a CLUSTER not named kafka-cluster,
// an ANY or UNKNOWN operation or permission, a principal not Type:name)
// is INVALID_REQUEST with the reason, the others proceed. An ACL that
// exists already is no error. The ACLs are written where Kafka 2.x writes
// them (aclstore.go) and applied here at once, on the other brokers on
// their change notification. v0 has no pattern type (LITERAL); v2+ is
// flexible.
var createACLsAPI = api{key: kmsg.CreateACLs, min: 0, max: 3, handle: (*Broker).handleCreateACLs}

func (b *Broker) handleCreateACLs(_ context.Context, c *conn, r *request) (kmsg.Response, error) {
	req := r.kreq.(*kmsg.CreateACLsRequest)
	resp := req.ResponseKind().(*kmsg.CreateACLsResponse)
	results := make([]kmsg.CreateACLsResponseResult, len(req.Creations))
	set := func(i int, err *kerr.Error, msg string) {
		results[i] = kmsg.NewCreateACLsResponseResult()
		if err != nil {
			results[i].ErrorCode, results[i].ErrorMessage = err.Code, &msg
		}
	}
	var global *kerr.Error
	msg := ""
	switch {
	case !c.authorizedCluster(kmsg.ACLOperationAlter):
		global, msg = kerr.ClusterAuthorizationFailed, "Cluster authorization failed."
	case b.authz == nil:
		global, msg = kerr.SecurityDisabled, errNoAuthorizer
	}
	byPattern := map[acl.Pattern][]int{} // the valid creations' indexes
	var order []acl.Pattern
	for i, cr := range req.Creations {
		p := acl.Pattern{Type: cr.ResourceType, Name: cr.ResourceName, Pattern: cr.ResourcePatternType}
		e := acl.Entry{Principal: cr.Principal, Host: cr.Host, Operation: cr.Operation, Permission: cr.PermissionType}
		if global != nil {
			set(i, global, msg)
			continue
		}
		why := p.Storable()
		if why == "" {
			why = e.Storable()
		}
		if why != "" {
			set(i, kerr.InvalidRequest, why)
			continue
		}
		if byPattern[p] == nil {
			order = append(order, p)
		}
		byPattern[p] = append(byPattern[p], i)
	}
	for _, p := range order {
		idx := byPattern[p]
		_, err := b.meta.alterACL(p, func(cur []acl.Entry) []acl.Entry {
			for _, i := range idx {
				cr := req.Creations[i]
				e := acl.Entry{Principal: cr.Principal, Host: cr.Host, Operation: cr.Operation, Permission: cr.PermissionType}
				if !slices.Contains(cur, e) {
					cur = append(cur, e)
				}
			}
			return cur
		})
		if err == nil {
			err = b.reloadACL(p)
		}
		for _, i := range idx {
			if err != nil {
				b.log.Error("create ACLs", "pattern", acl.Path(p), "err", err)
				set(i, kerr.UnknownServerError, err.Error())
			} else {
				set(i, nil, "")
			}
		}
		if err == nil {
			b.log.Info("ACLs added", "pattern", acl.Path(p), "by", c.principal)
		}
	}
	resp.Results = results
	return resp, nil
}
