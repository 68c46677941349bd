package agent

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/sluicelogs/sluice/agent/spool"
	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// udpPair is a receiver's socket on loopback, read as the input reads
// it, and a sender's.
func udpPair(t *testing.T) (s *udpSocket, sender net.PacketConn) {
	t.Helper()
	return udpPairOn(t, "127.0.0.1:0", "127.0.0.1:0")
}

func udpPairOn(t *testing.T, host, senderHost string) (s *udpSocket, sender net.PacketConn) {
	t.Helper()
	s, err := listenUDP(host, 100, 1<<20, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	sender, err = net.ListenPacket("udp", senderHost)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sender.Close() })
	return s, sender
}

// udpConnected is a receiver's socket on IPv4 loopback for datagrams of
// up to max bytes with a kernel buffer of buf, and a sender connected to
// it (closed when the test ends; the socket is the caller's to close).
func udpConnected(tb testing.TB, max, buf int) (*udpSocket, net.Conn) {
	tb.Helper()
	s, err := listenUDP("127.0.0.1:0", max, buf, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		tb.Fatal(err)
	}
	sender, err := net.Dial("udp", s.LocalAddr().String())
	if err != nil {
		s.Close()
		s.release()
		tb.Fatal(err)
	}
	tb.Cleanup(func() { sender.Close() })
	return s, sender
}

// startReceiver runs r on s until the test ends; the channel is closed
// once r returned (after s was closed).
func startReceiver(t *testing.T, r *udpReceiver, s *udpSocket) <-chan struct{} {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.serve(s)
	}()
	t.Cleanup(func() {
		s.Close()
		<-done
	})
	return done
}

func newTestReceiver(t *testing.T, o spool.Options, max int) *udpReceiver {
	t.Helper()
	o.Dir = t.TempDir()
	q, _, err := spool.Open(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	return &udpReceiver{q: q, max: max, log: slog.New(slog.NewTextHandler(io.Discard, nil)), maxPause: udpMaxPause,
		full: prometheus.NewCounter(prometheus.CounterOpts{Name: "full"}), failed: prometheus.NewCounter(prometheus.CounterOpts{Name: "failed"})}
}

// TestSyslogUDPBatches: datagrams waiting in the socket are read several
// at a time (fewer reads than datagrams), each one a queue record with
// its sender's address, its trailing newlines and NULs trimmed and cut at
// max_message_size; an empty one is no record.
func TestSyslogUDPBatches(t *testing.T) {
	r := newTestReceiver(t, spool.Options{}, 16)
	reads, got := 0, 0
	r.onRead = func(n int) { reads, got = reads+1, got+n } // serve's goroutine; read after it stopped
	pc, sender := udpPair(t)
	type want struct {
		msg string
		cut bool
	}
	sent := []struct {
		datagram string
		want     *want
	}{
		{"<13>first\n", &want{"<13>first", false}},
		{"<13>nul\x00\n\x00", &want{"<13>nul", false}},
		{"\n\x00", nil},
		{"<13>sixteen bytes\n\x00", &want{"<13>sixteen byte", true}},
		{"<13>exactly 16 b\n", &want{"<13>exactly 16 b", false}},
	}
	for i := range 100 {
		m := fmt.Sprintf("<13>msg %d", i)
		sent = append(sent, struct {
			datagram string
			want     *want
		}{m, &want{m, false}})
	}
	var wants []want
	for _, s := range sent {
		if _, err := sender.WriteTo([]byte(s.datagram), pc.LocalAddr()); err != nil {
			t.Fatal(err)
		}
		if s.want != nil {
			wants = append(wants, *s.want)
		}
	}
	served := startReceiver(t, r, pc)

	stop := make(chan struct{})
	defer time.AfterFunc(time.Minute, func() { close(stop) }).Stop()
	for i, w := range wants {
		rec, err := r.q.Next(stop)
		if err != nil {
			t.Fatalf("record %d of %d: %v", i, len(wants), err)
		}
		_, from, cut, msg, err := readQueued(rec.Payload)
		if err != nil || string(msg) != w.msg || cut != w.cut || string(from) != sender.LocalAddr().String() {
			t.Fatalf("record %d: %q cut %v from %s (%v); want %q cut %v from %s", i, msg, cut, from, err, w.msg, w.cut, sender.LocalAddr())
		}
	}
	pc.Close()
	<-served
	if got != len(sent) || reads >= len(sent) {
		t.Errorf("%d datagrams in %d reads; want %d in fewer reads", got, reads, len(sent))
	}
}

// TestSyslogUDPQueueFull: the datagrams of a batch the queue has no room
// for are dropped and counted, the others queued.
func TestSyslogUDPQueueFull(t *testing.T) {
	pc, sender := udpPair(t)
	rec := len(appendQueued(nil, time.Time{}, sender.LocalAddr().String(), false, []byte("<13>msg 0"))) + 8 // + the queue's header
	r := newTestReceiver(t, spool.Options{MaxBytes: int64(3 * rec)}, 100)
	for i := range 10 {
		if _, err := sender.WriteTo(fmt.Appendf(nil, "<13>msg %d", i), pc.LocalAddr()); err != nil {
			t.Fatal(err)
		}
	}
	startReceiver(t, r, pc)
	await.Eventually(t, time.Minute, 10*time.Millisecond, func() error {
		if n := counted(r.full); n != 7 {
			return fmt.Errorf("%v dropped as full, want 7", n)
		}
		return nil
	})
	if pending, _ := r.q.Stats(); pending != int64(3*rec) {
		t.Errorf("%d bytes queued, want 3 records (%d)", pending, 3*rec)
	}
	if n := counted(r.failed); n != 0 {
		t.Errorf("%v dropped as errors", n)
	}
}

func counted(c prometheus.Counter) float64 {
	var m dto.Metric
	_ = c.Write(&m)
	return m.GetCounter().GetValue()
}

// BenchmarkSyslogUDPReceive: datagrams of 100 bytes sent 32 at a time over
// loopback, read and queued; ns and allocations per datagram (sender's
// included).
func BenchmarkSyslogUDPReceive(b *testing.B) {
	o := spool.Options{Dir: b.TempDir()}
	q, _, err := spool.Open(o)
	if err != nil {
		b.Fatal(err)
	}
	defer q.Close()
	r := &udpReceiver{q: q, max: 10 << 10, log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		full: prometheus.NewCounter(prometheus.CounterOpts{Name: "full"}), failed: prometheus.NewCounter(prometheus.CounterOpts{Name: "failed"})}
	pc, sender := udpConnected(b, r.max, 1<<20)
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.serve(pc)
	}()
	msg := []byte("<13>Dec  4 10:00:00 host app[123]: " + strings.Repeat("x", 64))
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	b.ResetTimer()
	for sent := 0; sent < b.N; {
		n := min(32, b.N-sent)
		for range n {
			if _, err := sender.Write(msg); err != nil {
				b.Fatal(err)
			}
		}
		sent += n
		for { // wait for the queue to hold them: no burst outruns the socket's buffer
			rec, err := q.Next(nil)
			if err != nil {
				b.Fatal(err)
			}
			q.Ack(rec.End)
			if n--; n == 0 {
				break
			}
		}
	}
	b.StopTimer()
	pc.Close()
	<-done
}

