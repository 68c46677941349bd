package wal

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/sluicelogs/sluice/internal/atomicfile"
	pb "go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"
)

// A snapshot the application writes itself (CreateSnapshotFrom) is one
// record of type recSnapshotStream, whose payload is
//
//	recSnapshotStream  byte
//	metadata length    uvarint
//	metadata           pb.SnapshotMetadata, protobuf
//	data               the rest of the payload
//
// so that the data can be streamed to the file as the application encodes
// it: the header (length and checksum) is written last, at offset 0.

// streamBuffer is the write buffer of a streamed snapshot.
const streamBuffer = 256 << 10

// snapWriter streams a snapshot record's payload to its file, with the
// checksum running, writing back a chunk at a time (see writeSteadily).
type snapWriter struct {
	f       *os.File
	rush    *atomic.Bool // set: no more pauses (the WAL is closing)
	woke    time.Time    // when the writer last resumed after pausing
	crc     uint32
	n       int64 // payload bytes written
	synced  int64 // file offset up to which syncRange has run
	written int64 // file offset written
}

func (s *snapWriter) Write(p []byte) (int, error) {
	s.pace()
	n, err := s.f.Write(p)
	s.crc = crc32.Update(s.crc, castagnoli, p[:n])
	s.n += int64(n)
	s.written += int64(n)
	if err != nil {
		return n, err
	}
	if s.written-s.synced >= writebackChunk {
		if err := syncRange(s.f, s.synced, s.written-s.synced); err != nil {
			return n, err
		}
		s.synced = s.written
	}
	return n, nil
}

// snapshotDuty is the most of a processor that writing a snapshot takes:
// it pauses after each piece for (1-duty)/duty times what the piece took
// (encoding included), until the WAL is told to Rush. Encoding hundreds of
// megabytes otherwise keeps one of the processors for a third of a second
// at a time, and every request waits behind it; paced, the snapshot takes
// four times longer (the log keeps everything meanwhile) and the requests
// hardly notice it.
const snapshotDuty = 0.25

func (s *snapWriter) pace() {
	now := time.Now()
	if !s.woke.IsZero() && !s.rush.Load() {
		time.Sleep(time.Duration(float64(now.Sub(s.woke)) * (1 - snapshotDuty) / snapshotDuty))
	}
	s.woke = time.Now()
}

// writeSnapshotFrom writes the snapshot at md whose data write produces
// durably to dir (via a temporary file, package internal/atomicfile) and
// returns its path.
func writeSnapshotFrom(dir string, md *pb.SnapshotMetadata, write func(io.Writer) error, rush *atomic.Bool) (path string, err error) {
	mdb, err := proto.Marshal(md)
	if err != nil {
		return "", fmt.Errorf("wal: encode snapshot metadata: %w", err)
	}
	path = filepath.Join(dir, snapName(md.GetTerm(), md.GetIndex()))
	err = atomicfile.Write(path, func(f *os.File) error {
		if _, err := f.Write(make([]byte, headerSize)); err != nil {
			return err
		}
		sw := &snapWriter{f: f, rush: rush, written: headerSize}
		bw := bufio.NewWriterSize(sw, streamBuffer)
		head := binary.AppendUvarint([]byte{recSnapshotStream}, uint64(len(mdb)))
		if _, err := bw.Write(append(head, mdb...)); err != nil {
			return err
		}
		if err := write(bw); err != nil {
			return err
		}
		if err := bw.Flush(); err != nil {
			return err
		}
		if sw.n > math.MaxUint32 {
			return fmt.Errorf("snapshot of %d bytes exceeds the 4 GiB a record can hold", sw.n)
		}
		var hdr [headerSize]byte
		binary.LittleEndian.PutUint32(hdr[:], uint32(sw.n))
		binary.LittleEndian.PutUint32(hdr[4:], sw.crc)
		_, err := f.WriteAt(hdr[:], 0)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("wal: %w", err)
	}
	return path, nil
}

// decodeSnapshotStream decodes the payload of a recSnapshotStream record;
// the snapshot's data is a slice of payload.
func decodeSnapshotStream(payload []byte) (*pb.Snapshot, error) {
	n, k := binary.Uvarint(payload[1:])
	if k <= 0 || n > uint64(len(payload)-1-k) {
		return nil, errors.New("bad snapshot metadata length")
	}
	md := &pb.SnapshotMetadata{}
	if err := proto.Unmarshal(payload[1+k:1+k+int(n)], md); err != nil {
		return nil, fmt.Errorf("snapshot metadata: %w", err)
	}
	return &pb.Snapshot{Metadata: md, Data: payload[1+k+int(n):]}, nil
}
