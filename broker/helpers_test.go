package broker_test

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// The tests that spend their time waiting on Kafka's JVM tools and
// brokers (interop and differential tests) call t.Parallel: three of them
// at a time (make test's -parallel 3; GOMAXPROCS by default) overlap
// those waits once the package's other tests have run alone. The tests that
// measure this process's memory, or that kill and time processes, stay
// sequential.

// endOffsets returns the high watermark of every partition of topic.
func endOffsets(t *testing.T, cl *kgo.Client, topic string) map[int32]int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	md := kmsg.NewPtrMetadataRequest()
	mt := kmsg.NewMetadataRequestTopic()
	mt.Topic = kmsg.StringPtr(topic)
	md.Topics = append(md.Topics, mt)
	mresp, err := md.RequestWith(ctx, cl)
	if err != nil || len(mresp.Topics) != 1 || mresp.Topics[0].ErrorCode != 0 {
		t.Fatalf("metadata of %s: %v %+v", topic, err, mresp)
	}
	req := kmsg.NewPtrListOffsetsRequest()
	rt := kmsg.NewListOffsetsRequestTopic()
	rt.Topic = topic
	for _, p := range mresp.Topics[0].Partitions {
		rp := kmsg.NewListOffsetsRequestTopicPartition()
		rp.Partition, rp.Timestamp = p.Partition, -1
		rt.Partitions = append(rt.Partitions, rp)
	}
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int32]int64{}
	for _, p := range resp.Topics[0].Partitions {
		if p.ErrorCode != 0 {
			t.Fatalf("list offsets %s/%d: error %d", topic, p.Partition, p.ErrorCode)
		}
		out[p.Partition] = p.Offset
	}
	return out
}

// requestClient returns a client of the broker at addr for kmsg requests
// and a context that bounds them to 30 seconds, both ended with the test.
func requestClient(t *testing.T, addr string) (*kgo.Client, context.Context) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return cl, ctx
}

// askBroker sends req to the broker at addr only (a client would route
// it) and returns the answer; bounded by requestClient's 30 seconds.
func askBroker(t *testing.T, addr string, req kmsg.Request) kmsg.Response {
	t.Helper()
	cl, ctx := requestClient(t, addr)
	resp, err := cl.SeedBrokers()[0].RetriableRequest(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}
