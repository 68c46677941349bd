package broker

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicelogs/sluice/broker/acl"
)

// DescribeAcls v0–v3 lists the ACLs a filter selects, grouped by resource
// pattern, as Kafka's: DESCRIBE on the cluster is required
// (CLUSTER_AUTHORIZATION_FAILED), SECURITY_DISABLED without an
// authorizer, INVALID_REQUEST for a filter naming an UNKNOWN value. v0
// has no pattern type (LITERAL only); v1 adds it; v2+ is flexible.
var describeACLsAPI = api{key: kmsg.DescribeACLs, min: 0, max: 3, handle: (*Broker).handleDescribeACLs}

// errNoAuthorizer is what the ACL APIs answer when authorizer.class.name
// is empty, with Kafka's message.
var errNoAuthorizer = "No Authorizer is configured on the broker"

func (b *Broker) handleDescribeACLs(_ context.Context, c *conn, r *request) (kmsg.Response, error) {
	req := r.kreq.(*kmsg.DescribeACLsRequest)
	resp := req.ResponseKind().(*kmsg.DescribeACLsResponse)
	fail := func(err *kerr.Error, msg string) (kmsg.Response, error) {
		resp.ErrorCode, resp.ErrorMessage = err.Code, &msg
		return resp, nil
	}
	f := acl.Filter{Type: req.ResourceType, Name: req.ResourceName, Pattern: req.ResourcePatternType, Principal: req.Principal,
		Host: req.Host, Operation: req.Operation, Permission: req.PermissionType}
	switch {
	case !c.authorizedCluster(kmsg.ACLOperationDescribe):
		return fail(kerr.ClusterAuthorizationFailed, "Cluster authorization failed.")
	case b.authz == nil:
		return fail(kerr.SecurityDisabled, errNoAuthorizer)
	case !f.Valid():
		return fail(kerr.InvalidRequest, "The filter has an UNKNOWN field")
	}
	var cur *kmsg.DescribeACLsResponseResource
	for _, bd := range b.authz.Bindings(f) { // sorted: a pattern's entries together
		if cur == nil || cur.ResourceType != bd.Type || cur.ResourceName != bd.Name || cur.ResourcePatternType != bd.Pattern.Pattern {
			resp.Resources = append(resp.Resources, kmsg.NewDescribeACLsResponseResource())
			cur = &resp.Resources[len(resp.Resources)-1]
			cur.ResourceType, cur.ResourceName, cur.ResourcePatternType = bd.Type, bd.Name, bd.Pattern.Pattern
		}
		a := kmsg.NewDescribeACLsResponseResourceACL()
		a.Principal, a.Host, a.Operation, a.PermissionType = bd.Principal, bd.Host, bd.Operation, bd.Permission
		cur.ACLs = append(cur.ACLs, a)
	}
	return resp, nil
}
