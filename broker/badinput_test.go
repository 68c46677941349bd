package broker_test

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"math/rand"
	"net"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicelogs/sluice/broker"
	"github.com/sluicelogs/sluice/testkit/brokertest"
	"github.com/sluicelogs/sluice/testkit/testcluster"
)

// TestBadInput: garbage, oversized requests and unknown APIs close that
// connection; a corrupt batch is refused with CORRUPT_MESSAGE; the broker
// keeps serving a client connected all along, and nothing stored is lost.
func TestBadInput(t *testing.T) {
	zkAddr := testcluster.Coordinator(t)
	b := testcluster.StartBroker(t, 1, zkAddr, "", func(c *broker.Config) { c.MaxRequestBytes = 1 << 20 })
	addr := b.Addr()
	testcluster.CreateTopic(t, addr, "bad", 1)
	good, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.DefaultProduceTopic("bad"))
	if err != nil {
		t.Fatal(err)
	}
	defer good.Close()
	ctx := context.Background()
	if err := good.ProduceSync(ctx, &kgo.Record{Value: []byte("before")}).FirstErr(); err != nil {
		t.Fatal(err)
	}

	request := func(key, version int16, body []byte) []byte {
		b := binary.BigEndian.AppendUint32(nil, uint32(10+len(body)))
		b = binary.BigEndian.AppendUint16(b, uint16(key))
		b = binary.BigEndian.AppendUint16(b, uint16(version))
		b = binary.BigEndian.AppendUint32(b, 1)
		b = binary.BigEndian.AppendUint16(b, 0)
		return append(b, body...)
	}
	rnd := rand.New(rand.NewSource(7))
	garbage := make([]byte, 8192)
	rnd.Read(garbage)
	for name, data := range map[string][]byte{
		"random bytes":        garbage,
		"oversized request":   binary.BigEndian.AppendUint32(nil, 64<<20),
		"negative size":       {0xff, 0xff, 0xff, 0xf0},
		"unknown api key":     request(999, 0, nil),
		"unsupported version": request(kmsg.Fetch.Int16(), 99, nil),
		"truncated metadata":  request(kmsg.Metadata.Int16(), 9, []byte{0, 0, 0, 5, 1}),
	} {
		t.Run(name, func(t *testing.T) {
			nc, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			_, _ = nc.Write(data)
			_ = nc.(*net.TCPConn).CloseWrite()
			_ = nc.SetReadDeadline(time.Now().Add(10 * time.Second))
			_, err = io.Copy(io.Discard, nc)
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatal("the broker kept the connection open")
			}
			if err := good.ProduceSync(ctx, &kgo.Record{Value: []byte(name)}).FirstErr(); err != nil {
				t.Fatalf("the good client after %s: %v", name, err)
			}
		})
	}

	// A batch whose CRC does not match is refused and not stored.
	batch := []byte(nil)
	{
		req := kmsg.NewPtrProduceRequest()
		req.Acks, req.TimeoutMillis = -1, 5000
		rt := kmsg.NewProduceRequestTopic()
		rt.Topic = "bad"
		rp := kmsg.NewProduceRequestTopicPartition()
		batch = broker.BuildBatch("corrupt-me")
		batch[len(batch)-1] ^= 0xff
		rp.Records = batch
		rt.Partitions = append(rt.Partitions, rp)
		req.Topics = append(req.Topics, rt)
		resp, err := req.RequestWith(ctx, good)
		if err != nil {
			t.Fatal(err)
		}
		if code := resp.Topics[0].Partitions[0].ErrorCode; code != kerr.CorruptMessage.Code {
			t.Fatalf("corrupt batch answered with %d, want CORRUPT_MESSAGE (%d)", code, kerr.CorruptMessage.Code)
		}
	}
	values := map[string]bool{}
	brokertest.ReadAll(t, addr, "bad", func(r *kgo.Record) { values[string(r.Value)] = true })
	if !values["before"] || len(values) != 7 || values["corrupt-me"] {
		t.Fatalf("records after bad input: %v", values)
	}
}
