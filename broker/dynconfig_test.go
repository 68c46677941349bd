package broker_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicelogs/sluice/broker"
	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/testkit/brokertest"
	"github.com/sluicelogs/sluice/testkit/testcluster"
)

// alterBroker sets (value non-nil) or deletes dynamic broker configs of
// entity ("" for the defaults) through IncrementalAlterConfigs.
func alterBroker(t *testing.T, cl *kgo.Client, entity string, kv ...any) {
	t.Helper()
	req := kmsg.NewPtrIncrementalAlterConfigsRequest()
	rr := kmsg.NewIncrementalAlterConfigsRequestResource()
	rr.ResourceType, rr.ResourceName = kmsg.ConfigResourceTypeBroker, entity
	for i := 0; i < len(kv); i += 2 {
		c := kmsg.NewIncrementalAlterConfigsRequestResourceConfig()
		c.Name = kv[i].(string)
		if v, ok := kv[i+1].(string); ok {
			c.Value = kmsg.StringPtr(v)
		} else {
			c.Op = kmsg.IncrementalAlterConfigOpDelete
		}
		rr.Configs = append(rr.Configs, c)
	}
	req.Resources = append(req.Resources, rr)
	resp, err := req.RequestWith(context.Background(), cl)
	if err != nil {
		t.Fatal(err)
	}
	if r := resp.Resources[0]; r.ErrorCode != 0 {
		t.Fatalf("alter broker %q %v: %v %v", entity, kv, kerr.ErrorForCode(r.ErrorCode), r.ErrorMessage)
	}
}

// topicRetention is what DescribeConfigs says of a topic's retention.ms.
func topicRetention(t *testing.T, cl *kgo.Client, topic string) (string, kmsg.ConfigSource) {
	t.Helper()
	req := kmsg.NewPtrDescribeConfigsRequest()
	rr := kmsg.NewDescribeConfigsRequestResource()
	rr.ResourceType, rr.ResourceName, rr.ConfigNames = kmsg.ConfigResourceTypeTopic, topic, []string{"retention.ms"}
	req.Resources = append(req.Resources, rr)
	resp, err := req.RequestWith(context.Background(), cl)
	if err != nil || len(resp.Resources) != 1 || len(resp.Resources[0].Configs) != 1 {
		t.Fatalf("describe %s: %v %+v", topic, err, resp)
	}
	c := resp.Resources[0].Configs[0]
	return *c.Value, c.Source
}

