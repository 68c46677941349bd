package brokertest

// ACL helpers of the broker's authorizer tests.

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicelogs/sluice/broker"
)

// WithAuthorizer configures Kafka's AclAuthorizer with allow.everyone.if.no.acl.found
// and super.users as given.
func WithAuthorizer(allowIfNoACL bool, superUsers ...string) func(*broker.Config) {
	return func(c *broker.Config) {
		c.Authz = broker.AuthzConfig{ClassName: "kafka.security.authorizer.AclAuthorizer", SuperUsers: superUsers, AllowIfNoACL: allowIfNoACL}
	}
}

func ACLCreation(rt kmsg.ACLResourceType, name string, pt kmsg.ACLResourcePatternType, principal string, op kmsg.ACLOperation, perm kmsg.ACLPermissionType) kmsg.CreateACLsRequestCreation {
	c := kmsg.NewCreateACLsRequestCreation()
	c.ResourceType, c.ResourceName, c.ResourcePatternType = rt, name, pt
	c.Principal, c.Host, c.Operation, c.PermissionType = principal, "*", op, perm
	return c
}

// CreateACLs asks the broker at addr to create cs and returns the error
// of each.
func CreateACLs(t *testing.T, addr string, cs ...kmsg.CreateACLsRequestCreation) []error {
	t.Helper()
	req := kmsg.NewPtrCreateACLsRequest()
	req.Creations = cs
	resp := AskBroker(t, addr, req).(*kmsg.CreateACLsResponse)
	var errs []error
	for _, r := range resp.Results {
		errs = append(errs, kerr.ErrorForCode(r.ErrorCode))
	}
	return errs
}

func DescribeAllACLs(t *testing.T, addr string) *kmsg.DescribeACLsResponse {
	t.Helper()
	req := kmsg.NewPtrDescribeACLsRequest()
	req.ResourceType, req.ResourcePatternType = kmsg.ACLResourceTypeAny, kmsg.ACLResourcePatternTypeAny
	req.Operation, req.PermissionType = kmsg.ACLOperationAny, kmsg.ACLPermissionTypeAny
	return AskBroker(t, addr, req).(*kmsg.DescribeACLsResponse)
}