// TestSyslogUDPv6: a socket on an IPv6 address is read, and the
// sender's address is written as package net writes it.
func TestSyslogUDPv6(t *testing.T) {
	if c, err := net.ListenPacket("udp", "[::1]:0"); err != nil {
		testpeer.Skip(t, "no IPv6 loopback (%v): the IPv6 receive path is not tested on this host", err)
	} else {
		c.Close()
	}
	pc, sender := udpPairOn(t, "[::1]:0", "[::1]:0")
	testUDPFrom(t, pc, sender)
}

// TestSyslogUDPDualStack: a socket bound to every address (":port", an
// IPv6 socket that takes IPv4 too) gives an IPv4 sender's address as
// IPv4, as package net does, not as an IPv4-mapped IPv6 address.
func TestSyslogUDPDualStack(t *testing.T) {
	pc, sender := udpPairOn(t, ":0", "127.0.0.1:0")
	testUDPFrom(t, pc, sender)
}

// testUDPFrom sends three datagrams from sender to pc's port on sender's
// address and checks each record's message and sender's address.
func testUDPFrom(t *testing.T, pc *udpSocket, sender net.PacketConn) {
	t.Helper()
	to := &net.UDPAddr{IP: sender.LocalAddr().(*net.UDPAddr).IP, Port: pc.LocalAddr().(*net.UDPAddr).Port}
	r := newTestReceiver(t, spool.Options{}, 100)
	for i := range 3 {
		if _, err := sender.WriteTo(fmt.Appendf(nil, "<13>from %d\n", i), to); err != nil {
			t.Fatal(err)
		}
	}
	served := startReceiver(t, r, pc)
	stop := make(chan struct{})
	defer time.AfterFunc(time.Minute, func() { close(stop) }).Stop()
	for i := range 3 {
		rec, err := r.q.Next(stop)
		if err != nil {
			t.Fatal(err)
		}
		_, from, _, msg, err := readQueued(rec.Payload)
		if err != nil || string(msg) != fmt.Sprintf("<13>from %d", i) || string(from) != sender.LocalAddr().String() {
			t.Fatalf("record %d: %q from %s (%v), want from %s", i, msg, from, err, sender.LocalAddr())
		}
	}
	pc.Close()
	<-served
}

// TestSyslogUDPLargerThanItsBuffer: a datagram longer than its read buffer
// (max_message_size + udpSlack) is cut by the kernel to the buffer and then
// to max_message_size, and flagged; the biggest datagram there is (65,507
// bytes over IPv4) is read whole into a buffer capped at 64 KiB; neither
// disturbs the datagrams around them.
func TestSyslogUDPLargerThanItsBuffer(t *testing.T) {
	for _, c := range []struct {
		name     string
		max, len int
		want     int
		cut      bool
	}{
		{"cut", 16, 3000, 16, true},
		{"largest", 100 << 10, 65507, 65507, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := newTestReceiver(t, spool.Options{}, c.max)
			s, sender := udpConnected(t, c.max, 4<<20)
			big := []byte("<13>" + strings.Repeat("x", c.len-4))
			for _, d := range [][]byte{[]byte("<13>before"), big, []byte("<13>after")} {
				if _, err := sender.Write(d); err != nil {
					t.Fatal(err)
				}
			}
			startReceiver(t, r, s)
			stop := make(chan struct{})
			defer time.AfterFunc(time.Minute, func() { close(stop) }).Stop()
			for i, w := range []struct {
				msg string
				cut bool
			}{{"<13>before", false}, {string(big[:c.want]), c.cut}, {"<13>after", false}} {
				rec, err := r.q.Next(stop)
				if err != nil {
					t.Fatalf("record %d: %v", i, err)
				}
				_, _, cut, msg, err := readQueued(rec.Payload)
				if err != nil || string(msg) != w.msg || cut != w.cut {
					t.Fatalf("record %d: %d bytes cut %v (%v); want %d bytes cut %v", i, len(msg), cut, err, len(w.msg), w.cut)
				}
			}
		})
	}
}
