package harvester

import (
	"bytes"
	"errors"
	"io"
	"time"
)

const bufSize = 64 << 10

// lineReader splits what it reads into lines without copying lines that fit
// its buffer. A line longer than max bytes is cut at max and flagged; the
// rest of it is read and dropped (its bytes still count in the offsets).
// A partial last line is kept until its newline arrives.
type lineReader struct {
	r          io.Reader
	max        int
	buf        []byte
	start, end int
	long       []byte // the kept part of a line longer than buf
	longRaw    int64  // bytes of that line already moved out of buf
	truncated  bool
	readPos    int64     // bytes read from r so far
	readAt     time.Time // when the last read that returned data returned
	lastRaw    []byte    // the last raw bytes (up to TailSize, with the newline) of the line next returned
	// onRead, when set, is called after every read that returned data b
	// (read at pos): true means the start of the file changed under the
	// reader (it was truncated and written again), so what was just read
	// belongs to a new file and next returns errChanged.
	onRead func(b []byte, pos int64) (bool, error)
}

// errChanged says the file was replaced in place (see lineReader.onRead).
var errChanged = errors.New("harvester: file truncated and rewritten")

func newLineReader(r io.Reader, max int) *lineReader {
	return &lineReader{r: r, max: max, buf: make([]byte, bufSize)}
}

// reset forgets everything read (the file was truncated and is read again
// from its start).
func (lr *lineReader) reset() {
	lr.start, lr.end, lr.long, lr.longRaw, lr.truncated, lr.readPos = 0, 0, lr.long[:0], 0, false, 0
}

// next returns the next complete line without its "\n" (or "\r\n"), the
// number of bytes it took in the file, and whether it was cut at max. The
// line is valid until the next call. It returns io.EOF when no complete
// line has been written yet.
func (lr *lineReader) next() (line []byte, raw int64, truncated bool, err error) {
	for {
		if i := bytes.IndexByte(lr.buf[lr.start:lr.end], '\n'); i >= 0 {
			seg := lr.buf[lr.start : lr.start+i]
			lr.lastRaw = lr.buf[max(lr.start, lr.start+i+1-TailSize) : lr.start+i+1]
			raw = lr.longRaw + int64(i+1)
			lr.start += i + 1
			if lr.longRaw > 0 {
				lr.keep(seg)
				line, truncated = lr.long, lr.truncated
				lr.long, lr.longRaw, lr.truncated = lr.long[:0], 0, false
			} else {
				line = seg
				if len(line) > lr.max {
					line, truncated = line[:lr.max], true
				}
			}
			if n := len(line); n > 0 && line[n-1] == '\r' && !truncated {
				line = line[:n-1]
			}
			return line, raw, truncated, nil
		}
		if lr.end == len(lr.buf) {
			if lr.start > 0 { // make room
				lr.end = copy(lr.buf, lr.buf[lr.start:lr.end])
				lr.start = 0
			} else { // a line longer than the buffer
				lr.keep(lr.buf[:lr.end])
				lr.longRaw += int64(lr.end)
				lr.start, lr.end = 0, 0
			}
		}
		n, rerr := lr.r.Read(lr.buf[lr.end:])
		if n > 0 {
			lr.readAt = time.Now()
		}
		if n > 0 && lr.onRead != nil {
			// A check after the read: a truncation before the read shows
			// here; one after it means the read got the old bytes.
			if changed, err := lr.onRead(lr.buf[lr.end:lr.end+n], lr.readPos); err != nil {
				return nil, 0, false, err
			} else if changed {
				return nil, 0, false, errChanged
			}
		}
		lr.end += n
		lr.readPos += int64(n)
		if n == 0 {
			if rerr == nil || rerr == io.EOF {
				return nil, 0, false, io.EOF
			}
			return nil, 0, false, rerr
		}
	}
}

// keep appends seg to the long line, up to max bytes.
func (lr *lineReader) keep(seg []byte) {
	room := lr.max - len(lr.long)
	if len(seg) > room {
		seg, lr.truncated = seg[:max(room, 0)], true
	}
	lr.long = append(lr.long, seg...)
}
