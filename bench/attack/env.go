package attack

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	benchcoord "github.com/sluicelogs/sluice/bench/coordinator"
	"github.com/sluicelogs/sluice/bench/latency"
	"github.com/sluicelogs/sluice/broker"
	"github.com/sluicelogs/sluice/coordinator"
	"github.com/sluicelogs/sluice/coordinator/zkproto"
	"github.com/sluicelogs/sluice/internal/kadmin"
	"github.com/sluicelogs/sluice/testkit/proc"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// The listener limits the attacked processes are configured with, the
// ones the attacks go past.
const (
	// brokerMaxConnections is the broker's max.connections: the idle
	// connections attack opens three times as many.
	brokerMaxConnections = 1000
	// brokerConnectionRate is the broker's max.connection.creation.rate
	// (KIP-612; Kafka's default is no bound): past 200 new connections a
	// second (after a burst of about 2,000, Kafka's 10 s measuring span),
	// the broker waits before it accepts more, so a flood of short
	// connections queues in the listen backlog instead of costing the
	// broker a connection each. The backlog drains at that rate too: at
	// 50 a second, the 3,000 connections of kafka-idle-conns kept a new
	// client waiting a minute after the attack (the broker answered no
	// new connection in the check's time).
	brokerConnectionRate = 200
	// brokerQueuedBytes is the broker's queued.max.request.bytes (its
	// default, set explicitly): the Kafka port's request memory budget.
	brokerQueuedBytes = 100 << 20
	// zkMaxClientCnxns is ZooKeeper's default maxClientCnxns (per
	// address); zkMaxCnxns (in all) is below what six addresses reach.
	zkMaxClientCnxns = 60
	zkMaxCnxns       = 300
	// zkThrottleTokens and zkThrottleFillTime are ZooKeeper's connection
	// throttle (connection_throttle_tokens, _fill_time in ms, with
	// _fill_count 1; off by default): 50 connect requests at once, then
	// one every 20 ms (50 a second); the others are closed unanswered
	// before they cost a session (a Raft write).
	zkThrottleTokens   = 50
	zkThrottleFillTime = 20 * time.Millisecond
	// zkInitLimit makes the handshake deadline 10s (tickTime 2s): the
	// silent connections attack outlasts it.
	zkInitLimit = 5
	// brokerHeapBase and coordinatorHeapBase are what the attacked
	// processes' GOMEMLIMIT allows beyond their request budget: their idle
	// heap (about 10 MiB) and the collector's headroom over it. The RSS
	// goal (idle RSS + budget) leaves the runtime little: at 32 MiB the
	// broker's heap garbage took 8–10 MiB the goal has not got
	// (kafka-array-bodies 133 MiB against 124), so it gets 16. The
	// coordinator's is 40 (its idle heap is larger: the normal client's
	// writes, on tmpfs, fill the Raft log between snapshots; with 24 the
	// collector ran all the time under zk-many-addrs, p99 0.16 → 2.06 ms),
	// beside its connections' (zkMaxCnxns × zkConnBytes): its large
	// packets are off the Go heap (mapped, freed once copied whole for
	// decoding), so its budget needs no room in GOMEMLIMIT. (When they were on the heap, under zk-huge-connect 64
	// MiB of held packets were live, and with 16 over them the collector
	// ran all the time and the client's p99 went 1.3 → 3.7 ms.) Without a
	// GOMEMLIMIT (Go's -Xmx) the collector lets the heap reach twice what
	// is live, so a budget of 100 MiB held by requests could take 200 MiB.
	brokerHeapBase      = 16 << 20
	coordinatorHeapBase = 40 << 20
	// zkLargeRequestMaxBytes is the coordinator's largeRequestMaxBytes
	// (below its 100 MiB default, to fit the constant budget of the other
	// attacks): the client port's request memory budget, charged with
	// the requests above largeRequestThreshold (its default, 64 KiB).
	zkLargeRequestMaxBytes = 64 << 20
	// zkConnBytes is what one client connection may cost the coordinator
	// beyond its packet: at most 24 KiB of heap, held in a packet or idle
	// with a session (TestHeldPacketCostsLittleMore and
	// TestIdleSessionCostsLittle assert it), and the stacks of its
	// goroutines (8 KiB each to start). maxCnxns bounds the connections, so an attack that holds
	// them all may grow the node by zkMaxCnxns × zkConnBytes beside
	// largeRequestMaxBytes: both are configured budgets.
	zkConnBytes = 40 << 10
	// zkSnapCount is the coordinator's snapCount (100,000 by default):
	// the normal client's setData, one after the other on tmpfs, writes
	// 10,000 or more entries a second, and the log they make is held in
	// memory until a snapshot; every 10,000 keeps it to a few MiB, so the
	// attacked node's growth is the attack's.
	zkSnapCount = 10000
)

// goMemLimit is GOMEMLIMIT for a process whose requests are bounded by
// budget bytes and whose heap has base bytes beyond them.
func goMemLimit(budget, base int64) string { return fmt.Sprintf("%dMiB", (budget+base)>>20) }

