package zkproto

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// DefaultMaxPacket is the packet size limit used when ReadPacket is given
// maxSize <= 0: ZooKeeper's default jute.maxbuffer (1 MiB) for the payload plus
// 64 KiB for headers, path and ACLs around it.
const DefaultMaxPacket = 1<<20 + 64<<10

// readChunk bounds how much ReadPacket allocates ahead of the bytes that
// have actually arrived, so a peer announcing a large packet and then
// stalling does not cost the full size up front.
const readChunk = 64 << 10

// ReadPacket reads one length-prefixed packet from r and returns its body
// (without the 4-byte prefix). The body is stored in buf, which is grown
// when too small and may be passed back in for the next packet; the result
// is only valid until then.
//
// A length that is negative wraps ErrMalformed and one above maxSize (or above
// DefaultMaxPacket when maxSize <= 0) wraps ErrTooLarge; neither allocates the announced size. A
// clean end of stream before the first byte of a packet returns io.EOF; a
// stream ending inside a packet returns io.ErrUnexpectedEOF.
func ReadPacket(r io.Reader, buf []byte, maxSize int) ([]byte, error) {
	if maxSize <= 0 {
		maxSize = DefaultMaxPacket
	}
	if cap(buf) < 4 {
		buf = make([]byte, 0, 512)
	}
	if _, err := io.ReadFull(r, buf[:4]); err != nil {
		return buf[:0], err
	}
	n := int(int32(binary.BigEndian.Uint32(buf[:4])))
	switch {
	case n < 0:
		return buf[:0], fmt.Errorf("%w: negative packet length %d", ErrMalformed, n)
	case n > maxSize:
		return buf[:0], fmt.Errorf("%w: packet length %d exceeds %d", ErrTooLarge, n, maxSize)
	}
	buf = buf[:0]
	for len(buf) < n {
		if cap(buf) == len(buf) {
			grow := min(n, max(len(buf)+readChunk, 2*len(buf)))
			next := make([]byte, len(buf), grow)
			copy(next, buf)
			buf = next
		}
		end := min(n, cap(buf))
		m, err := io.ReadFull(r, buf[len(buf):end])
		buf = buf[:len(buf)+m]
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return buf, err
		}
	}
	return buf, nil
}

// AppendPacket appends body to dst with its 4-byte big-endian length prefix.
func AppendPacket(dst, body []byte) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(body)))
	return append(dst, body...)
}

// BeginPacket writes a placeholder length prefix and returns its offset,
// to be passed to EndPacket once the packet's records are encoded. This
// frames a packet in place, without a second buffer:
//
//	at := e.BeginPacket()
//	hdr.Encode(e)
//	resp.Encode(e)
//	e.EndPacket(at)
func (e *Encoder) BeginPacket() int {
	at := len(e.buf)
	e.buf = append(e.buf, 0, 0, 0, 0)
	return at
}

// EndPacket fills in the length prefix written by BeginPacket at offset at.
func (e *Encoder) EndPacket(at int) {
	binary.BigEndian.PutUint32(e.buf[at:at+4], uint32(len(e.buf)-at-4))
}
