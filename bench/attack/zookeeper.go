package attack

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	pb "go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"
)

// otherSources are the loopback addresses the client port attacks come
// from, six of them, so that maxClientCnxns (per address) alone does not
// stop them and maxCnxns must.
var otherSources = []string{"127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5", "127.0.0.6", "127.0.0.7"}

// zkMaxPacket is the coordinator's largest client packet, ZooKeeper's
// default jute.maxbuffer.
const zkMaxPacket = 1<<20 - 1

func zkAttacks() []*Attack {
	return []*Attack{
		{
			Name: "zk-silent-conns", Port: PortZK, Budget: smallBudget, BudgetFrom: "constant", MinDuration: 12 * time.Second,
			Does: fmt.Sprintf("600 connections from 127.0.0.2–7 that never send a byte, reopened when closed, for at least 12s (the handshake deadline: 10s, tickTime 2s × initLimit %d; maxClientCnxns=%d, maxCnxns=%d)", zkInitLimit, zkMaxClientCnxns, zkMaxCnxns),
			run: func(ctx context.Context, e *env) (string, error) {
				return hold(ctx, holdSpec{addr: e.zkAddr, sources: otherSources, conns: e.count(600, 12), reconnect: true}).String(), nil
			},
		},
		{
			Name: "zk-many-addrs", Port: PortZK, Budget: smallBudget, BudgetFrom: "constant",
			Does: fmt.Sprintf("600 connections from 127.0.0.2–7, each opening a session (30s timeout) and holding it, reopened when closed (maxClientCnxns=%d, maxCnxns=%d)", zkMaxClientCnxns, zkMaxCnxns),
			run: func(ctx context.Context, e *env) (string, error) {
				return hold(ctx, holdSpec{addr: e.zkAddr, sources: otherSources, conns: e.count(600, 12), prelude: connectPacket(30000), reconnect: true}).String(), nil
			},
		},
		{
			Name: "zk-huge-connect", Port: PortZK, Budget: zkLargeRequestMaxBytes + zkMaxCnxns*zkConnBytes, BudgetFrom: fmt.Sprintf("largeRequestMaxBytes + maxCnxns × %d KiB a connection", zkConnBytes>>10),
			Does: "from 127.0.0.2–7, 150 connections announce a 1 GiB connect packet and send 64 bytes of it, 150 announce the largest allowed (1 MiB) and send all of it but the last byte; held, reopened when closed",
			run: func(ctx context.Context, e *env) (string, error) {
				huge := append(binary.BigEndian.AppendUint32(nil, 1<<30), make([]byte, 64)...)
				most := append(binary.BigEndian.AppendUint32(nil, zkMaxPacket), make([]byte, zkMaxPacket-1)...)
				n := e.count(150, 6)
				var wg sync.WaitGroup
				var a, b *tally
				wg.Add(2)
				go func() {
					defer wg.Done()
					a = hold(ctx, holdSpec{addr: e.zkAddr, sources: otherSources, conns: n, prelude: huge, reconnect: true})
				}()
				go func() {
					defer wg.Done()
					b = hold(ctx, holdSpec{addr: e.zkAddr, sources: otherSources, conns: n, prelude: most, reconnect: true})
				}()
				wg.Wait()
				return fmt.Sprintf("1 GiB: %v; 1 MiB: %v", a, b), nil
			},
		},
		{
			Name: "zk-garbage", Port: PortZK, Budget: smallBudget, BudgetFrom: "constant",
			Does: "8 connections in turn send random bytes, packets of random bytes (8 B–64 KiB), and a valid connect followed by request packets of random types and bodies",
			run: func(ctx context.Context, e *env) (string, error) {
				return blast(ctx, e.zkAddr, "", 8, garbage(zkGarbage)).String(), nil
			},
		},
	}
}

// connectPacket is a ZooKeeper connect request for a new session of
// timeout ms, with its length prefix.
func connectPacket(timeout int32) []byte {
	var b []byte
	b = binary.BigEndian.AppendUint32(b, 0)               // protocol version
	b = binary.BigEndian.AppendUint64(b, 0)               // last zxid seen
	b = binary.BigEndian.AppendUint32(b, uint32(timeout)) // session timeout
	b = binary.BigEndian.AppendUint64(b, 0)               // session id: a new one
	b = binary.BigEndian.AppendUint32(b, 16)              // password
	b = append(b, make([]byte, 16)...)
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(b))), b...)
}

// zkGarbage: random bytes; a packet of random bytes; a connect and then
// request packets (xid, a random op type, a random body).
func zkGarbage(r *rand.Rand, attempt int) []byte {
	n := 8 + r.IntN(64<<10)
	switch attempt % 3 {
	case 0:
		return randomBytes(r, n)
	case 1:
		return append(binary.BigEndian.AppendUint32(nil, uint32(n)), randomBytes(r, n)...)
	}
	b := connectPacket(4000)
	for i := range 8 {
		body := randomBytes(r, r.IntN(512))
		b = binary.BigEndian.AppendUint32(b, uint32(8+len(body)))
		b = binary.BigEndian.AppendUint32(b, uint32(i+1))            // xid
		b = binary.BigEndian.AppendUint32(b, uint32(r.IntN(110)-11)) // op type, some negative
		b = append(b, body...)
	}
	return b
}

func peerAttacks() []*Attack {
	return []*Attack{
		{
			Name: "peer-forged-member", Port: PortPeer, Budget: smallBudget, BudgetFrom: "constant",
			Does: "from 127.0.0.9 (no server.N host), 4 connections in turn claim member 2's id and send a forged Raft vote request (term 1000) to member 1",
			run: func(ctx context.Context, e *env) (string, error) {
				m := &pb.Message{Type: pb.MessageType_MsgVote.Enum(), From: proto.Uint64(2), To: proto.Uint64(1), Term: proto.Uint64(1000),
					LogTerm: proto.Uint64(1000), Index: proto.Uint64(1 << 40)}
				payload, err := proto.Marshal(m)
				if err != nil {
					return "", err
				}
				b := binary.BigEndian.AppendUint64(nil, 2) // hello: member 2
				b = binary.BigEndian.AppendUint32(b, uint32(1+len(payload)))
				b = append(append(b, 1), payload...) // frame kind 1: a Raft message
				return blast(ctx, e.peerAddr, "127.0.0.9", 4, func(int, int) []byte { return b }).String(), nil
			},
		},
		{
			Name: "peer-huge-frame", Port: PortPeer, Budget: smallBudget, BudgetFrom: "constant",
			Does: "from 127.0.0.1 (the server.N host, so past the address check), 8 connections in turn claim member 2's id and send a frame header announcing 1 GiB, then 64 KiB of it",
			run: func(ctx context.Context, e *env) (string, error) {
				b := binary.BigEndian.AppendUint64(nil, 2)
				b = binary.BigEndian.AppendUint32(b, 1<<30)
				b = append(append(b, 3), make([]byte, 64<<10)...) // kind 3: a piece of a Raft message
				return blast(ctx, e.peerAddr, "127.0.0.1", 8, func(int, int) []byte { return b }).String(), nil
			},
		},
	}
}