// node is one process of an attack's cluster.
type node struct {
	name string
	*proc.Process
	answer func(ctx context.Context) error // does it still answer?
}

// env is the processes one attack runs against and their addresses.
type env struct {
	port      Port
	nodes     []node // the attacked node first
	brokers   *testpeer.Brokers
	ens       *testpeer.Ensemble
	kafkaAddr string // the broker (PortKafka)
	zkAddr    string // the attacked member's client port
	peerAddr  string // the attacked member's peer port (PortPeer)
	small     bool
}

func start(ctx context.Context, cfg Config, port Port, dir string) (*env, error) {
	e := &env{port: port}
	switch port {
	case PortKafka:
		b, err := testpeer.StartBrokers(ctx, testpeer.BrokersSpec{
			Kind: testpeer.KindSluice, Dir: dir, Sluice: cfg.Sluice, GoMemLimit: goMemLimit(brokerQueuedBytes, brokerHeapBase),
			Configure: func(_ int, c *broker.Config) {
				c.MaxConnections = brokerMaxConnections
				c.MaxConnectionCreationRate = brokerConnectionRate
				c.QueuedMaxRequestBytes = brokerQueuedBytes
			},
		})
		if err != nil {
			return nil, err
		}
		e.brokers, e.kafkaAddr = b, b.Addr
		e.nodes = append(e.nodes, node{name: "broker", Process: b.Servers[0], answer: func(ctx context.Context) error {
			return kadmin.ReadyBrokers(ctx, b.Addr, 1)
		}})
		e.addMembers(b.Coord)
		e.zkAddr = b.Coord.Members[0].ClientAddr
	case PortZK, PortPeer:
		members := 1
		if port == PortPeer {
			members = 3
		}
		ens, err := testpeer.StartEnsemble(ctx, testpeer.EnsembleSpec{
			Kind: testpeer.KindSluice, Members: members, Dir: dir, Sluice: cfg.Sluice, GoMemLimit: goMemLimit(zkMaxCnxns*zkConnBytes, coordinatorHeapBase),
			Configure: func(_ int, c *coordinator.Config) {
				c.MaxClientCnxns, c.MaxCnxns = zkMaxClientCnxns, zkMaxCnxns
				// A client has max(tickTime×initLimit, 10s) from its
				// accept to send its connect request: 10s here.
				c.InitLimit = zkInitLimit
				c.LargeRequestMaxBytes = zkLargeRequestMaxBytes
				c.SnapCount = zkSnapCount
				c.ConnThrottleTokens, c.ConnThrottleFillTime, c.ConnThrottleFillCount = zkThrottleTokens, zkThrottleFillTime, 1
			},
		})
		if err != nil {
			return nil, err
		}
		e.ens = ens
		e.addMembers(ens)
		e.zkAddr, e.peerAddr = ens.Members[0].ClientAddr, ens.Members[0].PeerAddr
	default:
		return nil, fmt.Errorf("unknown port %q", port)
	}
	return e, nil
}

// addMembers adds a coordinator's members to the nodes: each must answer
// ruok, and in an ensemble be a leader or follower.
func (e *env) addMembers(ens *testpeer.Ensemble) {
	for _, m := range ens.Members {
		e.nodes = append(e.nodes, node{name: fmt.Sprintf("coordinator member %d", m.ID), Process: m.Process, answer: func(ctx context.Context) error {
			out, err := zkproto.FourLetter(ctx, m.ClientAddr, "ruok")
			if err != nil {
				return err
			}
			if out != "imok" {
				return fmt.Errorf("ruok answered %q", out)
			}
			if len(ens.Members) == 1 {
				return nil
			}
			out, err = zkproto.FourLetter(ctx, m.ClientAddr, "srvr")
			if err != nil {
				return err
			}
			if mode := zkproto.ModeFromSrvr(out); mode != "leader" && mode != "follower" {
				return fmt.Errorf("mode %s", mode)
			}
			return nil
		}})
	}
}

// answerWithin is how long a node has, after an attack, to answer.
const answerWithin = 15 * time.Second

