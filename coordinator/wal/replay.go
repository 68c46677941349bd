package wal

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"

	pb "go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"
)

// replayer rebuilds the log from records, in the order they were written,
// on top of the loaded snapshot.
type replayer struct {
	snapIndex, snapTerm uint64
	// ents[i] has index snapIndex+1+i.
	ents []*pb.Entry
	hs   *pb.HardState
	// termAtSnap is the term the log holds at snapIndex (0: unknown). If it
	// differs from the snapshot's, the entries after it belong to a history
	// the snapshot replaced (a crash between writing a snapshot received
	// from the leader and recording its marker).
	termAtSnap uint64
}

func (r *replayer) entry(e *pb.Entry) error {
	idx := e.GetIndex()
	if idx <= r.snapIndex {
		// Rewriting at idx discards everything after idx: raft's rule.
		r.ents = r.ents[:0]
		r.termAtSnap = 0
		if idx == r.snapIndex {
			r.termAtSnap = e.GetTerm()
		}
		return nil
	}
	if next := r.snapIndex + uint64(len(r.ents)) + 1; idx > next {
		return fmt.Errorf("entry %d follows entry %d: log has a gap", idx, next-1)
	}
	r.ents = append(r.ents[:idx-r.snapIndex-1], e)
	return nil
}

func (r *replayer) marker(md *pb.SnapshotMetadata) error {
	m, t := md.GetIndex(), md.GetTerm()
	if m <= r.snapIndex {
		r.ents = r.ents[:0]
		r.termAtSnap = 0
		if m == r.snapIndex {
			r.termAtSnap = t
		}
		return nil
	}
	have := r.snapIndex + uint64(len(r.ents))
	if have < m || r.ents[m-r.snapIndex-1].GetTerm() != t {
		return fmt.Errorf("log continues from snapshot term %d index %d, whose file is missing or corrupt, and holds no entries to replace it (loaded snapshot index %d)",
			t, m, r.snapIndex)
	}
	r.ents = r.ents[:m-r.snapIndex]
	return nil
}

func (r *replayer) finish(log *slog.Logger) {
	if r.snapIndex > 0 && len(r.ents) > 0 && r.termAtSnap != 0 && r.termAtSnap != r.snapTerm {
		log.Warn("dropping log entries that the snapshot replaced",
			"snapshot_index", r.snapIndex, "snapshot_term", r.snapTerm, "log_term", r.termAtSnap,
			"entries", len(r.ents))
		r.ents = nil
	}
}

// badRecord is a record that failed to read.
type badRecord struct {
	off    int64
	reason error
	// torn: the record looks like an interrupted write at the end of the
	// file (see doc.go).
	torn bool
	// padding: the file holds only zeros from the record on, the unused
	// part of a preallocated segment (torn is set too).
	padding bool
	// follows says, when torn is false, what follows the bad record that
	// a torn write cannot have left.
	follows string
}

// badHeader judges a record whose header failed parseHeader with herr, by
// the rule for every bad record: it is a torn tail only if nothing but
// zeros follows the bytes it claims (see doc.go).
//   - Cut inside its header: it ends the file, nothing follows.
//   - Length zero or above MaxRecordSize: it claims only its header, so
//     zeros must follow the header (zeros from the record on are the
//     padding of a preallocated segment).
//   - Length running past the end of the file: it claims the rest of the
//     file, so nothing follows it; but a length corrupted in the middle of
//     the log claims the rest of the file too, so the bytes it claims
//     must hold no intact record (a length and a CRC that match): a torn
//     write holds a prefix of one record, never whole records after it.
func badHeader(f *os.File, off, size int64, header []byte, herr error) (*badRecord, error) {
	bad := &badRecord{off: off, reason: herr}
	switch {
	case size-off < headerSize:
		bad.torn = true
	case errors.Is(herr, errBadLen):
		zeros, err := zerosFrom(f, off)
		if err != nil {
			return nil, err
		}
		if zeros {
			bad.torn, bad.padding = true, true
			break
		}
		if bad.torn, err = zerosFrom(f, off+headerSize); err != nil {
			return nil, err
		}
		if !bad.torn {
			bad.follows = "non-zero bytes follow its header"
		}
	default: // errShort: the claimed record runs past the end of the file
		rest := make([]byte, size-off) // < MaxRecordSize+headerSize, as parseHeader checked
		if _, err := f.ReadAt(rest, off); err != nil {
			return nil, err
		}
		if at := intactRecord(rest[1:]); at >= 0 {
			bad.follows = fmt.Sprintf("an intact record follows it at offset %d", off+1+int64(at))
		} else {
			bad.torn = true
		}
	}
	return bad, nil
}

