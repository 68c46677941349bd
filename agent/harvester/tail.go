package harvester

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/cespare/xxhash/v2"
)

// TailSize is how many bytes before an offset its tail check covers: a
// file truncated and written again past where it was read (with the same
// first bytes: a fixed header) is told from the file that was read by
// the bytes just before that offset, which then differ. It covers the
// whole last line of most logs: lines that end alike (an access log's
// user agent) mostly start differently (a timestamp).
const TailSize = 1024

// tailHash hashes the bytes of a tail check: xxHash64, fast enough for
// every line (a line's check is taken as it is read).
func tailHash(b []byte) uint64 { return xxhash.Sum64(b) }

// ReadTail hashes the (up to TailSize, at most n) bytes of f that end at
// offset. Its Len is less than n when f is shorter than offset.
func ReadTail(f *os.File, offset int64, n int) (Fingerprint, error) {
	n = int(min(int64(n), offset))
	buf := make([]byte, n)
	got, err := f.ReadAt(buf, offset-int64(n))
	if err != nil && !errors.Is(err, io.EOF) {
		return Fingerprint{}, err
	}
	return Fingerprint{Len: got, Hash: tailHash(buf[:got])}, nil
}

// tailOf is the check of a line whose raw bytes (with its newline) end
// with b: a hash of their last TailSize bytes.
func tailOf(b []byte) Fingerprint {
	if len(b) > TailSize {
		b = b[len(b)-TailSize:]
	}
	return Fingerprint{Len: len(b), Hash: tailHash(b)}
}

// keepTail remembers the last bytes read (b, read at pos): the bytes
// before the next read, compared with the file by tailChanged.
func (h *Harvester) keepTail(b []byte) {
	if len(b) >= TailSize {
		h.tail = append(h.tail[:0], b[len(b)-TailSize:]...)
		return
	}
	h.tail = append(h.tail, b...)
	if over := len(h.tail) - TailSize; over > 0 {
		h.tail = append(h.tail[:0], h.tail[over:]...)
	}
}

// tailChanged reports whether the bytes of the file before pos differ
// from the last bytes read there: the file was truncated and written
// again past pos, so a read at pos got bytes of another file.
func (h *Harvester) tailChanged(pos int64) (bool, error) {
	if len(h.tail) == 0 || pos < int64(len(h.tail)) {
		return false, nil
	}
	if cap(h.tailBuf) < TailSize {
		h.tailBuf = make([]byte, TailSize)
	}
	buf := h.tailBuf[:len(h.tail)]
	got, err := h.f.ReadAt(buf, pos-int64(len(buf)))
	if err != nil && !errors.Is(err, io.EOF) {
		return false, fmt.Errorf("harvester: read %s: %w", h.Path, err)
	}
	return !bytes.Equal(buf[:got], h.tail), nil
}

// readTailBytes reads the (up to TailSize) bytes of f that end at offset.
func readTailBytes(f *os.File, offset int64) ([]byte, error) {
	n := min(int64(TailSize), offset)
	buf := make([]byte, n, TailSize)
	got, err := f.ReadAt(buf, offset-n)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return buf[:got], nil
}
