package broker_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicelogs/sluice/broker"
	"github.com/sluicelogs/sluice/broker/group"
	"github.com/sluicelogs/sluice/broker/segment"
	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/testkit/brokertest"
	"github.com/sluicelogs/sluice/testkit/memtest"
	"github.com/sluicelogs/sluice/testkit/promtest"
	"github.com/sluicelogs/sluice/testkit/testcluster"
)

// startBrokerWith starts broker 1 like testcluster.StartBroker, after
// before has changed the broker New returned (before Run).
func startBrokerWith(t *testing.T, zkAddr string, before func(*broker.Broker), options ...func(*broker.Config)) *broker.Broker {
	t.Helper()
	cfg := broker.Defaults()
	cfg.BrokerID = 1
	cfg.SetListener("127.0.0.1", 0)
	cfg.LogDirs = []string{filepath.Join(t.TempDir(), "logs")}
	if err := cfg.SetZooKeeperConnect(zkAddr); err != nil {
		t.Fatal(err)
	}
	cfg.ZooKeeperTimeout, cfg.ZooKeeperSessionTimeout = 10*time.Second, 10*time.Second
	for _, o := range options {
		o(&cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	b, err := broker.New(&cfg, testcluster.Logger())
	if err != nil {
		t.Fatal(err)
	}
	before(b)
	testcluster.Run(t, "broker", 30*time.Second, b.Run)
	return b
}

// TestHandlerPanicClosesOnlyItsConnection: a handler that panics (here
// DescribeConfigs, made to) closes the connection it served, is counted in
// sluice_broker_request_panics_total, and the broker goes on serving: a
// client connected all along produces, and the same request on a new
// connection meets the same fate instead of a dead broker.
func TestHandlerPanicClosesOnlyItsConnection(t *testing.T) {
	zkAddr := testcluster.Coordinator(t)
	b := startBrokerWith(t, zkAddr, func(b *broker.Broker) { broker.PanicOn(b, kmsg.DescribeConfigs) })
	addr := b.Addr()
	testcluster.CreateTopic(t, addr, "calm", 1)
	good, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.DefaultProduceTopic("calm"))
	if err != nil {
		t.Fatal(err)
	}
	defer good.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := good.ProduceSync(ctx, &kgo.Record{Value: []byte("before")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 2; i++ {
		bad, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.RequestRetries(0))
		if err != nil {
			t.Fatal(err)
		}
		req := kmsg.NewPtrDescribeConfigsRequest()
		rc := kmsg.NewDescribeConfigsRequestResource()
		rc.ResourceType, rc.ResourceName = kmsg.ConfigResourceTypeTopic, "calm"
		req.Resources = append(req.Resources, rc)
		if _, err := req.RequestWith(ctx, bad); err == nil {
			t.Fatal("the panicking DescribeConfigs was answered")
		}
		bad.Close()
		if got := broker.Panics(b, kmsg.DescribeConfigs); got != float64(i) {
			t.Fatalf("panics counted: %v, want %d", got, i)
		}
		if err := good.ProduceSync(ctx, &kgo.Record{Value: []byte("after")}).FirstErr(); err != nil {
			t.Fatalf("produce after panic %d: %v", i, err)
		}
	}
}

// TestCreatePartitionsOfTopicWithoutPartitions: the cluster metadata is
// world-writable in the coordinator; a topic whose assignment names no
// partition (or whose partition 0 has no replica) used to panic in
// CreatePartitions. Such an assignment is now refused when decoded (the
// topic is logged and skipped: clients see UNKNOWN_TOPIC_OR_PARTITION),
// CreatePartitions would refuse it with INVALID_REPLICA_ASSIGNMENT if it
// got that far, and the broker goes on.
func TestCreatePartitionsOfTopicWithoutPartitions(t *testing.T) {
	zkAddr := testcluster.Coordinator(t)
	b := testcluster.StartBroker(t, 1, zkAddr, "")
	addr := b.Addr()
	zc, _, err := zk.Connect([]string{zkAddr}, 10*time.Second, zk.WithLogInfo(false))
	if err != nil {
		t.Fatal(err)
	}
	defer zc.Close()
	for name, asg := range map[string]string{
		"empty":   `{"version":2,"partitions":{}}`,
		"no-map":  `{"version":2}`,
		"no-reps": `{"version":2,"partitions":{"0":[]}}`,
	} {
		if _, err := zc.Create("/brokers/topics/"+name, []byte(asg), 0, zk.WorldACL(zk.PermAll)); err != nil {
			t.Fatalf("create /brokers/topics/%s: %v", name, err)
		}
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// "fine" is created after the bad topics: once the broker knows it, it
	// has read (and skipped) theirs.
	testcluster.CreateTopic(t, addr, "fine", 1)
	for _, name := range []string{"empty", "no-map", "no-reps"} {
		md := kmsg.NewPtrMetadataRequest()
		mt := kmsg.NewMetadataRequestTopic()
		mt.Topic = kmsg.StringPtr(name)
		md.Topics = append(md.Topics, mt)
		mresp, err := md.RequestWith(ctx, cl)
		if err != nil {
			t.Fatalf("metadata of %s: %v", name, err)
		}
		if code := mresp.Topics[0].ErrorCode; code != kerr.UnknownTopicOrPartition.Code {
			t.Fatalf("metadata of %s: error %v, want UNKNOWN_TOPIC_OR_PARTITION (its assignment does not decode)", name, kerr.ErrorForCode(code))
		}
		req := kmsg.NewPtrCreatePartitionsRequest()
		rt := kmsg.NewCreatePartitionsRequestTopic()
		rt.Topic, rt.Count = name, 3
		req.Topics = append(req.Topics, rt)
		req.TimeoutMillis = 10000
		resp, err := req.RequestWith(ctx, cl)
		if err != nil {
			t.Fatalf("create partitions of %s: %v", name, err)
		}
		if code := resp.Topics[0].ErrorCode; code != kerr.UnknownTopicOrPartition.Code && code != kerr.InvalidReplicaAssignment.Code {
			t.Fatalf("create partitions of %s: error %v, want UNKNOWN_TOPIC_OR_PARTITION or INVALID_REPLICA_ASSIGNMENT", name, kerr.ErrorForCode(code))
		}
	}
	if got := promtest.Value(t, promtest.Of(b.Collectors()...), "sluice_broker_request_panics_total", "api", kmsg.CreatePartitions.Name()); got != 0 {
		t.Fatalf("%v CreatePartitions requests panicked", got)
	}
	brokertest.ProduceValues(t, addr, "fine", 5)
	brokertest.CheckValues(t, addr, "fine", 5)
}

// brokerWithGroup starts a broker (and its coordinator, whose address it
// returns too) with a topic "work" of 3 records that group "g" has read
// and committed, which created __consumer_offsets.
func brokerWithGroup(t *testing.T) (string, *testcluster.Broker) {
	t.Helper()
	zkAddr := testcluster.Coordinator(t)
	b := testcluster.StartBroker(t, 1, zkAddr, "")
	testcluster.CreateTopic(t, b.Addr(), "work", 1)
	brokertest.ProduceValues(t, b.Addr(), "work", 3)
	if got := brokertest.ConsumeGroup(t, b.Addr(), "g", "work", 3); len(got) != 3 {
		t.Fatalf("group g read %v, want the 3 records of work", got)
	}
	return zkAddr, b
}

// TestProduceToInternalTopicRefused: a client's produce to
// __consumer_offsets is INVALID_TOPIC_EXCEPTION, as in Kafka, and nothing
// is written: a record there with a 1-byte key used to be stored, and
// groups found no coordinator after the next restart.
func TestProduceToInternalTopicRefused(t *testing.T) {
	_, b := brokerWithGroup(t)
	cl, ctx := brokertest.RequestClient(t, b.Addr())
	before := brokertest.EndOffsets(t, cl, "__consumer_offsets")[0]
	for _, acks := range []int16{1, -1} {
		req := kmsg.NewPtrProduceRequest()
		req.Acks, req.TimeoutMillis = acks, 5000
		rt := kmsg.NewProduceRequestTopic()
		rt.Topic = "__consumer_offsets"
		rp := kmsg.NewProduceRequestTopicPartition()
		rp.Records = segment.BuildBatch([]segment.Record{{Key: []byte{1}, Value: []byte("x")}}, 0)
		rt.Partitions = append(rt.Partitions, rp)
		req.Topics = append(req.Topics, rt)
		resp, err := req.RequestWith(ctx, cl)
		if err != nil {
			t.Fatal(err)
		}
		if code := resp.Topics[0].Partitions[0].ErrorCode; code != kerr.InvalidTopicException.Code {
			t.Fatalf("acks=%d: produce to __consumer_offsets answered %v, want INVALID_TOPIC_EXCEPTION", acks, kerr.ErrorForCode(code))
		}
	}
	if after := brokertest.EndOffsets(t, cl, "__consumer_offsets")[0]; after != before {
		t.Fatalf("__consumer_offsets grew from %d to %d", before, after)
	}
}

// TestAdminOfInternalTopicRefused: DeleteTopics and CreatePartitions
// naming __consumer_offsets or __transaction_state answer
// INVALID_TOPIC_EXCEPTION for those topics (their data and partition count
// unchanged, the group keeps its committed offsets), while the other
// topics of the same requests are deleted and grown.
func TestAdminOfInternalTopicRefused(t *testing.T) {
	_, b := brokerWithGroup(t)
	addr := b.Addr()
	testcluster.CreateTopic(t, addr, "gone", 1)
	testcluster.CreateTopic(t, addr, "__transaction_state", 1) // a client may create it, as in Kafka

	cl, ctx := brokertest.RequestClient(t, addr)
	internal := []string{"__consumer_offsets", "__transaction_state"}

	for _, validate := range []bool{true, false} {
		cp := kmsg.NewPtrCreatePartitionsRequest()
		cp.TimeoutMillis, cp.ValidateOnly = 5000, validate
		for _, name := range append([]string{"work"}, internal...) {
			rt := kmsg.NewCreatePartitionsRequestTopic()
			rt.Topic, rt.Count = name, 3
			cp.Topics = append(cp.Topics, rt)
		}
		cpResp, err := cp.RequestWith(ctx, cl)
		if err != nil {
			t.Fatal(err)
		}
		for _, rt := range cpResp.Topics {
			want := int16(0)
			if rt.Topic != "work" {
				want = kerr.InvalidTopicException.Code
			}
			if rt.ErrorCode != want {
				t.Fatalf("CreatePartitions (validate only %v) of %s answered %v, want %v", validate, rt.Topic, kerr.ErrorForCode(rt.ErrorCode), kerr.ErrorForCode(want))
			}
		}
	}

	for _, version := range []int16{4, 6} {
		dt := kmsg.NewPtrDeleteTopicsRequest()
		dt.Version, dt.TimeoutMillis = version, 5000
		names := append([]string{"gone"}, internal...)
		if version == 6 {
			names = internal // gone went with the first request
		}
		for _, name := range names {
			rt := kmsg.NewDeleteTopicsRequestTopic()
			rt.Topic = kmsg.StringPtr(name)
			dt.Topics = append(dt.Topics, rt)
			dt.TopicNames = append(dt.TopicNames, name)
		}
		dtResp, err := dt.RequestWith(ctx, cl)
		if err != nil {
			t.Fatal(err)
		}
		if len(dtResp.Topics) != len(names) {
			t.Fatalf("DeleteTopics v%d answered %d topics for %d", version, len(dtResp.Topics), len(names))
		}
		for _, rt := range dtResp.Topics {
			want := int16(0)
			if *rt.Topic != "gone" {
				want = kerr.InvalidTopicException.Code
			}
			if rt.ErrorCode != want {
				t.Fatalf("DeleteTopics v%d of %s answered %v, want %v", version, *rt.Topic, kerr.ErrorForCode(rt.ErrorCode), kerr.ErrorForCode(want))
			}
			if want != 0 && version >= 5 && (rt.ErrorMessage == nil || !strings.Contains(*rt.ErrorMessage, "internal")) {
				t.Fatalf("DeleteTopics v%d of %s: error message %v", version, *rt.Topic, rt.ErrorMessage)
			}
		}
	}

	md := kmsg.NewPtrMetadataRequest()
	md.AllowAutoTopicCreation = false
	for _, name := range []string{"work", "gone", "__consumer_offsets", "__transaction_state"} {
		mt := kmsg.NewMetadataRequestTopic()
		mt.Topic = kmsg.StringPtr(name)
		md.Topics = append(md.Topics, mt)
	}
	mdResp, err := md.RequestWith(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	wantParts := map[string]int{"work": 3, "gone": 0, "__consumer_offsets": int(broker.Defaults().OffsetsPartitions), "__transaction_state": 1}
	for _, mt := range mdResp.Topics {
		if got := len(mt.Partitions); got != wantParts[*mt.Topic] {
			t.Errorf("%s has %d partitions (%v), want %d", *mt.Topic, got, kerr.ErrorForCode(mt.ErrorCode), wantParts[*mt.Topic])
		}
	}
	// The group's commit survived: it reads nothing again.
	brokertest.ProduceValues(t, addr, "work", 1)
	if got := brokertest.ConsumeGroup(t, addr, "g", "work", 1); len(got) != 1 {
		t.Fatalf("after the refused deletes the group read %v", got)
	}
}

// TestReplaySkipsUndecodableOffsetsRecord: a broker that finds a record
// in __consumer_offsets that does not decode (written here straight to
// the log while the broker was down, as an older broker let a producer
// do) skips and counts it; the groups keep their committed offsets and
// JoinGroup works.
func TestReplaySkipsUndecodableOffsetsRecord(t *testing.T) {
	zkAddr, b := brokerWithGroup(t)
	addr := b.Addr()
	b.Stop()

	part := group.PartitionFor("g", broker.Defaults().OffsetsPartitions) // the group's offsets partition
	log, err := segment.Open(filepath.Join(b.Dir, "logs", fmt.Sprintf("__consumer_offsets-%d", part)), segment.Options{}, testcluster.Logger())
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := log.Append(segment.BuildBatch([]segment.Record{{Key: []byte{1}, Value: []byte("x")}}, 0), 0); err != nil {
		t.Fatal(err)
	}
	if err := log.Close(); err != nil {
		t.Fatal(err)
	}

	b = testcluster.StartBroker(t, 1, zkAddr, b.Dir)
	addr = b.Addr()
	brokertest.ProduceValues(t, addr, "work", 5) // v-00000…v-00004 again: offsets 3–7
	got := brokertest.ConsumeGroup(t, addr, "g", "work", 5)
	if strings.Join(got, ",") != "v-00000,v-00001,v-00002,v-00003,v-00004" {
		t.Fatalf("after the restart group g read %v, want the 5 new records only", got)
	}
	if n := broker.OffsetsRecordsSkipped(b.Broker); n != 1 {
		t.Fatalf("sluice_broker_offsets_records_skipped_total = %v, want 1", n)
	}
}

// TestAnnouncedSizeIsNotAllocated: 50 connections each announce a
// 100 MiB produce (socket.request.max.bytes) and send its header only.
// The broker holds 4 KiB for each, not 100 MiB (which took the heap to
// gigabytes), and a client produces and fetches meanwhile. A Metadata
// that announces more than the cap of every API but Produce is closed as
// soon as its API key is in.
func TestAnnouncedSizeIsNotAllocated(t *testing.T) {
	const conns = 50
	zkAddr := testcluster.Coordinator(t)
	b := testcluster.StartBroker(t, 1, zkAddr, "")
	addr := b.Addr()
	testcluster.CreateTopic(t, addr, "small", 1)
	brokertest.ProduceValues(t, addr, "small", 10)

	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	header := func(size int, key kmsg.Key) []byte {
		h := binary.BigEndian.AppendUint32(nil, uint32(size))
		h = binary.BigEndian.AppendUint16(h, uint16(key))
		h = binary.BigEndian.AppendUint16(h, 9)
		h = binary.BigEndian.AppendUint32(h, 1)
		return binary.BigEndian.AppendUint16(h, 0)
	}
	var open []net.Conn
	defer func() {
		for _, c := range open {
			c.Close()
		}
	}()
	for range conns {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		open = append(open, c)
		if _, err := c.Write(header(100<<20, kmsg.Produce)); err != nil {
			t.Fatal(err)
		}
	}
	await.Eventually(t, 30*time.Second, 5*time.Millisecond, func() error {
		if used, _ := broker.RequestMemory(b.Broker); used != conns*4096 {
			return fmt.Errorf("request memory %d bytes, want %d", used, conns*4096)
		}
		return nil
	})
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	grown := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("heap grew by %d KiB for %d connections that announced 100 MiB each", grown>>10, conns)
	if grown > 64<<20 {
		t.Fatalf("heap grew by %d MiB for %d connections that sent headers only", grown>>20, conns)
	}
	testcluster.CreateTopic(t, addr, "after", 1)
	brokertest.ProduceValues(t, addr, "after", 20)
	brokertest.CheckValues(t, addr, "after", 20)

	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write(header(50<<20, kmsg.Metadata)); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
	if _, err := c.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Fatalf("a 50 MiB Metadata: read %v, want the connection closed", err)
	}
}

// apiVersions sends an ApiVersions v0 on nc and reads its answer.
func apiVersions(nc net.Conn) error {
	req := binary.BigEndian.AppendUint32(nil, 10)
	req = binary.BigEndian.AppendUint16(req, uint16(kmsg.ApiVersions))
	req = binary.BigEndian.AppendUint16(req, 0)
	req = binary.BigEndian.AppendUint32(req, 1)
	req = binary.BigEndian.AppendUint16(req, 0)
	_ = nc.SetDeadline(time.Now().Add(30 * time.Second))
	defer nc.SetDeadline(time.Time{})
	if _, err := nc.Write(req); err != nil {
		return err
	}
	var size [4]byte
	if _, err := io.ReadFull(nc, size[:]); err != nil {
		return err
	}
	_, err := io.ReadFull(nc, make([]byte, binary.BigEndian.Uint32(size[:])))
	return err
}

// closedByBroker reports whether the broker closed nc: a read ends with
// EOF (or a reset), not with data or the test's deadline.
func closedByBroker(t *testing.T, nc net.Conn) {
	t.Helper()
	_ = nc.SetReadDeadline(time.Now().Add(30 * time.Second))
	_, err := nc.Read(make([]byte, 1))
	var ne net.Error
	if err == nil || errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the broker kept the connection open (read: %v)", err)
	}
}

// TestConnectionLimits: with max.connections (or max.connections.per.ip,
// all test connections coming from 127.0.0.1) at 3, a fourth connection
// is closed at accept and counted in
// sluice_broker_connections_refused_total{limit}; once one of the three
// ends, a new one is served.
func TestConnectionLimits(t *testing.T) {
	zkAddr := testcluster.Coordinator(t)
	for _, tc := range []struct {
		limit string
		set   func(*broker.Config)
	}{
		{"max_connections", func(c *broker.Config) { c.MaxConnections = 3 }},
		{"max_connections_per_ip", func(c *broker.Config) { c.MaxConnectionsPerIP = 3 }},
	} {
		t.Run(tc.limit, func(t *testing.T) {
			b := testcluster.StartBroker(t, 1, zkAddr, "", tc.set)
			var open []net.Conn
			defer func() {
				for _, c := range open {
					c.Close()
				}
			}()
			for range 3 {
				nc, err := net.Dial("tcp", b.Addr())
				if err != nil {
					t.Fatal(err)
				}
				open = append(open, nc)
				if err := apiVersions(nc); err != nil {
					t.Fatalf("connection %d: %v", len(open), err)
				}
			}
			extra, err := net.Dial("tcp", b.Addr())
			if err != nil {
				t.Fatal(err)
			}
			defer extra.Close()
			closedByBroker(t, extra)
			if n := broker.Refused(b.Broker, tc.limit); n != 1 {
				t.Fatalf("refused{%s} = %v, want 1", tc.limit, n)
			}
			open[0].Close()
			await.Eventually(t, 30*time.Second, 5*time.Millisecond, func() error {
				if n := broker.OpenConnections(b.Broker); n != 2 {
					return fmt.Errorf("%d connections open", n)
				}
				return nil
			})
			again, err := net.Dial("tcp", b.Addr())
			if err != nil {
				t.Fatal(err)
			}
			defer again.Close()
			if err := apiVersions(again); err != nil {
				t.Fatalf("a connection once another ended: %v", err)
			}
		})
	}
}

// TestConnectionLimitOverrides: max.connections.per.ip.overrides gives
// an address (127.0.0.1, named by its IP or by the host name localhost)
// more or fewer connections than max.connections.per.ip, which another
// loopback address (127.0.0.2) keeps; max.connections.per.ip=0 refuses
// every address without an override.
func TestConnectionLimitOverrides(t *testing.T) {
	zkAddr := testcluster.Coordinator(t)
	for _, tc := range []struct {
		name      string
		perIP     int32
		overrides map[string]int32
		want      map[string]int // connections served from each source address
	}{
		{"more", 2, map[string]int32{"127.0.0.1": 4}, map[string]int{"127.0.0.1": 4, "127.0.0.2": 2}},
		{"fewer", 3, map[string]int32{"127.0.0.1": 1}, map[string]int{"127.0.0.1": 1, "127.0.0.2": 3}},
		{"host name, 0 for the others", 0, map[string]int32{"localhost": 3}, map[string]int{"127.0.0.1": 3, "127.0.0.2": 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := testcluster.StartBroker(t, 1, zkAddr, "", func(c *broker.Config) {
				c.MaxConnectionsPerIP, c.MaxConnectionsPerIPOverrides = tc.perIP, tc.overrides
			})
			refused := 0
			for _, src := range []string{"127.0.0.1", "127.0.0.2"} {
				d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
				for i := 0; i <= tc.want[src]; i++ {
					nc, err := d.Dial("tcp", b.Addr())
					if err != nil {
						t.Fatal(err)
					}
					defer nc.Close()
					if i == tc.want[src] {
						closedByBroker(t, nc)
						refused++
					} else if err := apiVersions(nc); err != nil {
						t.Fatalf("connection %d from %s: %v", i+1, src, err)
					}
				}
			}
			if n := broker.Refused(b.Broker, "max_connections_per_ip"); n != float64(refused) {
				t.Fatalf("refused{max_connections_per_ip} = %v, want %d", n, refused)
			}
		})
	}
}

// TestIdleConnectionClosed: with connections.max.idle.ms=200, a
// connection that sent one request and then nothing is closed and counted
// (sluice_broker_connections_idle_closed_total); so is one that stopped in
// the middle of a request. A connection whose request takes longer than
// that to answer (a fetch's long poll of 1 s) is answered.
func TestIdleConnectionClosed(t *testing.T) {
	zkAddr := testcluster.Coordinator(t)
	b := testcluster.StartBroker(t, 1, zkAddr, "", func(c *broker.Config) { c.ConnectionsMaxIdle = 200 * time.Millisecond })
	testcluster.CreateTopic(t, b.Addr(), "quiet", 1)

	// The client that created the topic may have had a connection idle
	// long enough already: count from here.
	before := broker.IdleClosed(b.Broker)
	idle, err := net.Dial("tcp", b.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	if err := apiVersions(idle); err != nil {
		t.Fatal(err)
	}
	closedByBroker(t, idle)

	half, err := net.Dial("tcp", b.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer half.Close()
	if _, err := half.Write([]byte{0, 0, 1, 0, 0, 3}); err != nil {
		t.Fatal(err)
	}
	closedByBroker(t, half)
	if n := broker.IdleClosed(b.Broker) - before; n != 2 {
		t.Fatalf("idle closed: %v, want 2", n)
	}

	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req := kmsg.NewPtrFetchRequest()
	req.MaxWaitMillis, req.MinBytes, req.MaxBytes = 1000, 1, 1<<20
	rt := kmsg.NewFetchRequestTopic()
	rt.Topic = "quiet"
	rp := kmsg.NewFetchRequestTopicPartition()
	rp.PartitionMaxBytes = 1 << 20
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	if _, err := req.RequestWith(ctx, cl); err != nil {
		t.Fatalf("a fetch that waited longer than connections.max.idle.ms: %v", err)
	}
}

// TestRequestMemoryBackpressure: with queued.max.request.bytes at 1 MiB,
// a connection holding it all (600 KiB of a 1 MiB produce sent, the
// rest not yet: its buffers charge 2 MiB less 4 KiB) makes a new client wait for memory instead of reading
// on; once that connection goes, the client produces.
func TestRequestMemoryBackpressure(t *testing.T) {
	zkAddr := testcluster.Coordinator(t)
	b := testcluster.StartBroker(t, 1, zkAddr, "", func(c *broker.Config) {
		c.MaxRequestBytes, c.QueuedMaxRequestBytes = 1<<20, 1<<20
	})
	addr := b.Addr()
	testcluster.CreateTopic(t, addr, "pressed", 1)

	hog, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer hog.Close()
	part := binary.BigEndian.AppendUint32(nil, 1<<20)
	part = binary.BigEndian.AppendUint16(part, uint16(kmsg.Produce))
	part = append(part, make([]byte, 600<<10)...)
	if _, err := hog.Write(part); err != nil {
		t.Fatal(err)
	}
	await.Eventually(t, 30*time.Second, 5*time.Millisecond, func() error {
		// 4 KiB doubling to 64 KiB, then the whole 1 MiB; the outgrown
		// buffers still charged. (It was 4 KiB doubling up to 1 MiB,
		// 2 MiB - 4 KiB charged.)
		if used, _ := broker.RequestMemory(b.Broker); used != 1<<20+124<<10 {
			return fmt.Errorf("request memory %d, want %d", used, 1<<20+124<<10)
		}
		return nil
	})

	done := make(chan error, 1)
	go func() {
		cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.DefaultProduceTopic("pressed"))
		if err != nil {
			done <- err
			return
		}
		defer cl.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		done <- cl.ProduceSync(ctx, &kgo.Record{Value: []byte("waited")}).FirstErr()
	}()
	await.Eventually(t, 30*time.Second, 5*time.Millisecond, func() error {
		if _, waiting := broker.RequestMemory(b.Broker); waiting < 1 {
			return errors.New("no connection waits for request memory")
		}
		return nil
	})
	select {
	case err := <-done:
		t.Fatalf("the client got through while the memory was spent: %v", err)
	default:
	}
	hog.Close()
	if err := <-done; err != nil {
		t.Fatalf("produce once the memory was given back: %v", err)
	}
	var got []string
	brokertest.ReadAll(t, addr, "pressed", func(r *kgo.Record) { got = append(got, string(r.Value)) })
	if strings.Join(got, ",") != "waited" {
		t.Fatalf("pressed holds %q", got)
	}
}

// TestSilentConnectionsHoldNoBuffers: a connection that has not sent a
// byte holds no read or write buffer (64 KiB each once it sends a
// request), so idle connections up to max.connections cost little memory.
func TestSilentConnectionsHoldNoBuffers(t *testing.T) {
	const conns = 200
	zkAddr := testcluster.Coordinator(t)
	b := testcluster.StartBroker(t, 1, zkAddr, "")
	metrics := promtest.Of(b.Collectors()...)
	base := promtest.Value(t, metrics, "sluice_broker_connections")
	grown := memtest.HeapGrowth(func() {
		for range conns {
			nc, err := net.Dial("tcp", b.Addr())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { nc.Close() })
		}
		await.Eventually(t, time.Minute, 10*time.Millisecond, func() error {
			if n := promtest.Value(t, metrics, "sluice_broker_connections") - base; n < conns {
				return fmt.Errorf("%v of %d connections accepted", n, conns)
			}
			return nil
		})
	})
	if limit := int64(conns * 16 << 10); grown > limit {
		t.Fatalf("%d silent connections grew the heap by %d KiB, more than 16 KiB each (%d KiB)", conns, grown>>10, limit>>10)
	}
	t.Logf("%d silent connections: heap +%d KiB", conns, grown>>10)
}
