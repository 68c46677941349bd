package coordinator

import (
	"encoding/binary"
	"errors"
	"fmt"

	zk "github.com/sluicelogs/sluice/coordinator/zkproto"
)

// An entry is what a member puts in the Raft log: one change to the tree,
// with everything nondeterministic already decided by the proposer.
//
//	kind      byte   entryRequest | entryCreateSession | entryCloseSession | entryRemove
//	proposer  uint64 the member that proposed it (to answer its client)
//	seq       uint64 the proposer's sequence number for it
//	session   int64  the client session it is for
//	time      int64  ms since the epoch, the proposer's clock
//	auth      int32 count + (scheme string, id string) × count: the client's
//	                 identities, for ACL checks
//	payload          entryRequest: int32 op + the request's jute body
//	                 entryCreateSession: int32 negotiated timeout (ms)
//	                 entryRemove: vector<string> of container/TTL paths
//
// The zxid of a change is the index of its entry in the Raft log, so zxids
// grow across leader changes without any other bookkeeping.
type entryKind byte

const (
	entryRequest entryKind = iota + 1
	entryCreateSession
	entryCloseSession
	entryRemove
)

const entryHeaderSize = 1 + 8 + 8 + 8 + 8

type entry struct {
	kind     entryKind
	proposer uint64
	seq      uint64
	session  int64
	time     int64
	auth     []zk.ID
	req      zk.Request // entryRequest
	timeout  int32      // entryCreateSession
	paths    []string   // entryRemove
}

func (e *entry) encode() []byte {
	size := entryHeaderSize + 8 + e.payloadHint()
	for i := range e.auth {
		size += 8 + len(e.auth[i].Scheme) + len(e.auth[i].ID)
	}
	b := make([]byte, entryHeaderSize, size)
	b[0] = byte(e.kind)
	binary.BigEndian.PutUint64(b[1:], e.proposer)
	binary.BigEndian.PutUint64(b[9:], e.seq)
	binary.BigEndian.PutUint64(b[17:], uint64(e.session))
	binary.BigEndian.PutUint64(b[25:], uint64(e.time))
	enc := zk.NewEncoder(b)
	enc.WriteInt32(int32(len(e.auth)))
	for i := range e.auth {
		e.auth[i].Encode(enc)
	}
	switch e.kind {
	case entryRequest:
		enc.WriteInt32(int32(e.req.Op()))
		e.req.Encode(enc)
	case entryCreateSession:
		enc.WriteInt32(e.timeout)
	case entryRemove:
		enc.WriteStrings(e.paths)
	}
	return enc.Bytes()
}

// payloadHint is about how many bytes the payload encodes to, so that
// encode allocates once for the writes that carry data.
func (e *entry) payloadHint() int {
	const rest = 64 // version, flags, an ACL or two
	switch r := e.req.(type) {
	case *zk.CreateRequest:
		return len(r.Path) + len(r.Data) + rest
	case *zk.Create2Request:
		return len(r.Path) + len(r.Data) + rest
	case *zk.CreateContainerRequest:
		return len(r.Path) + len(r.Data) + rest
	case *zk.CreateTTLRequest:
		return len(r.Path) + len(r.Data) + rest
	case *zk.SetDataRequest:
		return len(r.Path) + len(r.Data) + rest
	}
	return rest
}

// decodeEntry decodes a log entry. The request's znode data are slices of
// b (a log entry is never modified), which the tree then keeps.
func decodeEntry(b []byte) (*entry, error) {
	if len(b) < entryHeaderSize {
		return nil, errors.New("coordinator: log entry too short")
	}
	e := &entry{
		kind:     entryKind(b[0]),
		proposer: binary.BigEndian.Uint64(b[1:]),
		seq:      binary.BigEndian.Uint64(b[9:]),
		session:  int64(binary.BigEndian.Uint64(b[17:])),
		time:     int64(binary.BigEndian.Uint64(b[25:])),
	}
	d := zk.NewDecoder(b[entryHeaderSize:])
	n := d.ReadInt32()
	if n < 0 || int(n) > d.Remaining()/8 {
		return nil, errors.New("coordinator: log entry: bad auth count")
	}
	e.auth = make([]zk.ID, n)
	for i := range e.auth {
		e.auth[i].Decode(d)
	}
	switch e.kind {
	case entryRequest:
		op := zk.Op(d.ReadInt32())
		if err := d.Err(); err != nil {
			return nil, fmt.Errorf("coordinator: log entry: %w", err)
		}
		req, err := zk.DecodeRequestAliased(zk.RequestHeader{Type: op}, b[entryHeaderSize+d.Offset():])
		if err != nil {
			return nil, fmt.Errorf("coordinator: log entry: %w", err)
		}
		e.req = req
		return e, nil
	case entryCreateSession:
		e.timeout = d.ReadInt32()
	case entryCloseSession:
	case entryRemove:
		e.paths = d.ReadStrings()
	default:
		return nil, fmt.Errorf("coordinator: log entry of unknown kind %d", e.kind)
	}
	if err := d.Finish(); err != nil {
		return nil, fmt.Errorf("coordinator: log entry: %w", err)
	}
	return e, nil
}
