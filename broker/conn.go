package broker

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime/debug"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// request is one decoded Kafka request.
type request struct {
	key           kmsg.Key
	version       int16
	correlationID int32
	clientID      string
	kreq          kmsg.Request
}

// errBadRequest closes the connection: Kafka closes connections that send
// what it cannot parse.
var errBadRequest = errors.New("bad request")

// parseRequest decodes a request frame (without its length prefix): the
// request header (v1, or v2 with tagged fields for flexible versions) and
// the body, with franz-go's codecs.
func parseRequest(frame []byte, apis apiTable) (*request, error) {
	if len(frame) < 8 {
		return nil, fmt.Errorf("%w: %d-byte request", errBadRequest, len(frame))
	}
	r := &request{
		key:           kmsg.Key(binary.BigEndian.Uint16(frame[0:])),
		version:       int16(binary.BigEndian.Uint16(frame[2:])),
		correlationID: int32(binary.BigEndian.Uint32(frame[4:])),
	}
	rest := frame[8:]
	if len(rest) < 2 {
		return nil, fmt.Errorf("%w: no client id", errBadRequest)
	}
	n := int16(binary.BigEndian.Uint16(rest))
	rest = rest[2:]
	if n > 0 {
		if int(n) > len(rest) {
			return nil, fmt.Errorf("%w: client id longer than the request", errBadRequest)
		}
		r.clientID, rest = string(rest[:n]), rest[n:]
	}
	kreq := r.key.Request()
	if kreq == nil {
		return r, fmt.Errorf("%w: unknown api key %d", errUnsupported, r.key)
	}
	if !apis.supports(r.key, r.version) || r.version > kreq.MaxVersion() {
		return r, fmt.Errorf("%w: %s v%d", errUnsupported, r.key.Name(), r.version)
	}
	kreq.SetVersion(r.version)
	if kreq.IsFlexible() {
		var err error
		if rest, err = skipTags(rest); err != nil {
			return nil, err
		}
	}
	if err := apis.checkBody(r.key, r.version, rest, len(frame)); err != nil {
		return nil, fmt.Errorf("%w: %s v%d: %v", errBadRequest, r.key.Name(), r.version, err)
	}
	if err := kreq.ReadFrom(rest); err != nil {
		return nil, fmt.Errorf("%w: %s v%d: %v", errBadRequest, r.key.Name(), r.version, err)
	}
	r.kreq = kreq
	return r, nil
}

var errUnsupported = errors.New("unsupported request")

// skipTags skips a tagged-field section: a count, then (tag, size, bytes).
func skipTags(b []byte) ([]byte, error) {
	count, n := binary.Uvarint(b)
	if n <= 0 {
		return nil, fmt.Errorf("%w: bad tagged fields", errBadRequest)
	}
	b = b[n:]
	for i := uint64(0); i < count; i++ {
		if _, n = binary.Uvarint(b); n <= 0 {
			return nil, fmt.Errorf("%w: bad tag", errBadRequest)
		}
		b = b[n:]
		size, n := binary.Uvarint(b)
		if n <= 0 || size > uint64(len(b)-n) {
			return nil, fmt.Errorf("%w: bad tag size", errBadRequest)
		}
		b = b[n+int(size):]
	}
	return b, nil
}

// appendResponse frames a response: length, correlation id, the header's
// tagged fields when the version is flexible (never for ApiVersions), body.
func appendResponse(dst []byte, r *request, resp kmsg.Response) []byte {
	start := len(dst)
	dst = append(dst, 0, 0, 0, 0)
	dst = binary.BigEndian.AppendUint32(dst, uint32(r.correlationID))
	if resp.IsFlexible() && r.key != kmsg.ApiVersions {
		dst = append(dst, 0)
	}
	dst = resp.AppendTo(dst)
	binary.BigEndian.PutUint32(dst[start:], uint32(len(dst)-start-4))
	return dst
}

// idleReader reads from a connection that is closed (its read fails with
// a timeout) once it has sent nothing for connections.max.idle.ms: each
// read moves the deadline on. Only reads wait on it: a request being
// handled, however long (a fetch's long poll, a JoinGroup), is no idleness.
type idleReader struct {
	nc   net.Conn
	idle time.Duration // <= 0: never
}

func (r idleReader) Read(p []byte) (int, error) {
	if r.idle > 0 {
		_ = r.nc.SetReadDeadline(time.Now().Add(r.idle))
	}
	return r.nc.Read(p)
}

