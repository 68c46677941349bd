package agent

import (
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

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
	// udpCycleBytes bounds the records of one queue write (with the
	// read buffers, about 2 MiB an input at most).
	udpCycleBytes = 1 << 20
	// udpMaxPause bounds the receiver's pause after a read that emptied
	// the socket; udpPauseShare is the share of the socket's buffer the
	// datagrams of a pause may fill at the rate last seen.
	udpMaxPause   = 5 * time.Millisecond
	udpPauseShare = 4
	// udpDatagramCost is what the kernel counts against the socket's
	// buffer for a datagram besides its bytes (832 bytes in all for one
	// of 100 bytes over loopback; more for a network card's buffers).
	udpDatagramCost = 2048
)

// udpReceiver reads a syslog input's datagrams into its disk queue, in
// cycles: a read (recvmmsg(2), up to udpBatch datagrams) waits for the
// first datagram, more reads take what else the socket holds, all their
// records go into the queue together (one write(2)), and the receiver
// pauses before the next cycle, so that at moderate rates too each cycle
// finds many datagrams: the cost of a cycle (its reads, its queue write,
// waking the shipper) is paid for many rather than for each. The socket
// is read outside the Go runtime's poller (udpSocket), so the datagrams
// that arrive during a pause wake nobody. The pause is as long as fills
// 1/udpPauseShare of the socket's buffer (protocol.udp.read_buffer) at
// the rate of the last cycle, at most udpMaxPause; none after a cycle
// that did not empty the socket.
//
// A datagram is accepted once it is in the queue; while the queue is
// full, datagrams are dropped and counted, as one by one. Each datagram
// loses its trailing newlines and NULs; one longer than max_message_size
// after that is cut to it and flagged. A datagram is read into a buffer
// of max_message_size plus udpSlack bytes (at most 64 KiB, which any
// datagram fits): one longer than that is judged on what the buffer
// holds, which differs from judging it whole only when udpSlack or more
// newlines and NULs follow its first max_message_size bytes and something
// else follows them (it is then taken as those first bytes, trimmed, and
// not flagged).
type udpReceiver struct {
	q            *spool.Spool
	max          int // max_message_size
	log          *slog.Logger
	full, failed prometheus.Counter // datagrams dropped: queue full, queue error
	maxPause     time.Duration      // udpMaxPause; 0: none
	onRead       func(n int)        // tests: called with the datagrams of each read
}

func (si *syslogInput) serveUDP(s *udpSocket, max int) {
	r := &udpReceiver{q: si.spool, max: max, log: si.base.log, maxPause: udpMaxPause,
		full:   si.base.metrics.dropped.WithLabelValues("disk queue full"),
		failed: si.base.metrics.dropped.WithLabelValues("disk queue error")}
	r.serve(s)
}

// udpSlot is the buffer a datagram is read into for max_message_size
// maxSize.
func udpSlot(maxSize int) int { return min(maxSize+udpSlack, udpMaxDatagram) }

// udpBatchFor is how many datagrams a read takes for max_message_size
// maxSize.
func udpBatchFor(maxSize int) int { return max(1, min(udpBatch, udpBatchBytes/udpSlot(maxSize))) }

// serve reads datagrams until s is closed, then releases it.
func (r *udpReceiver) serve(s *udpSocket) {
	defer s.release()
	var q queueRecords
	var from addrText
	last := time.Now() // when the last cycle's reading ended
	for {
		wait, n, got, size := true, 0, 0, 0
		var err error
		for {
			n, err = s.read(wait)
			if err != nil {
				break
			}
			wait = false
			got += n
			if r.onRead != nil && n > 0 {
				r.onRead(n)
			}
			at := time.Now() // one time for a read: its datagrams came together
			for i := range n {
				b, ap := s.datagram(i)
				size += len(b)
				msg, cut := r.trim(b)
				if len(msg) > 0 {
					q.add(at, from.of(ap), cut, msg)
				}
			}
			if n < s.batch() || len(q.buf) >= udpCycleBytes {
				break
			}
		}
		r.queue(q.records())
		q.reset()
		switch {
		case errors.Is(err, net.ErrClosed):
			return
		case err != nil:
			r.log.Error("syslog: reading datagrams", "err", err)
			time.Sleep(udpMaxPause) // not a busy loop on an error that stays
			continue
		}
		now := time.Now()
		if n < s.batch() {
			time.Sleep(r.pause(got, now.Sub(last), s.capacity(size/max(got, 1))))
		}
		last = now
	}
}

// pause is how long to wait after a cycle that took got datagrams in
// took and emptied the socket: what fills 1/udpPauseShare of the
// socket's capacity (in datagrams) at that rate, at most maxPause.
func (r *udpReceiver) pause(got int, took time.Duration, capacity int) time.Duration {
	if got == 0 || took <= 0 {
		return r.maxPause
	}
	d := time.Duration(float64(took) * float64(capacity/udpPauseShare) / float64(got))
	return min(d, r.maxPause)
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
// sender stays the same; written as package net writes a *net.UDPAddr.
type addrText struct {
	ap   netip.AddrPort
	text string
}

func (c *addrText) of(ap netip.AddrPort) string {
	if c.text != "" && ap == c.ap {
		return c.text
	}
	c.ap = ap
	if !ap.IsValid() {
		c.text = ""
		return c.text
	}
	a := ap.Addr()
	if z := a.Zone(); z != "" {
		// The kernel gives the interface's index, net its name.
		if i, err := strconv.Atoi(z); err == nil {
			if ifi, err := net.InterfaceByIndex(i); err == nil {
				a = a.WithZone(ifi.Name)
			}
		}
	}
	c.text = netip.AddrPortFrom(a, ap.Port()).String()
	return c.text
}
