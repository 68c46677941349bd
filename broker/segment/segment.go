package segment

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"

	"github.com/twmb/franz-go/pkg/kerr"
)

const (
	logSuffix       = ".log"
	indexSuffix     = ".index"
	timeIndexSuffix = ".timeindex"

	indexEntrySize     = 8  // relOffset uint32, position uint32
	timeIndexEntrySize = 12 // timestamp int64, relOffset uint32
)

// indexEntry maps a batch's base offset (relative to the segment base) to
// the batch's position in the .log file.
type indexEntry struct {
	rel uint32
	pos uint32
}

// timeEntry says: every batch whose base offset is ≤ segment base + rel has
// maxTimestamp ≤ ts.
type timeEntry struct {
	ts  int64
	rel uint32
}

// segment is one .log file with its .index and .timeindex.
//
// Fields in the "committed" group are written by the Log's writer while it
// holds Log.mu for writing and read by anyone holding Log.mu for reading.
// The index slices are only ever appended to in place; anything that drops
// entries installs a fresh slice, so a reader may keep using a slice header
// it copied under the lock after releasing it.
type segment struct {
	base int64
	dir  string
	log  *os.File
	idx  *os.File
	tidx *os.File

	// refs counts the Log's own reference (1 while the segment is in the
	// Log) plus one per unreleased ReadResult; the files close at zero.
	refs atomic.Int32

	// committed
	size    int64 // bytes of whole, validated batches
	next    int64 // offset after the last batch (base when empty)
	maxTs   int64 // largest batch maxTimestamp, -1 when none
	offIdx  []indexEntry
	timeIdx []timeEntry

	// writer only
	lastBatchRel uint32 // relative base offset of the last batch
	ibuf         [timeIndexEntrySize]byte
}

func segmentPath(dir string, base int64, suffix string) string {
	return filepath.Join(dir, fmt.Sprintf("%020d%s", base, suffix))
}

// view is what a reader copies out under Log.mu.RLock.
type view struct {
	size   int64
	next   int64
	offIdx []indexEntry
}

func (s *segment) view() view { return view{size: s.size, next: s.next, offIdx: s.offIdx} }

func (s *segment) release() {
	if s.refs.Add(-1) == 0 {
		s.closeFiles()
	}
}

func (s *segment) closeFiles() error {
	return errors.Join(s.log.Close(), s.idx.Close(), s.tidx.Close())
}

