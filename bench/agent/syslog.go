package agent

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"time"
)

// syslogHeader opens every message the bench sends: an RFC 3164 header
// (facility user, severity notice) with a fixed time, so both shippers get
// the same bytes.
const syslogHeader = "<13>Dec  4 05:00:00 abench app[123]: "

// minSyslogSize is the smallest message size (newline included) that
// holds the header and a sequence number.
const minSyslogSize = len(syslogHeader) + len("seq=1234567 \n")

// SyslogMessage appends message n of f to dst: the header, then
// AppendLine's text, f.Size-1 bytes in all (the TCP sender adds a
// newline).
func SyslogMessage(dst []byte, n int, f File) []byte {
	dst = append(dst, syslogHeader...)
	return AppendLine(dst, n, f.Size-1)
}

// dialRetry dials addr until the shipper listens there.
func dialRetry(ctx context.Context, addr string) (net.Conn, error) {
	var d net.Dialer
	for {
		c, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			return c, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("dial %s: %w (last: %v)", addr, ctx.Err(), err)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// SendTCP sends f's messages to addr, each ended by a newline (the
// non-transparent framing both rsyslog's imtcp and sluice's delimiter
// framing read), as fast as the receiver takes them.
func SendTCP(ctx context.Context, addr string, f File) error {
	c, err := dialRetry(ctx, addr)
	if err != nil {
		return err
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Now()) })
	defer stop()
	w := bufio.NewWriterSize(c, 64<<10)
	msg := make([]byte, 0, f.Size)
	for n := range f.Lines {
		msg = append(SyslogMessage(msg[:0], n, f), '\n')
		if _, err := w.Write(msg); err != nil {
			return fmt.Errorf("send to %s: message %d: %w", addr, n, err)
		}
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("send to %s: %w", addr, err)
	}
	return nil
}

// SendUDP sends f's messages to addr, one datagram each, at rate messages
// per second: an unpaced sender would lose most of them in the receiver's
// socket buffer. It starts once a socket is bound to addr's port (an
// earlier datagram would find no one).
func SendUDP(ctx context.Context, addr string, f File, rate int) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	for !udpBound(port) {
		select {
		case <-ctx.Done():
			return fmt.Errorf("nothing listens on udp %s: %w", addr, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
	c, err := net.Dial("udp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	msg := make([]byte, 0, f.Size)
	start := time.Now()
	for sent := 0; sent < f.Lines; {
		due := min(f.Lines, int(time.Since(start).Seconds()*float64(rate))+1)
		for ; sent < due; sent++ {
			msg = SyslogMessage(msg[:0], sent, f)
			if _, err := c.Write(msg); err != nil {
				return fmt.Errorf("send to udp %s: message %d: %w", addr, sent, err)
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Millisecond):
		}
	}
	return nil
}

// udpBound reports whether a UDP socket is bound to port (decimal) on
// any address, from /proc/net/udp and udp6.
func udpBound(port string) bool {
	var p int
	if _, err := fmt.Sscan(port, &p); err != nil {
		return false
	}
	hex := fmt.Sprintf(":%04X", p)
	for _, table := range []string{"/proc/net/udp", "/proc/net/udp6"} {
		b, _ := os.ReadFile(table)
		for _, line := range bytes.Split(b, []byte("\n"))[1:] {
			// sl local_address rem_address ...
			fields := strings.Fields(string(line))
			if len(fields) > 1 && strings.HasSuffix(fields[1], hex) {
				return true
			}
		}
	}
	return false
}