// maxSmallRequestBytes caps the requests of every API but Produce: only a
// produce carries records; the largest others (a Metadata or an
// OffsetCommit naming tens of thousands of partitions) stay far below.
// Kafka has no such cap (and no key for it).
const maxSmallRequestBytes = 8 << 20

// firstChunk is the memory a request's frame starts with; it doubles as
// the bytes arrive until wholeAfter bytes have, then the frame's buffer
// is allocated whole.
const (
	firstChunk = 4 << 10
	wholeAfter = 64 << 10
)

var errRequestTooLarge = errors.New("request too large for its api")

// readFrame reads a request frame of n bytes (after its length) as its
// bytes arrive, under the broker's request memory (queued.max.request.bytes,
// memory.go): it starts with firstChunk bytes and doubles only once those
// have arrived, so a client that announces 100 MiB and sends a header
// holds 4 KiB, not 100 MiB. Once wholeAfter bytes have arrived the sender
// is sending: the rest of the frame is taken at once and its buffer
// allocated whole, as Kafka allocates every frame, so a frame of n bytes
// is charged (and allocates) n plus the 124 KiB it outgrew, not up to 2n.
// A request of any API but Produce larger than maxSmallRequestBytes is
// refused as soon as its API key has arrived.
func (c *conn) readFrame(ctx context.Context, r io.Reader, n int, mem *share) ([]byte, error) {
	buf := []byte(nil)
	for len(buf) < n {
		if len(buf) == cap(buf) {
			// Each new buffer is charged whole, the ones it replaces stay
			// charged until the request is answered: they are garbage the
			// GC has not collected yet, so the budget bounds what request
			// frames allocate, not only what the current buffers hold.
			want := min(n, max(firstChunk, 2*cap(buf)))
			if cap(buf) >= wholeAfter {
				want = n
			}
			got, err := c.b.mem.grow(ctx, mem, int64(want), int64(n))
			if err != nil {
				return nil, err
			}
			if got > int64(want) { // the rest at once (memory.go)
				want = n
			}
			nb := make([]byte, len(buf), want)
			copy(nb, buf)
			buf = nb
			if want >= wholeAfter {
				c.b.mem.keep(mem, buf)
			}
		}
		end := cap(buf)
		if len(buf) < 2 {
			end = 2 // the API key first: it says how large the request may be
		}
		m, err := io.ReadFull(r, buf[len(buf):end])
		buf = buf[:len(buf)+m]
		if err != nil {
			return nil, err
		}
		if len(buf) == 2 {
			if key := kmsg.Key(binary.BigEndian.Uint16(buf)); key != kmsg.Produce && n > maxSmallRequestBytes {
				return nil, fmt.Errorf("%w: %s of %d bytes (at most %d but for Produce)", errRequestTooLarge, key.Name(), n, maxSmallRequestBytes)
			}
		}
	}
	return buf, nil
}

// conn serves one client connection: requests are handled in turn and
// answered in order, as Kafka clients expect.
type conn struct {
	b  *Broker
	nc net.Conn // a *tls.Conn on an SSL listener, once its handshake is done
	// listener is the listener the connection arrived on: its name and
	// security protocol (listen.go).
	listener *listener
	// principal is who the client is, as Kafka's authorizer names it:
	// anonymousPrincipal until SASL or a TLS client certificate says
	// otherwise.
	principal string
	// sasl is the SASL exchange's state on a SASL listener, else nil
	// (sasl_conn.go).
	sasl *saslState
	// closeAfter closes the connection once the response being handled
	// is sent (a failed SASL step).
	closeAfter bool
}

// The lines logged about connections closed for what their clients sent:
// at most closeLogBurst every closeLogInterval (Kafka logs each one; a
// flood of garbage connections would log at its own pace). The counter
// sluice_broker_connections_closed_total counts them all.
const (
	closeLogBurst    = 10
	closeLogInterval = 10 * time.Second
)

// closing counts the connection's close by reason and logs msg with the
// client's address and args, unless closeLog has let enough through
// lately; a line logged after some were not says how many
// (not_logged).
func (c *conn) closing(reason, msg string, args ...any) {
	c.b.metrics.closed.WithLabelValues(reason).Inc()
	ok, dropped := c.b.closeLog.Allow()
	if !ok {
		return
	}
	args = append([]any{"remote", c.nc.RemoteAddr(), "reason", reason}, args...)
	if dropped > 0 {
		args = append(args, "not_logged", dropped)
	}
	c.b.log.Info(msg, args...)
}

// anonymousPrincipal is the principal of a client that did not
// authenticate (a PLAINTEXT listener, or SSL without client
// authentication), as Kafka names it.
const anonymousPrincipal = "User:ANONYMOUS"