func (s *segment) removeFiles() error {
	var errs []error
	for _, suf := range []string{logSuffix, indexSuffix, timeIndexSuffix} {
		if err := os.Remove(segmentPath(s.dir, s.base, suf)); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (s *segment) sync() error {
	return errors.Join(s.log.Sync(), s.idx.Sync(), s.tidx.Sync())
}

// openSegmentFiles opens (creating if needed, or exclusively when create is
// set) the three files of the segment at base.
func openSegmentFiles(dir string, base int64, create bool) (*segment, error) {
	flag := os.O_RDWR | os.O_CREATE
	if create {
		flag |= os.O_EXCL
	}
	s := &segment{base: base, dir: dir, next: base, maxTs: -1}
	var err error
	if s.log, err = os.OpenFile(segmentPath(dir, base, logSuffix), flag, 0o644); err != nil {
		return nil, err
	}
	if s.idx, err = os.OpenFile(segmentPath(dir, base, indexSuffix), os.O_RDWR|os.O_CREATE, 0o644); err != nil {
		s.log.Close()
		return nil, err
	}
	if s.tidx, err = os.OpenFile(segmentPath(dir, base, timeIndexSuffix), os.O_RDWR|os.O_CREATE, 0o644); err != nil {
		s.log.Close()
		s.idx.Close()
		return nil, err
	}
	if create {
		// The index files of a new segment must be empty even if a stale
		// pair survived without its .log.
		if err := errors.Join(s.idx.Truncate(0), s.tidx.Truncate(0)); err != nil {
			s.closeFiles()
			return nil, err
		}
	}
	s.refs.Store(1)
	return s, nil
}

// readHeader reads and sanity-checks the header of the batch at pos, which
// must end at or before limit. It does not verify the CRC.
func (s *segment) readHeader(pos, limit int64) (Header, error) {
	var buf [HeaderSize]byte
	if limit-pos < HeaderSize {
		return Header{}, s.storageErr(pos, "header past end of data")
	}
	if _, err := s.log.ReadAt(buf[:], pos); err != nil {
		return Header{}, fmt.Errorf("segment %d: read header at %d: %w (%w)", s.base, pos, err, kerr.KafkaStorageError)
	}
	h := parseHeader(buf[:])
	if h.Magic != 2 || h.Size < HeaderSize || int64(h.Size) > limit-pos || h.LastOffsetDelta < 0 {
		return h, s.storageErr(pos, "bad batch header")
	}
	return h, nil
}

func (s *segment) storageErr(pos int64, what string) error {
	return fmt.Errorf("segment %d: %s at position %d: %w", s.base, what, pos, kerr.KafkaStorageError)
}

// floorEntry returns the index entry with the largest rel ≤ rel, or the
// implied entry {0, 0} for the segment start. O(log n).
func floorEntry(idx []indexEntry, rel uint32) indexEntry {
	lo, hi := 0, len(idx) // first entry with rel > target
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if idx[m].rel <= rel {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo == 0 {
		return indexEntry{}
	}
	return idx[lo-1]
}

// floorPos returns the position of the last index entry at or before pos.
func floorPos(idx []indexEntry, pos int64) int64 {
	lo, hi := 0, len(idx)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if int64(idx[m].pos) <= pos {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo == 0 {
		return 0
	}
	return int64(idx[lo-1].pos)
}

// locate finds the batch whose offset range ends at or after offset: a
// binary search in the sparse index, then a forward scan of batch headers
// (at most about one index interval). found is false when no batch of the
// view ends at or after offset.
func (s *segment) locate(offset int64, v view) (pos int64, h Header, found bool, err error) {
	rel := offset - s.base
	if rel > 0 {
		if rel > int64(^uint32(0)) {
			rel = int64(^uint32(0))
		}
		pos = int64(floorEntry(v.offIdx, uint32(rel)).pos)
	}
	for pos < v.size {
		h, err = s.readHeader(pos, v.size)
		if err != nil {
			return pos, h, false, err
		}
		if h.LastOffset() >= offset {
			return pos, h, true, nil
		}
		pos += int64(h.Size)
	}
	return pos, h, false, nil
}

// needsIndexEntry is the sparse index rule, a function of the data alone so
// a rebuild produces the same entries: a batch starting at pos gets an entry
// when at least interval bytes separate it from the previous entry (or the
// segment start, which is an implied entry).
func (s *segment) needsIndexEntry(pos int64, interval int) bool {
	last := int64(0)
	if n := len(s.offIdx); n > 0 {
		last = int64(s.offIdx[n-1].pos)
	}
	return pos-last >= int64(interval)
}

// encodeIndexEntry and encodeTimeEntry fill s.ibuf.
func (s *segment) encodeIndexEntry(e indexEntry) []byte {
	binary.BigEndian.PutUint32(s.ibuf[0:], e.rel)
	binary.BigEndian.PutUint32(s.ibuf[4:], e.pos)
	return s.ibuf[:indexEntrySize]
}

func (s *segment) encodeTimeEntry(e timeEntry) []byte {
	binary.BigEndian.PutUint64(s.ibuf[0:], uint64(e.ts))
	binary.BigEndian.PutUint32(s.ibuf[8:], e.rel)
	return s.ibuf[:timeIndexEntrySize]
}

// rewriteIndexes replaces both index files with the in-memory entries.
func (s *segment) rewriteIndexes() error {
	ib := make([]byte, 0, len(s.offIdx)*indexEntrySize)
	for _, e := range s.offIdx {
		ib = binary.BigEndian.AppendUint32(ib, e.rel)
		ib = binary.BigEndian.AppendUint32(ib, e.pos)
	}
	tb := make([]byte, 0, len(s.timeIdx)*timeIndexEntrySize)
	for _, e := range s.timeIdx {
		tb = binary.BigEndian.AppendUint64(tb, uint64(e.ts))
		tb = binary.BigEndian.AppendUint32(tb, e.rel)
	}
	if err := s.idx.Truncate(0); err != nil {
		return err
	}
	if _, err := s.idx.WriteAt(ib, 0); err != nil {
		return err
	}
	if err := s.tidx.Truncate(0); err != nil {
		return err
	}
	_, err := s.tidx.WriteAt(tb, 0)
	return err
}

// loadIndexes reads the index files of a sealed segment and checks that
// they are sane: whole entries, strictly increasing, inside the log file.
// It then scans the batch headers after the last offset index entry (about
// one index interval) to find the segment's end offset and max timestamp,
// checking that the file ends on a batch boundary. Any failure means the
// caller rebuilds the segment from its data.
// maxOffsetIndexBytes is the largest .index a log of size bytes can have:
// one entry per batch after the first, each batch at least HeaderSize.
func maxOffsetIndexBytes(size int64) int64 { return (size/HeaderSize + 1) * indexEntrySize }

// maxTimeIndexBytes is the same for .timeindex: one entry per offset
// index entry, plus the one written when the segment rolled.
func maxTimeIndexBytes(size int64) int64 { return (size/HeaderSize + 2) * timeIndexEntrySize }

// errIndexTooLarge is an index file larger than its log could need.
var errIndexTooLarge = errors.New("index file larger than its log allows")

// readIndexFile reads a whole index file of at most limit bytes.
func readIndexFile(f *os.File, limit int64) ([]byte, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() > limit {
		return nil, fmt.Errorf("%s: %d bytes, at most %d: %w", filepath.Base(f.Name()), st.Size(), limit, errIndexTooLarge)
	}
	return io.ReadAll(io.NewSectionReader(f, 0, limit))
}

// decodeIndexes decodes a sealed segment's .index (ib) and .timeindex
// (tb) for a .log of logSize bytes, checking what can be checked without
// the log: whole entries, offset entries strictly increasing inside the
// log (position 0 and relative offset 0 are implied, never stored), time
// entries strictly increasing in time and not decreasing in offset. It
// allocates no more than the entries decoded.
func decodeIndexes(ib, tb []byte, logSize int64) ([]indexEntry, []timeEntry, error) {
	if len(ib)%indexEntrySize != 0 || len(tb)%timeIndexEntrySize != 0 {
		return nil, nil, errors.New("index size is not a whole number of entries")
	}
	offIdx := make([]indexEntry, 0, len(ib)/indexEntrySize)
	for i := 0; i < len(ib); i += indexEntrySize {
		e := indexEntry{rel: binary.BigEndian.Uint32(ib[i:]), pos: binary.BigEndian.Uint32(ib[i+4:])}
		if int64(e.pos) >= logSize || e.pos == 0 || e.rel == 0 {
			return nil, nil, fmt.Errorf("offset index entry %d (offset +%d at %d) outside the %d-byte log", i/indexEntrySize, e.rel, e.pos, logSize)
		}
		if n := len(offIdx); n > 0 && (e.rel <= offIdx[n-1].rel || e.pos <= offIdx[n-1].pos) {
			return nil, nil, fmt.Errorf("offset index entry %d not increasing", i/indexEntrySize)
		}
		offIdx = append(offIdx, e)
	}
	timeIdx := make([]timeEntry, 0, len(tb)/timeIndexEntrySize)
	for i := 0; i < len(tb); i += timeIndexEntrySize {
		e := timeEntry{ts: int64(binary.BigEndian.Uint64(tb[i:])), rel: binary.BigEndian.Uint32(tb[i+8:])}
		if n := len(timeIdx); n > 0 && (e.ts <= timeIdx[n-1].ts || e.rel < timeIdx[n-1].rel) {
			return nil, nil, fmt.Errorf("time index entry %d not increasing", i/timeIndexEntrySize)
		}
		timeIdx = append(timeIdx, e)
	}
	return offIdx, timeIdx, nil
}

func (s *segment) loadIndexes(interval int) error {
	st, err := s.log.Stat()
	if err != nil {
		return err
	}
	size := st.Size()
	// Read no more than a sane index of this log can hold: the files are
	// untrusted, and one grown (or made sparse) to gigabytes must cost a
	// rebuild, not that much memory.
	ib, err := readIndexFile(s.idx, maxOffsetIndexBytes(size))
	if err != nil {
		return err
	}
	tb, err := readIndexFile(s.tidx, maxTimeIndexBytes(size))
	if err != nil {
		return err
	}
	offIdx, timeIdx, err := decodeIndexes(ib, tb, size)
	if err != nil {
		return err
	}
	s.offIdx, s.timeIdx = offIdx, timeIdx

	// Walk the tail after the last offset index entry.
	maxTs := int64(-1)
	if n := len(timeIdx); n > 0 {
		maxTs = timeIdx[n-1].ts
	}
	var pos int64
	next, entryPos := s.base, int64(-1)
	if n := len(offIdx); n > 0 {
		pos, next = int64(offIdx[n-1].pos), s.base+int64(offIdx[n-1].rel)
		entryPos = pos
	}
	for pos < size {
		h, err := s.readHeader(pos, size)
		if err != nil {
			return err
		}
		// Offsets increase (compaction leaves gaps), and the batch an
		// index entry points at starts at the entry's offset.
		if h.BaseOffset < next || (pos == entryPos && h.BaseOffset != next) {
			return fmt.Errorf("batch at %d has base offset %d, want %d", pos, h.BaseOffset, next)
		}
		// The index rule is deterministic, so a missing entry means
		// the index is incomplete (lost, or written with a larger
		// interval): lookups would scan too far.
		if pos > 0 && pos-floorPos(offIdx, pos) >= int64(interval) {
			return fmt.Errorf("batch at %d lacks its index entry", pos)
		}
		next = h.NextOffset()
		maxTs = max(maxTs, h.MaxTimestamp)
		s.lastBatchRel = uint32(h.BaseOffset - s.base)
		pos += int64(h.Size)
	}
	if n := len(timeIdx); n > 0 && s.base+int64(timeIdx[n-1].rel) >= next {
		return errors.New("time index entry past the end of the log")
	}
	s.size, s.next, s.maxTs = size, next, maxTs
	return nil
}

// recoverData scans the whole segment from position 0, validating every
// batch (length, magic, CRC-32C, offsets contiguous from expectNext), and
// rebuilds both indexes from the data. It truncates the file at the first
// invalid or torn batch and reports how many bytes it cut. The index files
// are rewritten in both cases.
func (s *segment) recoverData(expectNext int64, interval int) (cut int64, reason error, err error) {
	st, err := s.log.Stat()
	if err != nil {
		return 0, nil, err
	}
	fileSize := st.Size()
	s.offIdx, s.timeIdx = nil, nil
	s.size, s.next, s.maxTs, s.lastBatchRel = 0, expectNext, -1, 0

	r := bufio.NewReaderSize(io.NewSectionReader(s.log, 0, fileSize), 1<<20)
	var buf []byte
	var pos int64
	for pos < fileSize {
		if fileSize-pos < HeaderSize {
			reason = fmt.Errorf("%d trailing bytes are shorter than a batch header", fileSize-pos)
			break
		}
		var prefix [lengthPrefix]byte
		if _, err := io.ReadFull(r, prefix[:]); err != nil {
			return 0, nil, err
		}
		total := int64(int32(binary.BigEndian.Uint32(prefix[offBatchLength:]))) + lengthPrefix
		if total < HeaderSize || total > fileSize-pos {
			reason = fmt.Errorf("batch length %d at position %d does not fit the %d bytes left", total, pos, fileSize-pos)
			break
		}
		if int64(cap(buf)) < total {
			buf = make([]byte, total)
		}
		b := buf[:total]
		copy(b, prefix[:])
		if _, err := io.ReadFull(r, b[lengthPrefix:]); err != nil {
			return 0, nil, err
		}
		h, verr := validateStored(b)
		if verr != nil {
			reason = fmt.Errorf("batch at position %d: %w", pos, verr)
			break
		}
		if h.BaseOffset < s.next { // compaction leaves gaps, never overlaps
			reason = fmt.Errorf("batch at position %d has base offset %d, want at least %d", pos, h.BaseOffset, s.next)
			break
		}
		if h.LastOffset()-s.base > int64(^uint32(0)) || pos+total > maxSegmentBytes {
			reason = fmt.Errorf("batch at position %d does not fit the segment's index", pos)
			break
		}
		s.addBatch(pos, &h, interval)
		pos += total
	}
	s.size = pos
	if cut = fileSize - pos; cut > 0 {
		if err := s.log.Truncate(pos); err != nil {
			return 0, nil, err
		}
	}
	return cut, reason, s.rewriteIndexes()
}

// addBatch updates the in-memory state of a batch appended at pos (index
// files excepted). Used by recovery; Append does the same in steps so that
// it can write the index files first.
func (s *segment) addBatch(pos int64, h *Header, interval int) {
	rel := uint32(h.BaseOffset - s.base)
	if pos > 0 && s.needsIndexEntry(pos, interval) {
		s.offIdx = append(s.offIdx, indexEntry{rel: rel, pos: uint32(pos)})
		ts := max(s.maxTs, h.MaxTimestamp)
		if n := len(s.timeIdx); n == 0 || ts > s.timeIdx[n-1].ts {
			s.timeIdx = append(s.timeIdx, timeEntry{ts: ts, rel: rel})
		}
	}
	s.maxTs = max(s.maxTs, h.MaxTimestamp)
	s.next = h.NextOffset()
	s.lastBatchRel = rel
	s.size = pos + int64(h.Size)
}
