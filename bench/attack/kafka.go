package attack

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// smallBudget is the RSS growth allowed to attacks whose memory no
// configured budget bounds: a stated constant, well above what a few
// thousand idle connections' goroutines and buffers should take.
const smallBudget = 64 << 20

func kafkaAttacks() []*Attack {
	return []*Attack{
		{
			Name: "kafka-header-only", Port: PortKafka, Budget: brokerQueuedBytes, BudgetFrom: "queued.max.request.bytes",
			Does: "50 connections each announce a 100 MiB Produce and send only its header, then nothing",
			run: func(ctx context.Context, e *env) (string, error) {
				pre := requestHeader(brokerQueuedBytes, kmsg.Produce, 9)
				return hold(ctx, holdSpec{addr: e.kafkaAddr, conns: e.count(50, 5), prelude: pre, reconnect: true}).String(), nil
			},
		},
		{
			Name: "kafka-array-bodies", Port: PortKafka, Budget: brokerQueuedBytes, BudgetFrom: "queued.max.request.bytes",
			Does: "4 connections in turn send a 32 MiB Fetch of empty topics (the most array elements the size allows), the same just under 8 MiB, and a 32 MiB Produce of empty topics",
			run: func(ctx context.Context, e *env) (string, error) {
				size := 32 << 20
				if e.small {
					size = 4 << 20
				}
				bodies := [][]byte{
					// Fetch v12 ends with topics, forgotten topics, rack
					// and tags; Produce v9 with topics and tags.
					emptyTopics(kmsg.NewPtrFetchRequest(), 12, 4, []byte{1, 1, 0}, []byte{1, 1, 0}, size),
					emptyTopics(kmsg.NewPtrFetchRequest(), 12, 4, []byte{1, 1, 0}, []byte{1, 1, 0}, min(size, 8<<20-64<<10)),
					emptyTopics(kmsg.NewPtrProduceRequest(), 9, 2, []byte{1, 1, 0}, []byte{0}, size),
				}
				t := blast(ctx, e.kafkaAddr, "", 4, func(w, attempt int) []byte { return bodies[(w+attempt)%len(bodies)] })
				return t.String(), nil
			},
		},
		{
			Name: "kafka-idle-conns", Port: PortKafka, Budget: smallBudget, BudgetFrom: "constant",
			Does: fmt.Sprintf("3,000 connections that send nothing (max.connections=%d)", brokerMaxConnections),
			run: func(ctx context.Context, e *env) (string, error) {
				return hold(ctx, holdSpec{addr: e.kafkaAddr, conns: e.count(3000, 30)}).String(), nil
			},
		},
		{
			Name: "kafka-garbage", Port: PortKafka, Budget: brokerQueuedBytes, BudgetFrom: "queued.max.request.bytes",
			Does: "8 connections in turn send random bytes, frames of random bytes (8 B–64 KiB) and request headers of random APIs and versions with random bodies",
			run: func(ctx context.Context, e *env) (string, error) {
				return blast(ctx, e.kafkaAddr, "", 8, garbage(kafkaGarbage)).String(), nil
			},
		},
		{
			Name: "kafka-slow-writer", Port: PortKafka, Budget: brokerQueuedBytes, BudgetFrom: "queued.max.request.bytes",
			Does: "200 connections announce a 1 MiB Produce and send it one byte per 100 ms",
			run: func(ctx context.Context, e *env) (string, error) {
				pre := requestHeader(1<<20, kmsg.Produce, 9)
				var sent atomic.Int64
				t := hold(ctx, holdSpec{addr: e.kafkaAddr, conns: e.count(200, 10), prelude: pre, reconnect: true, tick: 100 * time.Millisecond,
					every: func(c net.Conn) error {
						_, err := c.Write([]byte{0})
						if err == nil {
							sent.Add(1)
						}
						return err
					}})
				return fmt.Sprintf("%v, %d slow bytes", t, sent.Load()), nil
			},
		},
		{
			Name: "kafka-offsets-topic", Port: PortKafka, Budget: smallBudget, BudgetFrom: "constant",
			Does: "produces records with malformed keys (1 byte, 2 bytes, a version with a cut key, random) to __consumer_offsets; a consumer group must still join and commit before and after",
			before: func(ctx context.Context, e *env) error {
				return joinGroup(ctx, e.kafkaAddr, "attack-check")
			},
			run: func(ctx context.Context, e *env) (string, error) {
				return forgeOffsets(ctx, e.kafkaAddr)
			},
			after: func(ctx context.Context, e *env) error {
				if err := joinGroup(ctx, e.kafkaAddr, "attack-check"); err != nil {
					return fmt.Errorf("after the attack, group attack-check: %w", err)
				}
				if err := joinGroup(ctx, e.kafkaAddr, "attack-check-new"); err != nil {
					return fmt.Errorf("after the attack, new group attack-check-new: %w", err)
				}
				return nil
			},
		},
	}
}

// requestHeader is a request's size prefix announcing size bytes and
// the start of its header (key, version, correlation id, client id).
func requestHeader(size int, key kmsg.Key, version int16) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(size))
	b = binary.BigEndian.AppendUint16(b, uint16(key))
	b = binary.BigEndian.AppendUint16(b, uint16(version))
	b = binary.BigEndian.AppendUint32(b, 1)
	b = binary.BigEndian.AppendUint16(b, 6)
	return append(b, "attack"...)
}

