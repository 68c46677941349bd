package broker_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/testkit/brokertest"
	"github.com/sluicelogs/sluice/testkit/testcluster"
)

// aclBrokers starts, on one coordinator, a broker whose every client is
// User:ANONYMOUS under an authorizer with allow.everyone.if.no.acl.found
// (checked), and an admin broker for which User:ANONYMOUS is a super
// user: ACLs are added through the admin broker, and the checked broker
// applies them from the change notifications. setup runs against the
// checked broker alone, before the admin broker starts, so that the
// topics it creates are all on the checked broker.
func aclBrokers(t *testing.T, setup func(checked string)) (checked, admin string) {
	t.Helper()
	zkAddr := testcluster.Coordinator(t)
	c := testcluster.StartBroker(t, 1, zkAddr, "", brokertest.WithAuthorizer(true))
	setup(c.Addr())
	a := testcluster.StartBroker(t, 2, zkAddr, "", brokertest.WithAuthorizer(false, "User:ANONYMOUS"))
	return c.Addr(), a.Addr()
}

// denyAnonymous adds, through admin, a DENY of op for User:ANONYMOUS on
// the pattern and waits until the broker at checked has it.
func denyAnonymous(t *testing.T, checked, admin string, rt kmsg.ACLResourceType, name string, pt kmsg.ACLResourcePatternType, op kmsg.ACLOperation) {
	t.Helper()
	if errs := brokertest.CreateACLs(t, admin, brokertest.ACLCreation(rt, name, pt, "User:ANONYMOUS", op, kmsg.ACLPermissionTypeDeny)); errs[0] != nil {
		t.Fatalf("CreateAcls: %v", errs[0])
	}
	awaitACLCount(t, checked, admin)
}

// awaitACLCount waits until checked describes as many ACLs as admin.
func awaitACLCount(t *testing.T, checked, admin string) {
	t.Helper()
	count := func(addr string) int {
		n := 0
		resp := brokertest.DescribeAllACLs(t, addr)
		if resp.ErrorCode != 0 {
			t.Fatalf("DescribeAcls on %s: %v", addr, kerr.ErrorForCode(resp.ErrorCode))
		}
		for _, r := range resp.Resources {
			n += len(r.ACLs)
		}
		return n
	}
	want := count(admin)
	await.Eventually(t, 30*time.Second, 20*time.Millisecond, func() error {
		if got := count(checked); got != want {
			return fmt.Errorf("the checked broker has %d ACLs, the admin broker %d", got, want)
		}
		return nil
	})
}