func (c *conn) serve(ctx context.Context) {
	defer c.nc.Close()
	var api kmsg.Key = -1 // of the request being handled, for the panic report
	defer func() {
		// A bug in a handler (or in a decoder) ends this connection only:
		// the broker and its other clients go on, and the panic is logged
		// with its stack and counted.
		if p := recover(); p != nil {
			name := "none"
			if api >= 0 {
				name = api.Name()
			}
			c.b.metrics.panics.WithLabelValues(name).Inc()
			c.b.log.Error("panic serving a request: closing the connection", "remote", c.nc.RemoteAddr(), "api", name,
				"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		}
	}()
	// The 64 KiB read and write buffers come with the first request's
	// size, from the broker's pool: a connection that never sends a byte
	// holds none, and one that ends gives them back.
	src := idleReader{c.nc, c.b.cfg.ConnectionsMaxIdle}
	var r *bufio.Reader
	var w *bufio.Writer
	defer func() { c.b.bufs.PutReader(r); c.b.bufs.PutWriter(w) }()
	var mem share // the memory of the request being read or handled
	defer c.b.mem.release(&mem)
	var size [4]byte
	var out []byte
	for {
		c.b.mem.release(&mem) // the previous request's, now answered
		api = -1
		var err error
		if r == nil {
			_, err = io.ReadFull(src, size[:])
		} else {
			_, err = io.ReadFull(r, size[:])
		}
		if err != nil {
			if ne := net.Error(nil); errors.As(err, &ne) && ne.Timeout() {
				c.b.metrics.idleClosed.Inc()
				c.b.log.Debug("closing idle connection", "remote", c.nc.RemoteAddr(), "idle", c.b.cfg.ConnectionsMaxIdle)
			}
			return
		}
		if r == nil {
			r, w = c.b.bufs.Reader(src), c.b.bufs.Writer(c.nc)
		}
		n := int32(binary.BigEndian.Uint32(size[:]))
		if n < 8 || n > c.maxRequestBytes() {
			c.closing("size", "closing connection: request size out of range", "size", n, "max", c.maxRequestBytes())
			return
		}
		frame, err := c.readFrame(ctx, r, int(n), &mem)
		if ne := net.Error(nil); errors.As(err, &ne) && ne.Timeout() {
			c.b.metrics.idleClosed.Inc()
			c.closing("idle", "closing connection idle in the middle of a request", "idle", c.b.cfg.ConnectionsMaxIdle)
			return
		}
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, net.ErrClosed) {
				c.closing("read", "closing connection", "err", err)
			}
			return
		}
		api = kmsg.Key(binary.BigEndian.Uint16(frame))
		req, err := parseRequest(frame, c.b.apis)
		if err != nil {
			if req != nil && req.key == kmsg.ApiVersions && errors.Is(err, errUnsupported) {
				// An ApiVersions of a version we do not know gets v0 with
				// UNSUPPORTED_VERSION and our versions, so the client can
				// retry with one we know (KIP-511).
				resp := c.b.apiVersions(req.version)
				out = appendResponse(out[:0], &request{key: kmsg.ApiVersions, correlationID: req.correlationID}, resp)
				if _, err := w.Write(out); err != nil || w.Flush() != nil {
					return
				}
				continue
			}
			c.closing("parse", "closing connection", "err", err)
			return
		}
		if err := c.authenticate(req); err != nil {
			c.closing("authenticate", "closing connection", "err", err)
			return
		}
		c.b.metrics.request(req.key)
		resp, err := c.b.handle(ctx, c, req)
		if err != nil {
			c.closing("handler", "closing connection", "api", req.key.Name(), "err", err)
			return
		}
		if resp == nil { // produce with acks=0
			continue
		}
		_ = c.nc.SetWriteDeadline(time.Now().Add(30 * time.Second))
		if fr, ok := resp.(*fetchResponse); ok {
			// Fetch writes its own response around the records, which go
			// from the segment files to the socket with sendfile (through
			// w under TLS).
			err := fr.res.writeTo(w, c.nc, req.correlationID)
			fr.res.release()
			if err != nil {
				return
			}
		} else {
			out = appendResponse(out[:0], req, resp)
			if _, err := w.Write(out); err != nil {
				return
			}
		}
		if r.Buffered() == 0 || c.closeAfter || c.authenticating() {
			if err := w.Flush(); err != nil {
				return
			}
		}
		if c.closeAfter {
			return
		}
		if c.authenticating() && c.sasl.raw {
			if err := c.rawExchange(r, w); err != nil {
				return
			}
		}
	}
}
