package agent

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sluicelogs/sluice/agent/harvester"
	"github.com/sluicelogs/sluice/agent/spool"
	"github.com/sluicelogs/sluice/agent/syslog"
)

// syslogInput is a type: syslog input: it listens on UDP and/or TCP, puts
// each message it accepts in its disk queue (package spool) before it
// reads more from that sender, and ships the queue's records as events.
// A message is accepted once it is in the queue: a kill -9 of the agent
// after that loses nothing; the sender's bytes the agent had read but not
// yet queued (at most one message per connection) are lost with the
// process, as with any receiver of plain syslog, which has no
// acknowledgements. While the queue is full the TCP connections are not
// read (the senders' buffers fill, then their writes block) and UDP
// datagrams are dropped and counted.
//
// Goroutines: Run owns the listeners' loops, one per TCP connection, and
// the shipper (Run's own).
type syslogInput struct {
	base    *input // the input's shared parts: event tail, topic, filters
	spool   *spool.Spool
	tr      *tracker
	parser  *syslog.Parser
	enc     []byte
	valid   []byte // the message text made valid UTF-8
	id      []byte
	stamp   stampCache
	fields  syslogFieldsCache
	slab    slab
	stopped chan struct{} // closed when Run's ctx ends: queue appends give up

	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

func newSyslogInput(base *input, dir string, maxBytes int64, ts *trackers) (*syslogInput, error) {
	sp, dropped, err := spool.Open(spool.Options{Dir: dir, MaxBytes: maxBytes, MaxRecordBytes: base.cfg.queueRecordBytes()})
	if err != nil {
		return nil, err
	}
	if dropped > 0 {
		base.log.Warn("disk queue: a record cut short by a crash was dropped", "dir", dir, "bytes", dropped)
	}
	// The tracker orders the acknowledgements (they come back per
	// partition, in any order) and moves the queue's acknowledged
	// position over each acknowledged prefix; the queue, not the
	// registry, keeps it (Commit, at each registry write).
	pending, end := sp.Stats()
	tr := &tracker{acked: end - pending, inst: sp.Instance(), onAck: sp.Ack, kick: ts.kick}
	return &syslogInput{base: base, spool: sp, tr: tr, parser: syslog.NewParser(base.cfg.format, base.cfg.location),
		slab: slab{free: base.freeChunks()}, stopped: make(chan struct{}), conns: map[net.Conn]struct{}{}}, nil
}

// Run listens and ships until ctx ends.
func (si *syslogInput) Run(ctx context.Context) error {
	defer si.spool.Close()
	cfg := si.base.cfg
	var wg sync.WaitGroup
	var closers []func()
	if u := cfg.Protocol.UDP; u != nil {
		s, err := listenUDP(u.Host, int(u.MaxMessageSize), int(u.ReadBuffer), si.base.log)
		if err != nil {
			return fmt.Errorf("protocol.udp.host: %w", err)
		}
		closers = append(closers, func() { s.Close() })
		wg.Add(1)
		go func() {
			defer wg.Done()
			si.serveUDP(s, int(u.MaxMessageSize))
		}()
	}
	if t := cfg.Protocol.TCP; t != nil {
		l, err := net.Listen("tcp", t.Host)
		if err != nil {
			for _, c := range closers {
				c()
			}
			wg.Wait()
			return fmt.Errorf("protocol.tcp.host: %w", err)
		}
		if tc := t.SSL.Config(); tc != nil {
			// The handshake happens at the connection's first read, in
			// its own goroutine, under the connection's timeout.
			l = tls.NewListener(l, tc)
		}
		closers = append(closers, func() { l.Close() })
		wg.Add(1)
		go func() {
			defer wg.Done()
			si.serveTCP(l, t, &wg)
		}()
	}
	si.base.log.Info("syslog input listening", "udp", hostOf(cfg.Protocol.UDP), "tcp", hostOf(cfg.Protocol.TCP))
	err := si.ship(ctx)
	close(si.stopped)
	for _, c := range closers {
		c()
	}
	si.mu.Lock()
	for c := range si.conns {
		c.Close()
	}
	si.mu.Unlock()
	wg.Wait()
	if errors.Is(err, spool.ErrStopped) {
		err = nil
	}
	return err
}

func hostOf(c *NetConfig) string {
	if c == nil {
		return ""
	}
	return c.Host
}

// Commit writes the queue's acknowledged position (called with each
// registry write).
func (si *syslogInput) Commit() error { return si.spool.Commit() }

// queued is a message as the queue keeps it: when it arrived, from where,
// whether it was cut, and its bytes.
func appendQueued(dst []byte, at time.Time, from string, truncated bool, msg []byte) []byte {
	dst = binary.BigEndian.AppendUint64(dst, uint64(at.UnixNano()))
	flags := byte(0)
	if truncated {
		flags = 1
	}
	dst = append(dst, flags, byte(len(from)))
	dst = append(dst, from...)
	return append(dst, msg...)
}

// readQueued reads a record of appendQueued; from and msg are parts of
// rec.
func readQueued(rec []byte) (at time.Time, from []byte, truncated bool, msg []byte, err error) {
	if len(rec) < 10 || len(rec) < 10+int(rec[9]) {
		return time.Time{}, nil, false, nil, errors.New("a disk queue record too short")
	}
	at = time.Unix(0, int64(binary.BigEndian.Uint64(rec)))
	n := int(rec[9])
	return at, rec[10 : 10+n], rec[8]&1 != 0, rec[10+n:], nil
}

func (si *syslogInput) serveTCP(l net.Listener, cfg *NetConfig, wg *sync.WaitGroup) {
	for {
		c, err := l.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			time.Sleep(50 * time.Millisecond) // e.g. out of file descriptors: back off, go on
			continue
		}
		si.mu.Lock()
		full := cfg.MaxConnections > 0 && len(si.conns) >= cfg.MaxConnections
		if !full {
			si.conns[c] = struct{}{}
		}
		si.mu.Unlock()
		if full {
			c.Close()
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				si.mu.Lock()
				delete(si.conns, c)
				si.mu.Unlock()
				c.Close()
			}()
			si.serveConn(c, cfg)
		}()
	}
}

