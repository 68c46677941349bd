package broker

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// peerConn is a broker's connection to another broker, for the requests a
// follower sends its leader (Fetch with a replica id, OffsetForLeaderEpoch).
// franz-go's kmsg encodes and decodes; this only frames. One request at a
// time; not safe for concurrent use.
type peerConn struct {
	nc    net.Conn
	r     *bufio.Reader
	fmt   *kmsg.RequestFormatter
	corr  int32
	buf   []byte
	limit int32 // largest response accepted
}

// dialPeer connects to another broker's inter-broker listener at addr,
// over TLS when tlsCfg is not nil (the handshake bounded by
// sslHandshakeTimeout).
func dialPeer(ctx context.Context, addr string, tlsCfg *tls.Config, self int32, limit int32) (*peerConn, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("broker: dial leader %s: %w", addr, err)
	}
	if tlsCfg != nil {
		tc := tls.Client(nc, tlsCfg)
		hctx, cancel := context.WithTimeout(ctx, sslHandshakeTimeout)
		err := tc.HandshakeContext(hctx)
		cancel()
		if err != nil {
			nc.Close()
			return nil, fmt.Errorf("broker: TLS handshake with leader %s: %w", addr, err)
		}
		nc = tc
	}
	return &peerConn{nc: nc, r: bufio.NewReaderSize(nc, 64<<10), limit: limit,
		fmt: kmsg.NewRequestFormatter(kmsg.FormatterClientID(fmt.Sprintf("sluice-replica-%d", self)))}, nil
}

func (c *peerConn) close() error { return c.nc.Close() }

// do sends req and decodes the answer into resp (req's ResponseKind),
// giving up after timeout.
func (c *peerConn) do(req kmsg.Request, timeout time.Duration) (kmsg.Response, error) {
	c.corr++
	c.buf = c.fmt.AppendRequest(c.buf[:0], req, c.corr)
	if err := c.nc.SetDeadline(time.Now().Add(timeout)); err != nil {
		return nil, err
	}
	if _, err := c.nc.Write(c.buf); err != nil {
		return nil, fmt.Errorf("broker: send %s: %w", kmsg.NameForKey(req.Key()), err)
	}
	var head [8]byte
	if _, err := io.ReadFull(c.r, head[:]); err != nil {
		return nil, fmt.Errorf("broker: read %s response: %w", kmsg.NameForKey(req.Key()), err)
	}
	size, corr := int32(binary.BigEndian.Uint32(head[:])), int32(binary.BigEndian.Uint32(head[4:]))
	if size < 4 || size > c.limit {
		return nil, fmt.Errorf("broker: %s response of %d bytes", kmsg.NameForKey(req.Key()), size)
	}
	if corr != c.corr {
		return nil, fmt.Errorf("broker: response to request %d, want %d", corr, c.corr)
	}
	body := make([]byte, size-4)
	if _, err := io.ReadFull(c.r, body); err != nil {
		return nil, fmt.Errorf("broker: read %s response: %w", kmsg.NameForKey(req.Key()), err)
	}
	resp := req.ResponseKind()
	if resp.IsFlexible() {
		var err error
		if body, err = skipTags(body); err != nil {
			return nil, err
		}
	}
	if err := resp.ReadFrom(body); err != nil {
		return nil, fmt.Errorf("broker: decode %s response: %w", kmsg.NameForKey(req.Key()), err)
	}
	return resp, nil
}
