package agent

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// pollerSockets is the sockets (their inodes) the Go runtime's poller
// watches: the targets of the process's epoll descriptors.
func pollerSockets(t *testing.T) map[string]bool {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	watched := map[string]bool{}
	epolls := 0
	for _, e := range fds {
		if link, _ := os.Readlink("/proc/self/fd/" + e.Name()); link != "anon_inode:[eventpoll]" {
			continue
		}
		epolls++
		info, err := os.ReadFile("/proc/self/fdinfo/" + e.Name())
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(info), "\n") {
			f := strings.Fields(line)
			if len(f) < 2 || f[0] != "tfd:" {
				continue
			}
			if link, err := os.Readlink("/proc/self/fd/" + f[1]); err == nil {
				watched[link] = true
			}
		}
	}
	if epolls == 0 {
		t.Fatal("no epoll descriptor in /proc/self/fd: the runtime's poller is not where this test looks")
	}
	return watched
}

func socketOf(t *testing.T, fd int) string {
	t.Helper()
	link, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd))
	if err != nil {
		t.Fatal(err)
	}
	return link
}

// TestUDPSocketOutOfPoller: the socket the input reads is not watched by
// the runtime's poller (whose edge-triggered epoll woke the process for
// every datagram that arrived while the receiver paused), while a socket
// of package net is.
func TestUDPSocketOutOfPoller(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	rc, err := pc.(*net.UDPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var netSock string
	if err := rc.Control(func(fd uintptr) { netSock = socketOf(t, int(fd)) }); err != nil {
		t.Fatal(err)
	}
	if !pollerSockets(t)[netSock] {
		t.Fatalf("package net's socket %s is not in the poller: the check cannot tell", netSock)
	}

	s, err := listenUDP("127.0.0.1:0", 100, 0, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer s.release()
	defer s.Close()
	if sock := socketOf(t, s.fd); pollerSockets(t)[sock] {
		t.Fatalf("the receiver's socket %s is watched by the runtime's poller", sock)
	}
}

// TestUDPSocketCloseWakesReader: Close makes a read that waits in the
// kernel for a datagram return ErrClosed, and every read after it.
func TestUDPSocketCloseWakesReader(t *testing.T) {
	s, err := listenUDP("127.0.0.1:0", 100, 0, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer s.release()
	started, done := make(chan struct{}), make(chan error, 1)
	go func() {
		close(started)
		_, err := s.read(true)
		done <- err
	}()
	<-started
	select {
	case err := <-done:
		t.Fatalf("a read on an empty socket returned before Close: %v", err)
	case <-time.After(20 * time.Millisecond): // most likely waiting in the kernel by now; either way Close must end it
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("the waiting read returned %v, want ErrClosed", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("Close did not wake the read waiting in the kernel")
	}
	for _, wait := range []bool{true, false} {
		if _, err := s.read(wait); !errors.Is(err, net.ErrClosed) {
			t.Fatalf("read(%v) after Close: %v, want ErrClosed", wait, err)
		}
	}
}

// TestUDPPause: the pause after a cycle that emptied the socket fills a
// quarter of its capacity at the rate of the cycle, up to maxPause.
func TestUDPPause(t *testing.T) {
	r := &udpReceiver{maxPause: 5 * time.Millisecond}
	for _, c := range []struct {
		got      int
		took     time.Duration
		capacity int
		want     time.Duration
	}{
		{100, 5 * time.Millisecond, 4000, 5 * time.Millisecond},   // slow: the cap
		{1000, 5 * time.Millisecond, 800, time.Millisecond},       // 200 at 200 a ms
		{2000, 2 * time.Millisecond, 400, 100 * time.Microsecond}, // 100 at 1,000 a ms
		{0, time.Second, 400, 5 * time.Millisecond},               // nothing came: the cap
	} {
		if got := r.pause(c.got, c.took, c.capacity); got != c.want {
			t.Errorf("%d datagrams in %v, capacity %d: pause %v, want %v", c.got, c.took, c.capacity, got, c.want)
		}
	}
}

// TestUDPSocketCapacity: the capacity counts the datagrams the socket's
// buffer holds at the kernel's cost per datagram, at least a batch.
func TestUDPSocketCapacity(t *testing.T) {
	s := &udpSocket{bufBytes: 2 << 20, ms: make([]unix.Mmsghdr, 32)}
	if got, want := s.capacity(100), (2<<20)/(100+udpDatagramCost); got != want {
		t.Errorf("capacity %d, want %d", got, want)
	}
	s.bufBytes = 1000
	if got := s.capacity(100); got != 32 {
		t.Errorf("a small buffer's capacity %d, want a batch (32)", got)
	}
}

// FuzzSockaddrPort: any bytes in a sockaddr buffer give an address or
// the zero AddrPort, never a panic; an IPv4 or IPv6 one gives its address
// and port back.
func FuzzSockaddrPort(f *testing.F) {
	f.Add([]byte{unix.AF_INET, 0, 0x02, 0x02, 127, 0, 0, 1}, uint32(unix.SizeofSockaddrInet4))
	f.Add(append([]byte{unix.AF_INET6, 0, 0x01, 0xbb, 0, 0, 0, 0}, make([]byte, 16)...), uint32(unix.SizeofSockaddrInet6))
	f.Fuzz(func(t *testing.T, b []byte, n uint32) {
		var sa unix.RawSockaddrAny
		raw := (*[unix.SizeofSockaddrAny]byte)(unsafe.Pointer(&sa))
		copy(raw[:], b)
		// The family is host-endian: set it from the first byte so that
		// the fuzzer reaches both kinds.
		sa.Addr.Family = uint16(raw[0])
		ap := sockaddrPort(&sa, n)
		if !ap.IsValid() {
			return
		}
		port := uint16(raw[2])<<8 | uint16(raw[3])
		if ap.Port() != port {
			t.Fatalf("port %d, want %d", ap.Port(), port)
		}
		switch sa.Addr.Family {
		case unix.AF_INET:
			if ap.Addr() != netip.AddrFrom4([4]byte(raw[4:8])) {
				t.Fatalf("address %v from %x", ap.Addr(), raw[4:8])
			}
		case unix.AF_INET6:
			if want := netip.AddrFrom16([16]byte(raw[8:24])).Unmap(); ap.Addr().WithZone("") != want {
				t.Fatalf("address %v, want %v", ap.Addr(), want)
			}
		default:
			t.Fatalf("family %d gave %v", sa.Addr.Family, ap)
		}
	})
}