// intactRecord returns the offset in b of the first record that is
// whole and passes its checksum, or -1.
func intactRecord(b []byte) int {
	for i := 0; i+headerSize < len(b); i++ {
		n := int64(binary.LittleEndian.Uint32(b[i:]))
		if n == 0 || n > int64(len(b)-i-headerSize) {
			continue
		}
		payload := b[i+headerSize : int64(i+headerSize)+n]
		if payload[0] < recEntry || payload[0] > recSnapshotStream {
			continue
		}
		if checkPayload(b[i:i+headerSize], payload) == nil {
			return i
		}
	}
	return -1
}

// scanSegment feeds the records of the segment at path to r. It returns the
// offset after the last good record and, if it stopped before the end of
// the file, the bad record there. err is an I/O error or a record that
// passed its checksum but makes no sense; both name the file and offset.
func scanSegment(path string, r *replayer) (end int64, bad *badRecord, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, nil, fmt.Errorf("wal: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, nil, fmt.Errorf("wal: %w", err)
	}
	size := st.Size()
	br := bufio.NewReaderSize(f, 1<<20)
	var header [headerSize]byte
	var payload []byte
	var off int64
	for off < size {
		remaining := size - off
		hn, err := io.ReadFull(br, header[:min(remaining, headerSize)])
		if err != nil {
			return off, nil, fmt.Errorf("wal: read %s at offset %d: %w", path, off, err)
		}
		n, herr := parseHeader(header[:hn], remaining, MaxRecordSize)
		if herr != nil {
			bad, err := badHeader(f, off, size, header[:hn], herr)
			if err != nil {
				return off, nil, fmt.Errorf("wal: read %s at offset %d: %w", path, off, err)
			}
			return off, bad, nil
		}
		if int64(cap(payload)) < n {
			payload = make([]byte, n)
		}
		payload = payload[:n]
		if _, err := io.ReadFull(br, payload); err != nil {
			return off, nil, fmt.Errorf("wal: read %s at offset %d: %w", path, off, err)
		}
		if cerr := checkPayload(header[:], payload); cerr != nil {
			zeros, err := zerosFrom(f, off+headerSize+n)
			if err != nil {
				return off, nil, fmt.Errorf("wal: read %s at offset %d: %w", path, off, err)
			}
			bad := &badRecord{off: off, reason: cerr, torn: zeros}
			if !zeros {
				bad.follows = "non-zero bytes follow it"
			}
			return off, bad, nil
		}
		if err := r.record(payload); err != nil {
			return off, nil, fmt.Errorf("wal: %s at offset %d: %w", path, off, err)
		}
		off += headerSize + n
	}
	return off, nil, nil
}

var errUnknownType = errors.New("unknown record type")

func (r *replayer) record(payload []byte) error {
	body := payload[1:]
	switch payload[0] {
	case recEntry:
		e := &pb.Entry{}
		if err := proto.Unmarshal(body, e); err != nil {
			return fmt.Errorf("decode entry: %w", err)
		}
		return r.entry(e)
	case recHardState:
		hs := &pb.HardState{}
		if err := proto.Unmarshal(body, hs); err != nil {
			return fmt.Errorf("decode hard state: %w", err)
		}
		r.hs = hs
		return nil
	case recMarker:
		md := &pb.SnapshotMetadata{}
		if err := proto.Unmarshal(body, md); err != nil {
			return fmt.Errorf("decode snapshot marker: %w", err)
		}
		return r.marker(md)
	default:
		return fmt.Errorf("%w %d", errUnknownType, payload[0])
	}
}
