package coordinator

import (
	"bufio"
	"bytes"
	"encoding/binary"

	pb "go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"

	zk "github.com/sluicelogs/sluice/coordinator/zkproto"
)

// What the external tests (package coordinator_test) need of the
// package's insides.

// RaftState is the member's Raft term, commit index and the leader it
// follows (0 for none).
func (s *Server) RaftState() (term, commit, lead uint64) {
	st := s.raft.node.Status()
	return st.HardState.GetTerm(), st.HardState.GetCommit(), st.Lead
}

// WriteEntry is the data of the Raft entry a member proposes for a
// client's write of session with auth.
func WriteEntry(session int64, auth []zk.ID, req zk.Request) []byte {
	return (&entry{kind: entryRequest, session: session, auth: auth, req: req}).encode()
}

// PeerHello is what a connection to the peer port sends first to claim to
// be member id, followed by m in the frames a member sends it in.
func PeerHello(id uint64, m *pb.Message) ([]byte, error) {
	payload, err := proto.Marshal(m)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.Write(binary.BigEndian.AppendUint64(nil, id))
	w := bufio.NewWriter(&b)
	if err := writeFrames(w, frameRaft, payload); err != nil {
		return nil, err
	}
	if err := w.Flush(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Znode is the data and ACL of the znode at path in the member's tree.
func (s *Server) Znode(path string) ([]byte, []zk.ACL, error) {
	s.applyMu.RLock()
	defer s.applyMu.RUnlock()
	data, _, err := s.tree.Get(path)
	if err != nil {
		return nil, nil, err
	}
	acl, _, err := s.tree.ACL(path)
	return data, acl, err
}
