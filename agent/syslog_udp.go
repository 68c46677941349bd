package agent

import (
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"

	"github.com/sluicelogs/sluice/agent/spool"
)

// udpBatch is how many datagrams one read takes at most: rsyslog imudp's
// default batch size. udpBatchBytes bounds the batch's buffers.
const (
	udpBatch      = 32
	udpBatchBytes = 1 << 20
	// udpSlack is read past max_message_size so that the newlines and
	// NULs that end a datagram of max_message_size bytes are seen and
	// trimmed rather than taken for a longer message.
	udpSlack = 1 << 10
	// udpMaxDatagram holds any UDP payload (at most 65,527 bytes).
	udpMaxDatagram = 1 << 16
	// udpLinger is how long the receiver waits after a read that emptied
	// the socket, so that the next read finds several datagrams: at
	// 20,000 a second, one read (and one queue write, one wakeup of the
	// shipper) for ~20 rather than for each. The kernel holds what comes
	// meanwhile: its default buffer (208 KiB) takes ~150 small datagrams
	// or more, what 1 ms brings at 150,000 a second.
	udpLinger = time.Millisecond
)

// udpReceiver reads a syslog input's datagrams into its disk queue: one
// read (recvmmsg(2) on Linux, through golang.org/x/net's ReadBatch) takes
// what the socket holds, up to udpBatch datagrams, and their records go
// into the queue together (one write(2)). A datagram is accepted once it
// is in the queue; while the queue is full, datagrams are dropped and
// counted, as one by one. After a read that emptied the socket the
// receiver waits udpLinger before the next, so that reads find several
// datagrams at moderate rates too; the socket's buffer
// (protocol.udp.read_buffer, 1 MiB asked for) takes what comes meanwhile.
//
// Each datagram loses its trailing newlines and NULs; one longer than
// max_message_size after that is cut to it and flagged. A datagram is
// read into a buffer of max_message_size plus udpSlack bytes (at most
// 64 KiB, which any datagram fits): one longer than that is judged on
// what the buffer holds, which differs from judging it whole only when
// udpSlack or more newlines and NULs follow its first max_message_size
// bytes and something else follows them (it is then taken as those first
// bytes, trimmed, and not flagged).
type udpReceiver struct {
	q            *spool.Spool
	max          int // max_message_size
	log          *slog.Logger
	full, failed prometheus.Counter // datagrams dropped: queue full, queue error
	linger       time.Duration      // udpLinger
	onRead       func(n int)        // tests: called with the datagrams of each read
}

func (si *syslogInput) serveUDP(pc net.PacketConn, max int) {
	r := &udpReceiver{q: si.spool, max: max, log: si.base.log, linger: udpLinger,
		full:   si.base.metrics.dropped.WithLabelValues("disk queue full"),
		failed: si.base.metrics.dropped.WithLabelValues("disk queue error")}
	if uc, ok := pc.(*net.UDPConn); ok {
		if err := uc.SetReadBuffer(int(si.base.cfg.Protocol.UDP.ReadBuffer)); err != nil {
			si.base.log.Warn("syslog: protocol.udp.read_buffer not set", "err", err)
		}
	}
	r.serve(pc)
}

// batchReader is ipv4.PacketConn's and ipv6.PacketConn's ReadBatch.
type batchReader interface {
	ReadBatch(ms []ipv4.Message, flags int) (int, error)
}

func newBatchReader(pc net.PacketConn) batchReader {
	if a, ok := pc.LocalAddr().(*net.UDPAddr); ok && a.IP.To4() == nil {
		return ipv6.NewPacketConn(pc)
	}
	return ipv4.NewPacketConn(pc)
}

// serve reads datagrams until pc is closed.
func (r *udpReceiver) serve(pc net.PacketConn) {
	slot := min(r.max+udpSlack, udpMaxDatagram)
	ms := make([]ipv4.Message, max(1, min(udpBatch, udpBatchBytes/slot)))
	bufs := make([]byte, len(ms)*slot)
	for i := range ms {
		ms[i].Buffers = [][]byte{bufs[i*slot : (i+1)*slot : (i+1)*slot]}
	}
	br := newBatchReader(pc)
	var q queueRecords
	var from addrText
	for {
		n, err := br.ReadBatch(ms, 0)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		if r.onRead != nil {
			r.onRead(n)
		}
		at := time.Now() // one time for a batch: its datagrams came together
		for i := range ms[:n] {
			msg, cut := r.trim(ms[i].Buffers[0][:ms[i].N])
			if len(msg) > 0 {
				q.add(at, from.of(ms[i].Addr), cut, msg)
			}
		}
		r.queue(q.records())
		q.reset()
		if n < len(ms) && r.linger > 0 {
			time.Sleep(r.linger)
		}
	}
}

// trim drops the trailing newlines and NULs of a datagram and cuts it to
// max_message_size.
func (r *udpReceiver) trim(msg []byte) ([]byte, bool) {
	for len(msg) > 0 && (msg[len(msg)-1] == '\n' || msg[len(msg)-1] == 0) {
		msg = msg[:len(msg)-1]
	}
	if len(msg) > r.max {
		return msg[:r.max], true
	}
	return msg, false
}

// queue appends recs to the queue, dropping and counting those it does
// not take.
func (r *udpReceiver) queue(recs [][]byte) {
	for len(recs) > 0 {
		_, n, err := r.q.TryAppendBatch(recs)
		recs = recs[n:]
		switch {
		case err != nil:
			r.log.Error("syslog: queueing a datagram", "err", err)
			r.failed.Inc()
			recs = recs[1:]
		case n == 0: // the queue is full
			r.full.Add(float64(len(recs)))
			return
		}
	}
}

// addrText is the text of the last sender's address, kept while the
// sender stays the same.
type addrText struct {
	ap   netip.AddrPort
	text string
}

func (c *addrText) of(a net.Addr) string {
	ua, ok := a.(*net.UDPAddr)
	if !ok {
		if a == nil {
			return ""
		}
		return a.String()
	}
	if ap := ua.AddrPort(); c.text == "" || ap != c.ap {
		c.ap, c.text = ap, ua.String()
	}
	return c.text
}