// serveConn reads one sender's messages into the queue: the messages cut
// from what one read brought are appended together (one write(2)) before
// the next read, so what was read is in the queue before more is; a full
// queue stops the reading.
func (si *syslogInput) serveConn(c net.Conn, cfg *NetConfig) {
	q := &connQueue{si: si}
	from := c.RemoteAddr().String()
	fr := syslog.NewFramer(queueingReader{&deadlineReader{c: c, timeout: cfg.Timeout}, q}, cfg.framing, cfg.LineDelimiter[0], int(cfg.MaxMessageSize))
	for {
		msg, cut, err := fr.Next()
		if err == nil {
			q.add(q.now, from, cut, msg)
			continue
		}
		if ferr := q.flush(); ferr != nil {
			err = ferr
		}
		switch {
		case errors.Is(err, syslog.ErrFraming):
			si.base.log.Warn("syslog: closing a connection that is not syslog", "remote", from, "err", err)
		case errors.Is(err, errQueue) && !errors.Is(err, spool.ErrFull) && !errors.Is(err, spool.ErrClosed):
			si.base.log.Error("syslog: queueing a message", "remote", from, "err", err)
		}
		return
	}
}

// deadlineReader reads from a connection that is closed once silent for
// timeout (Filebeat's timeout). The deadline is set a little past the
// timeout (by timeout/64) and moved on only once that margin is used up,
// not at every read (setting it was 3 % of a busy input's CPU): a silent
// connection is closed between timeout and timeout + timeout/64 after its
// last bytes, never before.
type deadlineReader struct {
	c       net.Conn
	timeout time.Duration
	setAt   time.Time // when the deadline was last set
}

func (r *deadlineReader) Read(p []byte) (int, error) {
	if r.timeout > 0 {
		slack := r.timeout / 64
		if now := time.Now(); r.setAt.IsZero() || now.Sub(r.setAt) > slack {
			r.setAt = now
			_ = r.c.SetReadDeadline(now.Add(r.timeout + slack))
		}
	}
	return r.c.Read(p)
}

// ship reads the queue and publishes an event per record until ctx ends.
func (si *syslogInput) ship(ctx context.Context) error {
	in := si.base
	for {
		r, err := si.spool.Next(ctx.Done())
		if err != nil {
			return err
		}
		at, from, cut, raw, err := readQueued(r.Payload)
		tok := si.tr.add(r.End, harvester.Fingerprint{}) // no file: nothing to check
		if err != nil {
			in.log.Error("syslog: a disk queue record is unreadable; skipped", "err", err)
			tok.ack()
			continue
		}
		m := si.parser.Parse(raw) // parts of raw: used before the next record
		text := m.Text
		if !utf8.Valid(text) {
			// As a file line's: invalid UTF-8 becomes U+FFFD, so the
			// event is valid JSON.
			si.valid = appendValid(si.valid[:0], text)
			text = si.valid
		}
		msg := message{text: text, at: at, end: r.End}
		if cut {
			msg.flag("truncated")
		}
		if !in.keep(msg.text) {
			in.metrics.filtered.Inc()
			tok.ack()
			continue
		}
		if in.staticTopic == "" || in.out.cfg.key != nil {
			// Only a topic or key format looks fields up.
			msg.fields = map[string]any{"log": map[string]any{"syslog": m.Fields(), "source": map[string]any{"address": string(from)}}}
		}
		ts := at
		if !m.Timestamp.IsZero() {
			ts = m.Timestamp
		}
		si.enc = si.appendEvent(si.enc[:0], &msg, ts, &m, from)
		rec := si.slab.record(ctx, tok)
		rec.Topic = in.topic(&msg, "")
		if k := in.out.cfg.key; k != nil {
			key, _ := resolve(k, in.lookup(&msg, ""), "")
			rec.Key = []byte(key)
		}
		rec.Value = si.slab.copyOf(si.enc)
		si.id = tok.eventID(si.id[:0], r.End)
		rec.Headers = append(rec.Headers, kgo.RecordHeader{Key: eventIDHeader, Value: si.slab.copyOf(si.id)})
		rec.Timestamp = at
		in.metrics.events.Inc()
		in.out.publish(rec)
	}
}

// appendEvent writes a syslog event: @timestamp, message, log (syslog
// and source), flags, an error when the message did not parse, then the
// input's tail as a file event's.
func (si *syslogInput) appendEvent(b []byte, m *message, ts time.Time, sm *syslog.Message, from []byte) []byte {
	in := si.base
	b = append(b, `{"@timestamp":"`...)
	b = si.stamp.append(b, ts)
	b = append(b, `","message":`...)
	b = appendString(b, m.text)
	b = append(b, `,"log":{"syslog":`...)
	b = si.fields.append(b, sm)
	b = append(b, `,"source":{"address":`...)
	b = appendString(b, from)
	b = append(b, '}')
	if len(m.flags) > 0 {
		b = append(b, `,"flags":[`...)
		for i, f := range m.flags {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, []byte(f))
		}
		b = append(b, ']')
	}
	b = append(b, in.tailJSON...)
	if sm.Err != nil {
		b = append(b, `,"error":{"message":`...)
		b = appendString(b, validText([]byte(sm.Err.Error())))
		b = append(b, '}')
	}
	b = append(b, in.rootFieldsJSON...)
	return append(b, '}')
}