// TestDynamicRetention: log.retention.ms altered for every broker
// (--entity-default) deletes the hour-old segments of a topic that does
// not override it, without a restart, and not those of a topic that
// does; a per-broker value wins over the default until it is deleted.
func TestDynamicRetention(t *testing.T) {
	zkAddr := testcluster.Coordinator(t)
	b := testcluster.StartBroker(t, 1, zkAddr, "", func(c *broker.Config) { c.RetentionCheckInterval = 100 * time.Millisecond })
	testcluster.CreateReplicatedTopic(t, b.Addr(), "drop", 1, 1, map[string]string{"segment.bytes": "1024"})
	testcluster.CreateReplicatedTopic(t, b.Addr(), "keep", 1, 1, map[string]string{"segment.bytes": "1024", "retention.ms": "604800000"})
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addr()), kgo.ProducerBatchCompression(kgo.NoCompression()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	old := time.Now().Add(-time.Hour)
	produceOld := func(n int) {
		for i := 0; i < n; i++ {
			for _, topic := range []string{"drop", "keep"} {
				r := &kgo.Record{Topic: topic, Value: []byte(fmt.Sprintf("%0600d", i)), Timestamp: old}
				if err := cl.ProduceSync(context.Background(), r).FirstErr(); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	produceOld(10)

	alterBroker(t, cl, "1", "log.retention.ms", "86400000")
	alterBroker(t, cl, "", "log.retention.ms", "1000")
	if v, src := topicRetention(t, cl, "drop"); v != "86400000" || src != kmsg.ConfigSourceDynamicBrokerConfig {
		t.Fatalf("retention.ms of drop with both set: %s from %s, want the broker's 86400000", v, src)
	}
	alterBroker(t, cl, "1", "log.retention.ms", nil)
	if v, src := topicRetention(t, cl, "drop"); v != "1000" || src != kmsg.ConfigSourceDynamicDefaultBrokerConfig {
		t.Fatalf("retention.ms of drop with the default alone: %s from %s", v, src)
	}
	await.Eventually(t, 20*time.Second, 100*time.Millisecond, func() error {
		if e := brokertest.EarliestOffset(t, cl, "drop"); e < 5 {
			return fmt.Errorf("earliest offset of drop %d: log.retention.ms=1000 has not deleted its hour-old segments", e)
		}
		return nil
	})
	// Two more retention passes at least: a segment written now is gone.
	produceOld(3)
	await.Eventually(t, 20*time.Second, 100*time.Millisecond, func() error {
		if e := brokertest.EarliestOffset(t, cl, "drop"); e < 12 {
			return fmt.Errorf("earliest offset of drop %d after 3 more", e)
		}
		return nil
	})
	if e := brokertest.EarliestOffset(t, cl, "keep"); e != 0 {
		t.Fatalf("earliest offset of keep %d: its retention.ms override did not win over the dynamic default", e)
	}
}

// TestDynamicSegmentBytes: segment.bytes altered on a topic, and
// log.segment.bytes on the broker for a topic without its own, apply to
// the open partition at once: the next produce rolls at the new size.
func TestDynamicSegmentBytes(t *testing.T) {
	zkAddr := testcluster.Coordinator(t)
	dir := t.TempDir()
	b := testcluster.StartBroker(t, 1, zkAddr, dir)
	testcluster.CreateTopic(t, b.Addr(), "roll", 1)
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addr()), kgo.DefaultProduceTopic("roll"), kgo.ProducerBatchCompression(kgo.NoCompression()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	segments := func() int {
		m, err := filepath.Glob(filepath.Join(dir, "*", "roll-0", "*.log"))
		if err == nil && len(m) == 0 {
			m, err = filepath.Glob(filepath.Join(dir, "roll-0", "*.log"))
		}
		if err != nil {
			t.Fatal(err)
		}
		return len(m)
	}
	produce := func(n int) {
		for i := 0; i < n; i++ {
			if err := cl.ProduceSync(context.Background(), &kgo.Record{Value: []byte(fmt.Sprintf("%0600d", i))}).FirstErr(); err != nil {
				t.Fatal(err)
			}
		}
	}
	produce(4)
	if n := segments(); n != 1 {
		t.Fatalf("%d segments at 1 GiB, want 1 (log dir %s)", n, dir)
	}
	alterBroker(t, cl, "", "log.segment.bytes", "1024")
	produce(1) // the active segment is past 1 KiB: it rolls
	if n := segments(); n != 2 {
		t.Fatalf("%d segments after log.segment.bytes=1024 and a batch, want 2", n)
	}
	req := kmsg.NewPtrIncrementalAlterConfigsRequest()
	rr := kmsg.NewIncrementalAlterConfigsRequestResource()
	rr.ResourceType, rr.ResourceName = kmsg.ConfigResourceTypeTopic, "roll"
	c := kmsg.NewIncrementalAlterConfigsRequestResourceConfig()
	c.Name, c.Value = "segment.bytes", kmsg.StringPtr("1048576")
	rr.Configs = append(rr.Configs, c)
	req.Resources = append(req.Resources, rr)
	if resp, err := req.RequestWith(context.Background(), cl); err != nil || resp.Resources[0].ErrorCode != 0 {
		t.Fatalf("alter segment.bytes of roll: %v %+v", err, resp)
	}
	produce(4) // the topic's 1 MiB wins over the broker's 1 KiB
	if n := segments(); n != 2 {
		t.Fatalf("%d segments after the topic's segment.bytes=1048576 and 4 batches, want 2", n)
	}
}

// TestDynamicMaxConnections: max.connections lowered for this broker
// refuses the connections past it from the next one (closed at accept),
// and deleted lets them in again.
func TestDynamicMaxConnections(t *testing.T) {
	zkAddr := testcluster.Coordinator(t)
	b := testcluster.StartBroker(t, 1, zkAddr, "")
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	alterBroker(t, cl, "1", "max.connections", "3")
	cl.Close()
	// dial opens a connection and says whether the broker serves it (it
	// answers ApiVersions) or closed it.
	dial := func() (net.Conn, bool) {
		t.Helper()
		nc, err := net.Dial("tcp", b.Addr())
		if err != nil {
			t.Fatal(err)
		}
		nc.SetDeadline(time.Now().Add(20 * time.Second))
		// ApiVersions v0, correlation id 1, null client id.
		if _, err := nc.Write([]byte{0, 0, 0, 10, 0, 18, 0, 0, 0, 0, 0, 1, 0xff, 0xff}); err != nil {
			nc.Close()
			return nil, false
		}
		var size [4]byte
		if _, err := io.ReadFull(nc, size[:]); err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatal("neither answered nor closed")
			}
			nc.Close()
			return nil, false
		}
		return nc, true
	}
	var held []net.Conn
	defer func() {
		for _, nc := range held {
			nc.Close()
		}
	}()
	// The admin client's connections may still count for a moment:
	// connect until one is refused with 3 of ours held.
	await.Eventually(t, 20*time.Second, 50*time.Millisecond, func() error {
		nc, ok := dial()
		if ok {
			held = append(held, nc)
			if len(held) > 3 {
				t.Fatalf("%d connections served with max.connections=3", len(held))
			}
			return errors.New("served")
		}
		if len(held) < 3 {
			return fmt.Errorf("refused with %d of ours open", len(held))
		}
		return nil
	})
	// The admin client takes two connections (its seed's and broker 1's).
	held[0].Close()
	held[1].Close()
	held = held[2:]
	var admin *kgo.Client
	await.Eventually(t, 20*time.Second, 50*time.Millisecond, func() error {
		var err error
		if admin, err = kgo.NewClient(kgo.SeedBrokers(b.Addr())); err != nil {
			return err
		}
		req := kmsg.NewPtrIncrementalAlterConfigsRequest()
		rr := kmsg.NewIncrementalAlterConfigsRequestResource()
		rr.ResourceType, rr.ResourceName = kmsg.ConfigResourceTypeBroker, "1"
		c := kmsg.NewIncrementalAlterConfigsRequestResourceConfig()
		c.Name, c.Op = "max.connections", kmsg.IncrementalAlterConfigOpDelete
		rr.Configs = append(rr.Configs, c)
		req.Resources = append(req.Resources, rr)
		resp, err := req.RequestWith(context.Background(), admin)
		if err == nil && resp.Resources[0].ErrorCode != 0 {
			err = kerr.ErrorForCode(resp.Resources[0].ErrorCode)
		}
		if err != nil {
			admin.Close()
		}
		return err
	})
	admin.Close()
	for i := 0; i < 5; i++ {
		nc, ok := dial()
		if !ok {
			t.Fatalf("connection %d refused after max.connections was deleted", i+len(held)+1)
		}
		held = append(held, nc)
	}
}