// TestACLEnforcementTopics: each topic API refuses a topic the principal
// is denied with TOPIC_AUTHORIZATION_FAILED where Kafka puts it, and
// serves the others.
func TestACLEnforcementTopics(t *testing.T) {
	checked, admin := aclBrokers(t, func(checked string) {
		for _, name := range []string{"open", "closed"} {
			testcluster.CreateTopic(t, checked, name, 2)
		}
		brokertest.ProduceValues(t, checked, "closed", 3)
	})
	denyAnonymous(t, checked, admin, kmsg.ACLResourceTypeTopic, "closed", kmsg.ACLResourcePatternTypeLiteral, kmsg.ACLOperationAll)
	// Creating topics: not on the cluster, nor under nocreate- (which it
	// may DESCRIBE, so that Metadata gets as far as auto-creation).
	// (An ACL on the cluster ends allow.everyone.if.no.acl.found there:
	// DESCRIBE, for DescribeAcls, is allowed with it.)
	if errs := brokertest.CreateACLs(t, admin, brokertest.ACLCreation(kmsg.ACLResourceTypeCluster, "kafka-cluster", kmsg.ACLResourcePatternTypeLiteral,
		"User:ANONYMOUS", kmsg.ACLOperationDescribe, kmsg.ACLPermissionTypeAllow)); errs[0] != nil {
		t.Fatal(errs[0])
	}
	denyAnonymous(t, checked, admin, kmsg.ACLResourceTypeCluster, "kafka-cluster", kmsg.ACLResourcePatternTypeLiteral, kmsg.ACLOperationCreate)
	denyAnonymous(t, checked, admin, kmsg.ACLResourceTypeTopic, "nocreate-", kmsg.ACLResourcePatternTypePrefixed, kmsg.ACLOperationCreate)
	if errs := brokertest.CreateACLs(t, admin, brokertest.ACLCreation(kmsg.ACLResourceTypeTopic, "nocreate-", kmsg.ACLResourcePatternTypePrefixed,
		"User:ANONYMOUS", kmsg.ACLOperationDescribe, kmsg.ACLPermissionTypeAllow)); errs[0] != nil {
		t.Fatal(errs[0])
	}
	awaitACLCount(t, checked, admin)

	// Produce and consume with franz-go.
	cl, err := kgo.NewClient(kgo.SeedBrokers(checked), kgo.RecordRetries(0), kgo.ProducerLinger(0))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "open", Value: []byte("v")}).FirstErr(); err != nil {
		t.Fatalf("produce to open: %v", err)
	}
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "closed", Value: []byte("v")}).FirstErr(); !errors.Is(err, kerr.TopicAuthorizationFailed) {
		t.Fatalf("produce to closed: %v, want TOPIC_AUTHORIZATION_FAILED", err)
	}

	code := func(c int16) error { return kerr.ErrorForCode(c) }
	expect := func(what string, got, want error) {
		t.Helper()
		if got != want {
			t.Errorf("%s: %v, want %v", what, got, want)
		}
	}

	// Produce (raw, to see the placement), Fetch, ListOffsets.
	prod := kmsg.NewPtrProduceRequest()
	prod.Acks, prod.TimeoutMillis = 1, 5000
	for _, name := range []string{"open", "closed"} {
		rt := kmsg.NewProduceRequestTopic()
		rt.Topic = name
		for p := int32(0); p < 2; p++ {
			rp := kmsg.NewProduceRequestTopicPartition()
			rp.Partition = p
			rt.Partitions = append(rt.Partitions, rp)
		}
		prod.Topics = append(prod.Topics, rt)
	}
	pr := brokertest.AskBroker(t, checked, prod).(*kmsg.ProduceResponse)
	for _, rt := range pr.Topics {
		for _, rp := range rt.Partitions {
			if rt.Topic == "closed" {
				expect(fmt.Sprintf("raw produce to closed/%d", rp.Partition), code(rp.ErrorCode), kerr.TopicAuthorizationFailed)
			} else if code(rp.ErrorCode) == kerr.TopicAuthorizationFailed {
				t.Errorf("raw produce to open/%d: TOPIC_AUTHORIZATION_FAILED", rp.Partition)
			}
		}
	}
	fetch := kmsg.NewPtrFetchRequest()
	fetch.ReplicaID, fetch.MaxWaitMillis, fetch.MaxBytes = -1, 10, 1<<20
	for _, name := range []string{"open", "closed"} {
		rt := kmsg.NewFetchRequestTopic()
		rt.Topic = name
		rp := kmsg.NewFetchRequestTopicPartition()
		rp.PartitionMaxBytes = 1 << 20
		rt.Partitions = append(rt.Partitions, rp)
		fetch.Topics = append(fetch.Topics, rt)
	}
	fr := brokertest.AskBroker(t, checked, fetch).(*kmsg.FetchResponse)
	expect("fetch open", code(fr.Topics[0].Partitions[0].ErrorCode), nil)
	expect("fetch closed", code(fr.Topics[1].Partitions[0].ErrorCode), kerr.TopicAuthorizationFailed)
	// A "follower" fetch: allowed here (no cluster ACL, allow.everyone).
	lo := kmsg.NewPtrListOffsetsRequest()
	for _, name := range []string{"open", "closed"} {
		rt := kmsg.NewListOffsetsRequestTopic()
		rt.Topic = name
		rp := kmsg.NewListOffsetsRequestTopicPartition()
		rp.Timestamp = -1
		rt.Partitions = append(rt.Partitions, rp)
		lo.Topics = append(lo.Topics, rt)
	}
	lr := brokertest.AskBroker(t, checked, lo).(*kmsg.ListOffsetsResponse)
	expect("list offsets open", code(lr.Topics[0].Partitions[0].ErrorCode), nil)
	expect("list offsets closed", code(lr.Topics[1].Partitions[0].ErrorCode), kerr.TopicAuthorizationFailed)

	// Metadata: all topics leaves closed out; asked by name it is refused;
	// auto-creation under the denied prefix is refused.
	md := kmsg.NewPtrMetadataRequest()
	mr := brokertest.AskBroker(t, checked, md).(*kmsg.MetadataResponse)
	for _, mt := range mr.Topics {
		if *mt.Topic == "closed" {
			t.Errorf("metadata of all topics lists closed")
		}
	}
	md = kmsg.NewPtrMetadataRequest()
	md.AllowAutoTopicCreation = true
	for _, name := range []string{"closed", "open", "nocreate-x", "created-x"} {
		mt := kmsg.NewMetadataRequestTopic()
		mt.Topic = kmsg.StringPtr(name)
		md.Topics = append(md.Topics, mt)
	}
	mr = brokertest.AskBroker(t, checked, md).(*kmsg.MetadataResponse)
	got := map[string]error{}
	for _, mt := range mr.Topics {
		got[*mt.Topic] = code(mt.ErrorCode)
	}
	expect("metadata closed", got["closed"], kerr.TopicAuthorizationFailed)
	expect("metadata open", got["open"], nil)
	expect("metadata auto-create nocreate-x", got["nocreate-x"], kerr.TopicAuthorizationFailed)
	if got["created-x"] == kerr.TopicAuthorizationFailed {
		t.Errorf("metadata auto-create created-x: %v", got["created-x"])
	}

	// CreateTopics, CreatePartitions, DeleteRecords, DeleteTopics.
	ct := kmsg.NewPtrCreateTopicsRequest()
	ct.TimeoutMillis = 10000
	for _, name := range []string{"nocreate-y", "created-y"} {
		rt := kmsg.NewCreateTopicsRequestTopic()
		rt.Topic, rt.NumPartitions, rt.ReplicationFactor = name, 1, 1
		ct.Topics = append(ct.Topics, rt)
	}
	ctr := brokertest.AskBroker(t, checked, ct).(*kmsg.CreateTopicsResponse)
	expect("create nocreate-y", code(ctr.Topics[0].ErrorCode), kerr.TopicAuthorizationFailed)
	expect("create created-y", code(ctr.Topics[1].ErrorCode), nil)
	cp := kmsg.NewPtrCreatePartitionsRequest()
	cp.TimeoutMillis = 10000
	cpt := kmsg.NewCreatePartitionsRequestTopic()
	cpt.Topic, cpt.Count = "closed", 3
	cp.Topics = append(cp.Topics, cpt)
	cpr := brokertest.AskBroker(t, checked, cp).(*kmsg.CreatePartitionsResponse)
	expect("create partitions closed", code(cpr.Topics[0].ErrorCode), kerr.TopicAuthorizationFailed)
	dr := kmsg.NewPtrDeleteRecordsRequest()
	dr.TimeoutMillis = 10000
	drt := kmsg.NewDeleteRecordsRequestTopic()
	drt.Topic = "closed"
	drp := kmsg.NewDeleteRecordsRequestTopicPartition()
	drp.Offset = 1
	drt.Partitions = append(drt.Partitions, drp)
	dr.Topics = append(dr.Topics, drt)
	drr := brokertest.AskBroker(t, checked, dr).(*kmsg.DeleteRecordsResponse)
	expect("delete records closed", code(drr.Topics[0].Partitions[0].ErrorCode), kerr.TopicAuthorizationFailed)
	dt := kmsg.NewPtrDeleteTopicsRequest()
	dt.TimeoutMillis = 10000
	dtt := kmsg.NewDeleteTopicsRequestTopic()
	dtt.Topic = kmsg.StringPtr("closed")
	dt.Topics = append(dt.Topics, dtt)
	dtr := brokertest.AskBroker(t, checked, dt).(*kmsg.DeleteTopicsResponse)
	expect("delete topic closed", code(dtr.Topics[0].ErrorCode), kerr.TopicAuthorizationFailed)

	// DescribeConfigs, AlterConfigs, IncrementalAlterConfigs.
	dc := kmsg.NewPtrDescribeConfigsRequest()
	for _, name := range []string{"open", "closed"} {
		r := kmsg.NewDescribeConfigsRequestResource()
		r.ResourceType, r.ResourceName = kmsg.ConfigResourceTypeTopic, name
		dc.Resources = append(dc.Resources, r)
	}
	dcr := brokertest.AskBroker(t, checked, dc).(*kmsg.DescribeConfigsResponse)
	expect("describe configs open", code(dcr.Resources[0].ErrorCode), nil)
	expect("describe configs closed", code(dcr.Resources[1].ErrorCode), kerr.TopicAuthorizationFailed)
	ia := kmsg.NewPtrIncrementalAlterConfigsRequest()
	iar := kmsg.NewIncrementalAlterConfigsRequestResource()
	iar.ResourceType, iar.ResourceName = kmsg.ConfigResourceTypeTopic, "closed"
	iac := kmsg.NewIncrementalAlterConfigsRequestResourceConfig()
	iac.Name, iac.Value = "retention.ms", kmsg.StringPtr("1000")
	iar.Configs = append(iar.Configs, iac)
	ia.Resources = append(ia.Resources, iar)
	iarr := brokertest.AskBroker(t, checked, ia).(*kmsg.IncrementalAlterConfigsResponse)
	expect("incremental alter configs closed", code(iarr.Resources[0].ErrorCode), kerr.TopicAuthorizationFailed)

	// InitProducerId: allowed (no cluster ACL, allow.everyone).
	ip := kmsg.NewPtrInitProducerIDRequest()
	ipr := brokertest.AskBroker(t, checked, ip).(*kmsg.InitProducerIDResponse)
	expect("init producer id", code(ipr.ErrorCode), nil)

}
