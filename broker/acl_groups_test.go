package broker_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"

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

	// OffsetFetch of named topics, v7 (one group) and v8 (per group): the
	// topic it may not describe answers TOPIC_AUTHORIZATION_FAILED at
	// offset -1, the other its committed offset; v7 of all topics lists
	// only open.
	max7 := kversion.Stable()
	max7.SetMaxKeyVersion(kmsg.OffsetFetch.Int16(), 7)
	v7, err := kgo.NewClient(kgo.SeedBrokers(checked), kgo.MaxVersions(max7))
	if err != nil {
		t.Fatal(err)
	}
	defer v7.Close()
	fetched := func(topics []string, part func(string) (int16, int64)) {
		t.Helper()
		seen := map[string]bool{}
		for _, name := range topics {
			code, offset := part(name)
			seen[name] = true
			want, wantOffset := none, int64(0)
			if name == "closed" {
				want, wantOffset = kerr.TopicAuthorizationFailed, -1
			}
			expect("offset fetch g-open "+name, code, want)
			if offset != wantOffset {
				t.Errorf("offset fetch g-open %s: offset %d, want %d", name, offset, wantOffset)
			}
		}
	}
	for _, all := range []bool{false, true} {
		of7 := kmsg.NewPtrOffsetFetchRequest()
		of7.Group = "g-open"
		if !all {
			for _, name := range []string{"open", "closed"} {
				of7.Topics = append(of7.Topics, kmsg.OffsetFetchRequestTopic{Topic: name, Partitions: []int32{0}})
			}
		}
		r7, err := of7.RequestWith(context.Background(), v7)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, rt := range r7.Topics {
			names = append(names, rt.Topic)
		}
		if want := map[bool]string{false: "[open closed]", true: "[open]"}[all]; fmt.Sprint(names) != want || r7.Version != 7 {
			t.Errorf("offset fetch v%d g-open (all %v) answers %v, want %s", r7.Version, all, names, want)
		}
		fetched(names, func(name string) (int16, int64) {
			p := r7.Topics[slices.IndexFunc(r7.Topics, func(rt kmsg.OffsetFetchResponseTopic) bool { return rt.Topic == name })].Partitions[0]
			return p.ErrorCode, p.Offset
		})
	}
	of8 := kmsg.NewPtrOffsetFetchRequest()
	of8.Groups = []kmsg.OffsetFetchRequestGroup{{Group: "g-open", Topics: []kmsg.OffsetFetchRequestGroupTopic{{Topic: "open", Partitions: []int32{0}}, {Topic: "closed", Partitions: []int32{0}}}}}
	r8 := brokertest.AskBroker(t, checked, of8).(*kmsg.OffsetFetchResponse)
	if len(r8.Groups) != 1 || len(r8.Groups[0].Topics) != 2 {
		t.Fatalf("offset fetch v8 g-open open,closed: %+v", r8.Groups)
	}
	fetched([]string{"open", "closed"}, func(name string) (int16, int64) {
		p := r8.Groups[0].Topics[slices.IndexFunc(r8.Groups[0].Topics, func(rt kmsg.OffsetFetchResponseGroupTopic) bool { return rt.Topic == name })].Partitions[0]
		return p.ErrorCode, p.Offset
	})

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
