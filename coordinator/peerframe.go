package coordinator

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"slices"
)

// Peer frames. After its hello (the dialer's member id, uint64), a peer
// connection carries frames:
//
//	frame   = uint32 length (of kind+payload), kind byte, payload
//	kind 1  a Raft message (protobuf), or the last piece of one
//	kind 2  session heartbeats: int64 session ids whose clients are
//	        connected to the sender, for the leader's expiry clock
//	kind 3  a piece of a Raft message: the payloads of the kind 3 frames
//	        that precede a kind 1 frame, and its own, make up the message
//	kind 4  a ping, empty: sent on a connection idle for half a tick so
//	        that its reader can tell a silent peer from an idle one
//
// A frame's payload is at most peerChunk bytes, so a length header can
// never make a reader allocate more than that; anything longer — a
// snapshot (MsgSnap carries the whole tree), or an append whose batch
// plus its first entry exceed it — is sent as pieces. peerChunk is the
// largest legitimate frame: raft.Config.MaxSizePerMsg (1 MiB) bounds a
// batch of entries, as ZooKeeper's default jute.maxbuffer (0xfffff)
// bounds one request. A reader grows its buffers only as a frame's bytes
// arrive (appendN), so what it allocates is bounded by what it has read
// (about twice, plus 64 KiB), whatever the length headers say. There is no
// bound on a whole message: from a member that is authenticated (by
// address, or by certificate with sslQuorum) a snapshot of any size is
// legitimate.
// peerReadBuffer is the read buffer of a trusted peer connection, once it
// has sent a frame header worth reading on (frameReader.buffered).
const peerReadBuffer = 256 << 10

const (
	frameRaft     byte = 1
	frameSessions byte = 2
	framePiece    byte = 3
	framePing     byte = 4

	peerChunk    = 1 << 20
	maxPeerFrame = 1 + peerChunk // kind + payload: the largest length header accepted
)

// writeFrames writes kind's payload as frames of at most peerChunk bytes:
// a Raft message as pieces then a last kind 1 frame, session ids in
// independent frames of whole ids.
func writeFrames(w *bufio.Writer, kind byte, payload []byte) error {
	var hdr [5]byte
	frame := func(k byte, p []byte) error {
		binary.BigEndian.PutUint32(hdr[:4], uint32(1+len(p)))
		hdr[4] = k
		if _, err := w.Write(hdr[:]); err != nil {
			return err
		}
		_, err := w.Write(p)
		return err
	}
	switch kind {
	case frameRaft:
		for len(payload) > peerChunk {
			if err := frame(framePiece, payload[:peerChunk]); err != nil {
				return err
			}
			payload = payload[peerChunk:]
		}
	case frameSessions:
		const most = peerChunk / 8 * 8
		for len(payload) > most {
			if err := frame(frameSessions, payload[:most]); err != nil {
				return err
			}
			payload = payload[most:]
		}
	}
	return frame(kind, payload)
}

// frameReader reads the frames of one peer connection.
type frameReader struct {
	r io.Reader
	// buffered, if set, is the connection r reads unbuffered until a first
	// frame header is accepted; then r becomes a bufio.Reader of
	// peerReadBuffer bytes over it. A connection refused at its first
	// header (a forged 1 GiB length) never gets the buffer: a flood of
	// them would otherwise allocate 256 KiB each.
	buffered io.Reader
	hdr      [5]byte
	buf      []byte // the last frame's payload, reused; at most peerChunk
	msg      []byte // the pieces of the Raft message being assembled

	onPing func() // if set, called for each ping
}

// next returns the next Raft message (frameRaft) or heartbeat
// (frameSessions), skipping pings; its payload is valid until the next
// call. Any other kind, or a length above maxPeerFrame, is an error.
func (fr *frameReader) next() (byte, []byte, error) {
	for {
		if _, err := io.ReadFull(fr.r, fr.hdr[:]); err != nil {
			return 0, nil, err
		}
		n := binary.BigEndian.Uint32(fr.hdr[:4])
		if n < 1 || n > maxPeerFrame {
			return 0, nil, fmt.Errorf("frame length %d: want 1 to %d", n, maxPeerFrame)
		}
		kind := fr.hdr[4]
		if kind < frameRaft || kind > framePing { // not one of the kinds below
			return 0, nil, fmt.Errorf("unknown frame kind %d", kind)
		}
		if fr.buffered != nil { // nothing is buffered yet: r read only what was asked
			fr.r, fr.buffered = bufio.NewReaderSize(fr.buffered, peerReadBuffer), nil
		}
		switch kind {
		case frameRaft, framePiece:
			if kind == frameRaft && len(fr.msg) == 0 { // the common case: one frame
				p, err := fr.read(int(n - 1))
				return kind, p, err
			}
			var err error
			if fr.msg, err = appendN(fr.r, fr.msg, int(n-1)); err != nil {
				return 0, nil, err
			}
			if kind == framePiece {
				continue
			}
			msg := fr.msg
			fr.msg = nil // a large message is not kept for the next one
			return frameRaft, msg, nil
		case frameSessions:
			if len(fr.msg) > 0 {
				return 0, nil, fmt.Errorf("session heartbeat inside the pieces of a raft message")
			}
			p, err := fr.read(int(n - 1))
			if err == nil && len(p)%8 != 0 {
				err = fmt.Errorf("session heartbeat of %d bytes, not a whole number of ids", len(p))
			}
			return kind, p, err
		case framePing:
			if n != 1 {
				return 0, nil, fmt.Errorf("ping with a %d byte payload", n-1)
			}
			if fr.onPing != nil {
				fr.onPing()
			}
		}
	}
}

func (fr *frameReader) read(n int) ([]byte, error) {
	var err error
	fr.buf, err = appendN(fr.r, fr.buf[:0], n)
	return fr.buf, err
}

// appendN appends n bytes read from r to b, growing b only as bytes
// arrive (64 KiB at a time), so that a length header followed by nothing
// costs nothing.
func appendN(r io.Reader, b []byte, n int) ([]byte, error) {
	for n > 0 {
		step := min(n, 64<<10)
		b = slices.Grow(b, step)
		m, err := io.ReadFull(r, b[len(b):len(b)+step])
		b = b[:len(b)+m]
		if err != nil {
			return b, err
		}
		n -= step
	}
	return b, nil
}
