package broker_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/testkit/brokertest"
	"github.com/sluicelogs/sluice/testkit/testcluster"
)

// TestACLEnforcementGroups: the group APIs refuse a group the principal
// is denied with GROUP_AUTHORIZATION_FAILED, an offset of a denied topic
// with TOPIC_AUTHORIZATION_FAILED on its partition, and ListGroups and
// an all-offsets OffsetFetch leave out what it may not describe; the
// cluster APIs refuse with CLUSTER_AUTHORIZATION_FAILED.
func TestACLEnforcementGroups(t *testing.T) {
	checked, admin := aclBrokers(t, func(checked string) {
		testcluster.CreateTopic(t, checked, "open", 1)
		testcluster.CreateTopic(t, checked, "closed", 1)
		// The offsets topic, on the checked broker alone, and two groups
		// with offsets of both topics.
		await.Eventually(t, 30*time.Second, 20*time.Millisecond, func() error {
			fc := kmsg.NewPtrFindCoordinatorRequest()
			fc.CoordinatorKeys = []string{"g-open", "g-closed"}
			for _, c := range brokertest.AskBroker(t, checked, fc).(*kmsg.FindCoordinatorResponse).Coordinators {
				if c.ErrorCode != 0 {
					return kerr.ErrorForCode(c.ErrorCode)
				}
			}
			return nil
		})
		for _, g := range []string{"g-open", "g-closed"} {
			commit := kmsg.NewPtrOffsetCommitRequest()
			commit.Group, commit.Generation = g, -1
			for _, name := range []string{"open", "closed"} {
				rt := kmsg.NewOffsetCommitRequestTopic()
				rt.Topic = name
				rp := kmsg.NewOffsetCommitRequestTopicPartition()
				rp.Offset = 0
				rt.Partitions = append(rt.Partitions, rp)
				commit.Topics = append(commit.Topics, rt)
			}
			resp := brokertest.AskBroker(t, checked, commit).(*kmsg.OffsetCommitResponse)
			for _, rt := range resp.Topics {
				if rt.Partitions[0].ErrorCode != 0 {
					t.Fatalf("commit %s %s: %v", g, rt.Topic, kerr.ErrorForCode(rt.Partitions[0].ErrorCode))
				}
			}
		}
	})
	if errs := brokertest.CreateACLs(t, admin, brokertest.ACLCreation(kmsg.ACLResourceTypeCluster, "kafka-cluster", kmsg.ACLResourcePatternTypeLiteral,
		"User:ANONYMOUS", kmsg.ACLOperationDescribe, kmsg.ACLPermissionTypeAllow)); errs[0] != nil {
		t.Fatal(errs[0])
	}
	denyAnonymous(t, checked, admin, kmsg.ACLResourceTypeCluster, "kafka-cluster", kmsg.ACLResourcePatternTypeLiteral, kmsg.ACLOperationAlter)
	denyAnonymous(t, checked, admin, kmsg.ACLResourceTypeTopic, "closed", kmsg.ACLResourcePatternTypeLiteral, kmsg.ACLOperationAll)
	denyAnonymous(t, checked, admin, kmsg.ACLResourceTypeGroup, "g-closed", kmsg.ACLResourcePatternTypeLiteral, kmsg.ACLOperationAll)
	expect := func(what string, got int16, want *kerr.Error) {
		t.Helper()
		if got != want.Code {
			t.Errorf("%s: %v, want %v", what, kerr.ErrorForCode(got), want)
		}
	}
	none := &kerr.Error{Message: "NONE"}

	fc := kmsg.NewPtrFindCoordinatorRequest()
	fc.CoordinatorKeys = []string{"g-open", "g-closed"}
	fcr := brokertest.AskBroker(t, checked, fc).(*kmsg.FindCoordinatorResponse)
	expect("find coordinator g-open", fcr.Coordinators[0].ErrorCode, none)
	expect("find coordinator g-closed", fcr.Coordinators[1].ErrorCode, kerr.GroupAuthorizationFailed)

	join := kmsg.NewPtrJoinGroupRequest()
	join.Group, join.SessionTimeoutMillis, join.RebalanceTimeoutMillis, join.ProtocolType = "g-closed", 10000, 10000, "consumer"
	join.Protocols = append(join.Protocols, kmsg.JoinGroupRequestProtocol{Name: "range"})
	expect("join g-closed", brokertest.AskBroker(t, checked, join).(*kmsg.JoinGroupResponse).ErrorCode, kerr.GroupAuthorizationFailed)
	hb := kmsg.NewPtrHeartbeatRequest()
	hb.Group, hb.MemberID = "g-closed", "m"
	expect("heartbeat g-closed", brokertest.AskBroker(t, checked, hb).(*kmsg.HeartbeatResponse).ErrorCode, kerr.GroupAuthorizationFailed)

	commit := kmsg.NewPtrOffsetCommitRequest()
	commit.Group, commit.Generation = "g-open", -1
	for _, name := range []string{"open", "closed"} {
		rt := kmsg.NewOffsetCommitRequestTopic()
		rt.Topic = name
		rt.Partitions = append(rt.Partitions, kmsg.NewOffsetCommitRequestTopicPartition())
		commit.Topics = append(commit.Topics, rt)
	}
	ocr := brokertest.AskBroker(t, checked, commit).(*kmsg.OffsetCommitResponse)
	for _, rt := range ocr.Topics {
		want := none
		if rt.Topic == "closed" {
			want = kerr.TopicAuthorizationFailed
		}
		expect("commit g-open "+rt.Topic, rt.Partitions[0].ErrorCode, want)
	}
	commit.Group = "g-closed"
	for _, rt := range brokertest.AskBroker(t, checked, commit).(*kmsg.OffsetCommitResponse).Topics {
		expect("commit g-closed "+rt.Topic, rt.Partitions[0].ErrorCode, kerr.GroupAuthorizationFailed)
	}

	// OffsetFetch v8 of both groups, all topics: g-open lists only open.
	of := kmsg.NewPtrOffsetFetchRequest()
	of.Groups = []kmsg.OffsetFetchRequestGroup{{Group: "g-open"}, {Group: "g-closed"}}
	ofr := brokertest.AskBroker(t, checked, of).(*kmsg.OffsetFetchResponse)
	expect("offset fetch g-open", ofr.Groups[0].ErrorCode, none)
	if len(ofr.Groups[0].Topics) != 1 || ofr.Groups[0].Topics[0].Topic != "open" {
		t.Errorf("offset fetch g-open lists %+v, want open only", ofr.Groups[0].Topics)
	}
	expect("offset fetch g-closed", ofr.Groups[1].ErrorCode, kerr.GroupAuthorizationFailed)

	dg := kmsg.NewPtrDescribeGroupsRequest()
	dg.Groups = []string{"g-open", "g-closed"}
	dgr := brokertest.AskBroker(t, checked, dg).(*kmsg.DescribeGroupsResponse)
	expect("describe g-open", dgr.Groups[0].ErrorCode, none)
	expect("describe g-closed", dgr.Groups[1].ErrorCode, kerr.GroupAuthorizationFailed)
	od := kmsg.NewPtrOffsetDeleteRequest()
	od.Group = "g-closed"
	expect("offset delete g-closed", brokertest.AskBroker(t, checked, od).(*kmsg.OffsetDeleteResponse).ErrorCode, kerr.GroupAuthorizationFailed)

	// Cluster: ALTER denied.
	el := kmsg.NewPtrElectLeadersRequest()
	el.TimeoutMillis = 5000
	expect("elect leaders", brokertest.AskBroker(t, checked, el).(*kmsg.ElectLeadersResponse).ErrorCode, kerr.ClusterAuthorizationFailed)
	if errs := brokertest.CreateACLs(t, checked, brokertest.ACLCreation(kmsg.ACLResourceTypeTopic, "t", kmsg.ACLResourcePatternTypeLiteral,
		"User:x", kmsg.ACLOperationRead, kmsg.ACLPermissionTypeAllow)); errs[0] != kerr.ClusterAuthorizationFailed {
		t.Errorf("CreateAcls without ALTER on the cluster: %v", errs[0])
	}
	ap := kmsg.NewPtrAlterPartitionAssignmentsRequest()
	expect("alter partition reassignments", brokertest.AskBroker(t, checked, ap).(*kmsg.AlterPartitionAssignmentsResponse).ErrorCode, kerr.ClusterAuthorizationFailed)

	// ListGroups: all with DESCRIBE on the cluster; without (once the
	// checked broker applied the deletion), those it may describe.
	listed := func() map[string]bool {
		out := map[string]bool{}
		for _, g := range brokertest.AskBroker(t, checked, kmsg.NewPtrListGroupsRequest()).(*kmsg.ListGroupsResponse).Groups {
			out[g.Group] = true
		}
		return out
	}
	if l := listed(); !l["g-closed"] || !l["g-open"] {
		t.Errorf("ListGroups with DESCRIBE on the cluster lists %v", l)
	}
	del := kmsg.NewPtrDeleteACLsRequest()
	f := kmsg.NewDeleteACLsRequestFilter()
	f.ResourceType, f.ResourcePatternType = kmsg.ACLResourceTypeCluster, kmsg.ACLResourcePatternTypeLiteral
	f.Operation, f.PermissionType = kmsg.ACLOperationDescribe, kmsg.ACLPermissionTypeAllow
	del.Filters = append(del.Filters, f)
	if r := brokertest.AskBroker(t, admin, del).(*kmsg.DeleteACLsResponse); len(r.Results[0].MatchingACLs) != 1 {
		t.Fatalf("DeleteAcls: %+v", r)
	}
	await.Eventually(t, 30*time.Second, 20*time.Millisecond, func() error {
		if l := listed(); l["g-closed"] || !l["g-open"] {
			return fmt.Errorf("ListGroups lists %v, want g-open without g-closed", l)
		}
		return nil
	})
}
