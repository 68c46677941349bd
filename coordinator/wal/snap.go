package wal

import (
	"fmt"
	"os"
	"path/filepath"

	pb "go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"
)

// writeSnapshot writes snap durably to dir and returns its path.
func writeSnapshot(dir string, snap *pb.Snapshot) (string, error) {
	md := snap.GetMetadata()
	data, err := appendRecord(nil, recSnapshot, snap)
	if err != nil {
		return "", fmt.Errorf("wal: encode snapshot: %w", err)
	}
	path := filepath.Join(dir, snapName(md.GetTerm(), md.GetIndex()))
	if err := writeFileDurably(path, data); err != nil {
		return "", err
	}
	return path, nil
}

// readSnapshot reads and verifies the snapshot file sf.
func readSnapshot(sf snapFile) (*pb.Snapshot, error) {
	data, err := os.ReadFile(sf.path)
	if err != nil {
		return nil, err
	}
	n, err := parseHeader(data, int64(len(data)), int64(len(data)))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) != headerSize+n {
		return nil, fmt.Errorf("%d trailing bytes", int64(len(data))-headerSize-n)
	}
	payload := data[headerSize:]
	if err := checkPayload(data, payload); err != nil {
		return nil, err
	}
	snap := &pb.Snapshot{}
	switch payload[0] {
	case recSnapshot:
		if err := proto.Unmarshal(payload[1:], snap); err != nil {
			return nil, err
		}
	case recSnapshotStream:
		if snap, err = decodeSnapshotStream(payload); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("record type %d, want %d or %d", payload[0], recSnapshot, recSnapshotStream)
	}
	md := snap.GetMetadata()
	if md.GetTerm() != sf.term || md.GetIndex() != sf.index {
		return nil, fmt.Errorf("holds term %d index %d, not what its name says", md.GetTerm(), md.GetIndex())
	}
	return pb.EnsureSnapshot(snap), nil
}
