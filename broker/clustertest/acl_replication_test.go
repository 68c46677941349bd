package clustertest_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicelogs/sluice/broker"
	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/testkit/brokertest"
	"github.com/sluicelogs/sluice/testkit/testcluster"
)

// TestACLReplication: three brokers under an authorizer with no
// allow.everyone.if.no.acl.found replicate while the brokers' principal
// (User:ANONYMOUS on plaintext) is allowed CLUSTER_ACTION on the cluster;
// without it the followers' fetches are refused, the followers leave the
// ISR, and they rejoin once it is allowed again.
func TestACLReplication(t *testing.T) {
	zkAddr := testcluster.Coordinator(t)
	// The ACLs as Kafka 2.x's kafka-acls.sh --authorizer-properties would
	// have written them before the brokers start.
	zc, events, err := zk.Connect([]string{zkAddr}, 10*time.Second, zk.WithLogInfo(false))
	if err != nil {
		t.Fatal(err)
	}
	defer zc.Close()
	timeout := time.After(30 * time.Second)
	for session := false; !session; { // the session first: a request before it fails
		select {
		case ev := <-events:
			session = ev.State == zk.StateHasSession
		case <-timeout:
			t.Fatal("no ZooKeeper session within 30s")
		}
	}
	entry := func(op string) string {
		return `{"principal":"User:ANONYMOUS","permissionType":"Allow","operation":"` + op + `","host":"*"}`
	}
	for p, data := range map[string]string{
		"/kafka-acl/Cluster/kafka-cluster": `{"version":1,"acls":[` + entry("ClusterAction") + `,` + entry("Create") + `,` + entry("Describe") + `,` + entry("Alter") + `]}`,
		"/kafka-acl/Topic/*":               `{"version":1,"acls":[` + entry("All") + `]}`,
		"/kafka-acl/Group/*":               `{"version":1,"acls":[` + entry("All") + `]}`,
	} {
		createZK(t, zc, p, data)
	}
	var addrs []string
	for id := 1; id <= 3; id++ {
		b := testcluster.StartBroker(t, id, zkAddr, "", replicaConfig, func(c *broker.Config) {
			c.Authz = broker.AuthzConfig{ClassName: "kafka.security.authorizer.AclAuthorizer"}
		})
		addrs = append(addrs, b.Addr())
	}
	testcluster.CreateReplicatedTopic(t, addrs[0], "logs", 1, 3, nil)
	brokertest.AwaitISR(t, addrs[0], "logs", []int32{1, 2, 3})
	brokertest.ProduceValues(t, addrs[0], "logs", 20)

	del := kmsg.NewPtrDeleteACLsRequest()
	f := kmsg.NewDeleteACLsRequestFilter()
	f.ResourceType, f.ResourcePatternType = kmsg.ACLResourceTypeCluster, kmsg.ACLResourcePatternTypeLiteral
	f.Operation, f.PermissionType = kmsg.ACLOperationClusterAction, kmsg.ACLPermissionTypeAllow
	del.Filters = append(del.Filters, f)
	if r := brokertest.AskBroker(t, addrs[0], del).(*kmsg.DeleteACLsResponse); len(r.Results[0].MatchingACLs) != 1 {
		t.Fatalf("DeleteAcls: %+v", r)
	}
	var leader int32
	await.Eventually(t, 60*time.Second, 50*time.Millisecond, func() error {
		parts, err := brokertest.Describe(t, addrs[0], "logs")
		if err != nil {
			return err
		}
		if p := parts[0]; len(p.ISR) != 1 || p.ISR[0] != p.Leader {
			return fmt.Errorf("leader %d isr %v, want the leader alone", p.Leader, p.ISR)
		}
		leader = parts[0].Leader
		return nil
	})

	if errs := brokertest.CreateACLs(t, addrs[0], brokertest.ACLCreation(kmsg.ACLResourceTypeCluster, "kafka-cluster", kmsg.ACLResourcePatternTypeLiteral,
		"User:ANONYMOUS", kmsg.ACLOperationClusterAction, kmsg.ACLPermissionTypeAllow)); errs[0] != nil {
		t.Fatal(errs[0])
	}
	brokertest.AwaitISR(t, addrs[0], "logs", []int32{1, 2, 3})
	brokertest.ProduceNumbered(t, addrs, "logs", "after", 20)
	t.Logf("broker %d led alone meanwhile", leader)
}

// createZK creates the node p with data, and its missing parents.
func createZK(t *testing.T, zc *zk.Conn, p, data string) {
	t.Helper()
	parts := strings.Split(strings.TrimPrefix(p, "/"), "/")
	for i := range parts {
		cur := "/" + strings.Join(parts[:i+1], "/")
		var d []byte
		if cur == p {
			d = []byte(data)
		}
		if _, err := zc.Create(cur, d, 0, zk.WorldACL(zk.PermAll)); err != nil && !errors.Is(err, zk.ErrNodeExists) {
			t.Fatalf("create %s: %v", cur, err)
		}
	}
}
