package coordinator

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"testing"

	pb "go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"

	zk "github.com/sluicelogs/sluice/coordinator/zkproto"
	"github.com/sluicelogs/sluice/testkit/memtest"
)

// sampleEntries are log entries of every kind, for the fuzz seeds.
func sampleEntries() []*entry {
	acl := []zk.ACL{{Perms: zk.PermAll, ID: zk.ID{Scheme: "world", ID: "anyone"}}}
	auth := []zk.ID{{Scheme: "ip", ID: "127.0.0.1"}, {Scheme: "digest", ID: "alice:x"}}
	return []*entry{
		{kind: entryRequest, proposer: 1, seq: 2, session: 0x100, time: 3, auth: auth,
			req: &zk.CreateRequest{Path: "/a", Data: []byte("data"), ACL: acl, Flags: 1}},
		{kind: entryRequest, proposer: 2, seq: 9, session: 0x200, time: 5, req: &zk.SetDataRequest{Path: "/a", Data: []byte("x"), Version: 3}},
		{kind: entryRequest, proposer: 3, seq: 1, req: &zk.DeleteRequest{Path: "/a/b", Version: -1}},
		{kind: entryRequest, proposer: 1, seq: 4, req: &zk.MultiRequest{Ops: []zk.MultiOp{
			&zk.CreateRequest{Path: "/m", ACL: acl}, &zk.SetDataRequest{Path: "/m", Data: []byte("y"), Version: -1}, &zk.DeleteRequest{Path: "/n"}}}},
		{kind: entryRequest, proposer: 1, seq: 5, req: &zk.SetACLRequest{Path: "/a", ACL: acl, Version: 0}},
		{kind: entryCreateSession, proposer: 1, seq: 6, session: 0x300, timeout: 30000},
		{kind: entryCloseSession, proposer: 2, seq: 7, session: 0x300},
		{kind: entryRemove, proposer: 3, seq: 8, paths: []string{"/c1", "/ttl/x"}},
	}
}

// FuzzDecodeEntry feeds arbitrary bytes to decodeEntry, as a member
// applies what its Raft log holds (written by a leader it trusts, but
// read back from disk): it must never panic, allocate no more than a
// small multiple of its input whatever the counts inside say, and what
// decodes must re-encode to bytes that decode and re-encode the same.
func FuzzDecodeEntry(f *testing.F) {
	for _, e := range sampleEntries() {
		f.Add(e.encode())
	}
	f.Add([]byte{})
	huge := (&entry{kind: entryRemove}).encode()
	binary.BigEndian.PutUint32(huge[entryHeaderSize:], 0x7fffffff) // auth count
	f.Add(huge)
	f.Fuzz(func(t *testing.T, b []byte) {
		var e *entry
		var err error
		if n := memtest.Allocated(func() { e, err = decodeEntry(b) }); n > 64*uint64(len(b))+64<<10 {
			t.Fatalf("decoding %d bytes allocated %d", len(b), n)
		}
		if err != nil {
			if e != nil {
				t.Fatalf("error %v with an entry", err)
			}
			return
		}
		enc := e.encode()
		again, err := decodeEntry(enc)
		if err != nil {
			t.Fatalf("re-encoded entry does not decode: %v", err)
		}
		if !bytes.Equal(again.encode(), enc) {
			t.Fatalf("encoding is not stable for %+v", e)
		}
	})
}

// FuzzPeerFrames feeds arbitrary bytes to a peer connection's frame
// reader and decodes what it returns as receive does: it must never
// panic, and allocate no more than a small multiple of its input plus a
// constant, whatever the length headers say (a 1 GiB length allocates
// nothing).
func FuzzPeerFrames(f *testing.F) {
	frames := func(parts ...[2][]byte) []byte {
		var buf bytes.Buffer
		w := bufio.NewWriter(&buf)
		for _, p := range parts {
			if err := writeFrames(w, p[0][0], p[1]); err != nil {
				f.Fatal(err)
			}
		}
		_ = w.Flush()
		return buf.Bytes()
	}
	app, _ := proto.Marshal(&pb.Message{Type: pb.MsgApp.Enum(), From: proto.Uint64(2), To: proto.Uint64(1), Term: proto.Uint64(3),
		Index: proto.Uint64(7), LogTerm: proto.Uint64(3), Commit: proto.Uint64(7),
		Entries: []*pb.Entry{{Term: proto.Uint64(3), Index: proto.Uint64(8), Data: sampleEntries()[0].encode()}}})
	ids := binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(nil, 0x100), 0x200)
	f.Add(frames([2][]byte{{frameRaft}, app}, [2][]byte{{framePing}, nil}, [2][]byte{{frameSessions}, ids}))
	// A message in two pieces (a sender cuts at peerChunk; a reader takes
	// any cut).
	piece := binary.BigEndian.AppendUint32(nil, uint32(1+len(app)/2))
	piece = append(append(piece, framePiece), app[:len(app)/2]...)
	piece = binary.BigEndian.AppendUint32(piece, uint32(1+len(app)-len(app)/2))
	f.Add(append(append(piece, frameRaft), app[len(app)/2:]...))
	f.Add([]byte{0x40, 0, 0, 0, frameRaft}) // 1 GiB
	f.Add([]byte{0, 0x10, 0, 1, framePiece, 1, 2, 3})
	f.Add([]byte{0, 0, 0, 1, 9})
	f.Fuzz(func(t *testing.T, in []byte) {
		n := memtest.Allocated(func() {
			fr := &frameReader{r: bytes.NewReader(in)}
			for {
				kind, payload, err := fr.next()
				if err != nil {
					return
				}
				switch kind {
				case frameRaft:
					_ = proto.Unmarshal(payload, &pb.Message{})
				case frameSessions:
					if len(payload)%8 != 0 {
						t.Fatalf("a heartbeat of %d bytes", len(payload))
					}
				default:
					t.Fatalf("next returned frame kind %d", kind)
				}
			}
		})
		if limit := 16*uint64(len(in)) + 256<<10; n > limit {
			t.Fatalf("reading %d bytes of frames allocated %d, above %d", len(in), n, limit)
		}
	})
}