// emptyTopics is a whole request frame of about size bytes: req at version
// (flexible) with no topics, its last cut bytes (the empty topics array and
// what follows it) replaced by as many topics as fit, each entry bytes
// long (an empty name, no partitions, no tags), then trailer. kmsg lets
// an array count through if it is at most the bytes left.
func emptyTopics(req kmsg.Request, version int16, cut int, entry, trailer []byte, size int) []byte {
	req.SetVersion(version)
	head := binary.BigEndian.AppendUint16(nil, uint16(req.Key()))
	head = binary.BigEndian.AppendUint16(head, uint16(version))
	head = binary.BigEndian.AppendUint32(head, 1)
	head = binary.BigEndian.AppendUint16(head, 6)
	head = append(head, "attack"...)
	head = append(head, 0) // no header tags
	head = req.AppendTo(head)
	head = head[:len(head)-cut]
	n := (size - len(head) - 8 - len(trailer)) / len(entry)
	b := binary.AppendUvarint(head, uint64(n+1))
	// bytes.Repeat copies in doubling chunks: a loop of n appends took
	// seconds for 32 MiB of 3-byte entries on a loaded core, longer than
	// a short attack, which then opened no connection.
	b = append(b, bytes.Repeat(entry, n)...)
	b = append(b, trailer...)
	return append(binary.BigEndian.AppendUint32(make([]byte, 0, len(b)+4), uint32(len(b))), b...)
}

// garbage returns a payload maker for blast: each worker has its own
// random source; kind picks what the attempt sends.
func garbage(kind func(r *rand.Rand, attempt int) []byte) func(worker, attempt int) []byte {
	rands := map[int]*rand.Rand{}
	var mu sync.Mutex
	return func(w, attempt int) []byte {
		mu.Lock()
		r, ok := rands[w]
		if !ok {
			r = rand.New(rand.NewPCG(uint64(w), 14))
			rands[w] = r
		}
		mu.Unlock()
		return kind(r, attempt)
	}
}

func randomBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// kafkaGarbage: random bytes; a frame of random bytes; a header of a
// random API and version with a random body.
func kafkaGarbage(r *rand.Rand, attempt int) []byte {
	n := 8 + r.IntN(64<<10)
	switch attempt % 3 {
	case 0:
		return randomBytes(r, n)
	case 1:
		return append(binary.BigEndian.AppendUint32(nil, uint32(n)), randomBytes(r, n)...)
	}
	body := randomBytes(r, n)
	h := requestHeader(10+6+len(body), kmsg.Key(r.IntN(70)), int16(r.IntN(17)))
	return append(h, body...)
}

// forgeOffsets produces records with malformed keys to __consumer_offsets
// until ctx ends, and says how many the broker took and refused.
func forgeOffsets(ctx context.Context, addr string) (string, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.RequiredAcks(kgo.LeaderAck()), kgo.DisableIdempotentWrite(),
		kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.ProducerLinger(0), kgo.RecordRetries(0))
	if err != nil {
		return "", err
	}
	defer cl.Close()
	r := rand.New(rand.NewPCG(1, 14))
	keys := func(i int) []byte {
		switch i % 5 {
		case 0:
			return []byte{1} // the 1-byte key
		case 1:
			return []byte{0, 1} // a version (offset commit), nothing after
		case 2:
			return []byte{0, 2, 0, 40, 'g'} // group metadata, a group name cut short
		case 3:
			return []byte{0, 1, 0, 1, 'g', 0, 5, 't', 'o', 'p'} // offset key, topic cut short
		}
		return randomBytes(r, 1+r.IntN(64))
	}
	var took, refused int
	var firstErr error
	for i := 0; ctx.Err() == nil; i++ {
		rec := &kgo.Record{Topic: "__consumer_offsets", Partition: 0, Key: keys(i), Value: randomBytes(r, r.IntN(64))}
		if i%7 == 6 {
			rec.Value = nil // a tombstone
		}
		if err := cl.ProduceSync(ctx, rec).FirstErr(); err != nil {
			if ctx.Err() != nil {
				break
			}
			refused++
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		took++
	}
	s := fmt.Sprintf("%d forged records taken, %d refused", took, refused)
	if firstErr != nil {
		s += fmt.Sprintf(" (first: %v)", firstErr)
	}
	return s, nil
}

// joinGroup joins group as a consumer of the normal client's topic and
// commits an offset, within 30 seconds.
func joinGroup(ctx context.Context, addr, group string) error {
	assigned := make(chan struct{}, 1)
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumerGroup(group), kgo.ConsumeTopics(clientTopic),
		kgo.DisableAutoCommit(), kgo.SessionTimeout(10*time.Second),
		kgo.OnPartitionsAssigned(func(context.Context, *kgo.Client, map[string][]int32) {
			select {
			case assigned <- struct{}{}:
			default:
			}
		}))
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		pctx, pcancel := context.WithTimeout(ctx, 500*time.Millisecond)
		fs := cl.PollFetches(pctx)
		pcancel()
		select {
		case <-assigned:
			var commitErr error
			cl.CommitOffsetsSync(ctx, map[string]map[int32]kgo.EpochOffset{clientTopic: {0: {Epoch: -1, Offset: 0}}},
				func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, err error) {
					commitErr = err
					if err == nil {
						for _, t := range resp.Topics {
							for _, p := range t.Partitions {
								if p.ErrorCode != 0 && commitErr == nil {
									commitErr = fmt.Errorf("commit: error code %d", p.ErrorCode)
								}
							}
						}
					}
				})
			return commitErr
		default:
		}
		if ctx.Err() != nil {
			err := errors.New("no partitions assigned in 30s")
			fs.EachError(func(_ string, _ int32, e error) { err = fmt.Errorf("%w (last fetch error: %v)", err, e) })
			return err
		}
	}
}