// check returns the nodes that exited or do not answer within
// answerWithin, each with why.
func (e *env) check(ctx context.Context) []string {
	var down []string
	for _, n := range e.nodes {
		if exited, how := n.Exited(); exited {
			down = append(down, fmt.Sprintf("%s exited (%v): %s", n.name, how, lastLine(n.Tail(5))))
			continue
		}
		cctx, cancel := context.WithTimeout(ctx, answerWithin)
		err := proc.WaitReady(cctx, 250*time.Millisecond, n.answer, n.Process)
		cancel()
		if err != nil {
			down = append(down, fmt.Sprintf("%s does not answer: %v", n.name, err))
		}
	}
	return down
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

func (e *env) stop() {
	e.brokers.Stop()
	e.ens.Stop()
}

// newClient opens the normal client of the attacked port: a franz-go
// producer and fetcher for the broker, a go-zookeeper session for the
// coordinator.
func (e *env) newClient(ctx context.Context) (client, error) {
	if e.port == PortKafka {
		return newKafkaClient(ctx, e.kafkaAddr)
	}
	return newZKClient(ctx, e.zkAddr)
}

// clientTopic is the normal Kafka client's topic (one partition).
const clientTopic = "attack-client"

// kafkaClient produces one 100-byte record at a time with acks=1 and
// fetches it back with a Fetch request that does not wait: each request
// is one latency sample.
type kafkaClient struct {
	cl      *kgo.Client
	topicID [16]byte
	value   []byte
}

func newKafkaClient(ctx context.Context, addr string) (*kafkaClient, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.RequiredAcks(kgo.LeaderAck()), kgo.DisableIdempotentWrite(),
		kgo.ProducerLinger(0), kgo.DefaultProduceTopic(clientTopic), kgo.RecordRetries(1))
	if err != nil {
		return nil, err
	}
	if err := kadmin.CreateTopic(ctx, cl, clientTopic, 1); err != nil {
		cl.Close()
		return nil, err
	}
	md := kmsg.NewPtrMetadataRequest()
	t := kmsg.NewMetadataRequestTopic()
	t.Topic = kmsg.StringPtr(clientTopic)
	md.Topics = append(md.Topics, t)
	resp, err := md.RequestWith(ctx, cl)
	if err != nil {
		cl.Close()
		return nil, err
	}
	k := &kafkaClient{cl: cl, value: []byte(strings.Repeat("v", 100))}
	for _, t := range resp.Topics {
		if t.Topic != nil && *t.Topic == clientTopic {
			k.topicID = t.TopicID
		}
	}
	return k, nil
}

func (k *kafkaClient) op(ctx context.Context, h *latency.Histogram) error {
	start := time.Now()
	res := k.cl.ProduceSync(ctx, &kgo.Record{Value: k.value})
	h.Record(time.Since(start))
	rec, err := res.First()
	if err != nil {
		return fmt.Errorf("produce: %w", err)
	}
	f := kmsg.NewPtrFetchRequest()
	f.ReplicaID, f.MaxWaitMillis, f.MinBytes, f.MaxBytes = -1, 0, 1, 1<<20
	ft := kmsg.NewFetchRequestTopic()
	ft.Topic, ft.TopicID = clientTopic, k.topicID
	fp := kmsg.NewFetchRequestTopicPartition()
	fp.Partition, fp.FetchOffset, fp.PartitionMaxBytes = 0, rec.Offset, 1<<20
	fp.CurrentLeaderEpoch, fp.LastFetchedEpoch, fp.LogStartOffset = -1, -1, -1
	ft.Partitions = append(ft.Partitions, fp)
	f.Topics = append(f.Topics, ft)
	start = time.Now()
	resp, err := k.cl.Broker(1).Request(ctx, f)
	h.Record(time.Since(start))
	if err != nil {
		return fmt.Errorf("fetch: %w", err)
	}
	fr := resp.(*kmsg.FetchResponse)
	if fr.ErrorCode != 0 {
		return fmt.Errorf("fetch: error code %d", fr.ErrorCode)
	}
	for _, t := range fr.Topics {
		for _, p := range t.Partitions {
			if p.ErrorCode != 0 {
				return fmt.Errorf("fetch: partition error code %d", p.ErrorCode)
			}
			if len(p.RecordBatches) == 0 {
				return errors.New("fetch: the record just produced is missing")
			}
		}
	}
	return nil
}

func (k *kafkaClient) close() { k.cl.Close() }

// zkClient reads and writes one 100-byte znode: each getData and each
// setData is one latency sample.
type zkClient struct {
	conn *zk.Conn
	data []byte
}

const clientZnode = "/attack-client"

func newZKClient(ctx context.Context, addr string) (*zkClient, error) {
	conn, err := benchcoord.Connect(ctx, []string{addr}, 0)
	if err != nil {
		return nil, err
	}
	z := &zkClient{conn: conn, data: []byte(strings.Repeat("d", 100))}
	if _, err := conn.Create(clientZnode, z.data, 0, zk.WorldACL(zk.PermAll)); err != nil && !errors.Is(err, zk.ErrNodeExists) {
		conn.Close()
		return nil, err
	}
	return z, nil
}

func (z *zkClient) op(ctx context.Context, h *latency.Histogram) error {
	// go-zookeeper takes no context: its own request timeout (the session
	// timeout) bounds a request.
	start := time.Now()
	_, _, err := z.conn.Get(clientZnode)
	h.Record(time.Since(start))
	if err != nil {
		return fmt.Errorf("getData: %w", err)
	}
	start = time.Now()
	_, err = z.conn.Set(clientZnode, z.data, -1)
	h.Record(time.Since(start))
	if err != nil {
		return fmt.Errorf("setData: %w", err)
	}
	return nil
}

func (z *zkClient) close() { z.conn.Close() }
