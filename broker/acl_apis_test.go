package broker_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/testkit/brokertest"
	"github.com/sluicelogs/sluice/testkit/testcluster"
)

// TestACLAPIs: CreateAcls, DescribeAcls and DeleteAcls through one broker
// store the ACLs where Kafka 2.x does, another broker on the same
// coordinator applies them from the change notifications, Kafka's
// validation errors come per creation, and a broker without an
// authorizer answers SECURITY_DISABLED.
func TestACLAPIs(t *testing.T) {
	zkAddr := testcluster.Coordinator(t)
	a := testcluster.StartBroker(t, 1, zkAddr, "", brokertest.WithAuthorizer(true))
	b := testcluster.StartBroker(t, 2, zkAddr, "", brokertest.WithAuthorizer(true))

	errs := brokertest.CreateACLs(t, a.Addr(),
		brokertest.ACLCreation(kmsg.ACLResourceTypeTopic, "logs", kmsg.ACLResourcePatternTypeLiteral, "User:alice", kmsg.ACLOperationRead, kmsg.ACLPermissionTypeAllow),
		brokertest.ACLCreation(kmsg.ACLResourceTypeTopic, "logs", kmsg.ACLResourcePatternTypeLiteral, "User:bob", kmsg.ACLOperationWrite, kmsg.ACLPermissionTypeDeny),
		brokertest.ACLCreation(kmsg.ACLResourceTypeGroup, "app-", kmsg.ACLResourcePatternTypePrefixed, "User:alice", kmsg.ACLOperationAll, kmsg.ACLPermissionTypeAllow),
		brokertest.ACLCreation(kmsg.ACLResourceTypeCluster, "other", kmsg.ACLResourcePatternTypeLiteral, "User:alice", kmsg.ACLOperationAlter, kmsg.ACLPermissionTypeAllow),
		brokertest.ACLCreation(kmsg.ACLResourceTypeTopic, "x", kmsg.ACLResourcePatternTypeMatch, "User:alice", kmsg.ACLOperationRead, kmsg.ACLPermissionTypeAllow),
		brokertest.ACLCreation(kmsg.ACLResourceTypeTopic, "x", kmsg.ACLResourcePatternTypeLiteral, "alice", kmsg.ACLOperationRead, kmsg.ACLPermissionTypeAllow),
		brokertest.ACLCreation(kmsg.ACLResourceTypeTopic, "x", kmsg.ACLResourcePatternTypeLiteral, "User:alice", kmsg.ACLOperationAny, kmsg.ACLPermissionTypeAllow),
	)
	want := []error{nil, nil, nil, kerr.InvalidRequest, kerr.InvalidRequest, kerr.InvalidRequest, kerr.InvalidRequest}
	if fmt.Sprint(errs) != fmt.Sprint(want) {
		t.Fatalf("CreateAcls answered %v, want %v", errs, want)
	}

	zc, _, err := zk.Connect([]string{zkAddr}, 10*time.Second, zk.WithLogInfo(false))
	if err != nil {
		t.Fatal(err)
	}
	defer zc.Close()
	data, _, err := zc.Get("/kafka-acl/Topic/logs")
	wantData := `{"version":1,"acls":[{"principal":"User:alice","permissionType":"Allow","operation":"Read","host":"*"},` +
		`{"principal":"User:bob","permissionType":"Deny","operation":"Write","host":"*"}]}`
	if err != nil || string(data) != wantData {
		t.Fatalf("/kafka-acl/Topic/logs holds %s (%v), want %s", data, err, wantData)
	}
	if data, _, err := zc.Get("/kafka-acl-extended/prefixed/Group/app-"); err != nil || len(data) == 0 {
		t.Fatalf("/kafka-acl-extended/prefixed/Group/app-: %s, %v", data, err)
	}
	for _, dir := range []string{"/kafka-acl-changes", "/kafka-acl-extended-changes"} {
		if ns, _, err := zc.Children(dir); err != nil || len(ns) == 0 {
			t.Fatalf("%s: %v, %v", dir, ns, err)
		}
	}

	// Broker 2 learnt them from the notifications.
	await.Eventually(t, 30*time.Second, 20*time.Millisecond, func() error {
		resp := brokertest.DescribeAllACLs(t, b.Addr())
		if resp.ErrorCode != 0 || len(resp.Resources) != 2 || len(resp.Resources[0].ACLs) != 2 {
			return fmt.Errorf("broker 2 describes %+v", resp)
		}
		return nil
	})

	// Delete alice's through broker 2: one matching ACL per pattern.
	del := kmsg.NewPtrDeleteACLsRequest()
	f := kmsg.NewDeleteACLsRequestFilter()
	f.ResourceType, f.ResourcePatternType = kmsg.ACLResourceTypeAny, kmsg.ACLResourcePatternTypeAny
	f.Principal, f.Operation, f.PermissionType = kmsg.StringPtr("User:alice"), kmsg.ACLOperationAny, kmsg.ACLPermissionTypeAny
	del.Filters = append(del.Filters, f)
	dresp := brokertest.AskBroker(t, b.Addr(), del).(*kmsg.DeleteACLsResponse)
	if len(dresp.Results) != 1 || dresp.Results[0].ErrorCode != 0 || len(dresp.Results[0].MatchingACLs) != 2 {
		t.Fatalf("DeleteAcls answered %+v", dresp)
	}
	if ok, _, err := zc.Exists("/kafka-acl-extended/prefixed/Group/app-"); err != nil || ok {
		t.Fatalf("the emptied pattern's node stays (%v, %v)", ok, err)
	}
	await.Eventually(t, 30*time.Second, 20*time.Millisecond, func() error {
		resp := brokertest.DescribeAllACLs(t, a.Addr())
		if len(resp.Resources) != 1 || len(resp.Resources[0].ACLs) != 1 || resp.Resources[0].ACLs[0].Principal != "User:bob" {
			return fmt.Errorf("broker 1 describes %+v", resp)
		}
		return nil
	})

	// No authorizer: SECURITY_DISABLED.
	plain := testcluster.StartBroker(t, 3, zkAddr, "")
	if resp := brokertest.DescribeAllACLs(t, plain.Addr()); resp.ErrorCode != kerr.SecurityDisabled.Code {
		t.Fatalf("DescribeAcls without an authorizer answered %d", resp.ErrorCode)
	}
	if errs := brokertest.CreateACLs(t, plain.Addr(), brokertest.ACLCreation(kmsg.ACLResourceTypeTopic, "t", kmsg.ACLResourcePatternTypeLiteral,
		"User:a", kmsg.ACLOperationRead, kmsg.ACLPermissionTypeAllow)); errs[0] != kerr.SecurityDisabled {
		t.Fatalf("CreateAcls without an authorizer answered %v", errs)
	}
}
