package agent

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// udpSocket is a bound UDP socket read with blocking recvmmsg(2) calls on
// a descriptor of its own, outside the Go runtime's network poller. A
// socket in the poller wakes it for every datagram that arrives while
// nobody reads (edge-triggered epoll signals each new one): a receiver
// that pauses between reads so that each read finds many datagrams was
// woken about as often as if it read each one. Here only a read that
// waits for the first datagram of a batch sleeps in the kernel, and what
// arrives during a pause wakes nobody.
//
// One goroutine reads (read); Close may be called from any other and
// makes a read in progress, and every later one, return ErrClosed. The
// reader's goroutine holds its thread while a read waits.
type udpSocket struct {
	fd       int
	local    net.Addr
	bufBytes int // the socket's receive buffer, as the kernel counts it
	closed   atomic.Bool

	ms    []unix.Mmsghdr
	iovs  []unix.Iovec
	names []unix.RawSockaddrAny
	bufs  [][]byte
}

// listenUDP binds a UDP socket to host as net.ListenPacket does, asks for
// a receive buffer of readBuffer bytes (0: the system's default), and
// detaches it for reads of batches of datagrams of max_message_size
// maxSize. A buffer that could not be had is logged, not an error.
func listenUDP(host string, maxSize, readBuffer int, log *slog.Logger) (*udpSocket, error) {
	pc, err := net.ListenPacket("udp", host)
	if err != nil {
		return nil, err
	}
	uc, ok := pc.(*net.UDPConn)
	if !ok {
		pc.Close()
		return nil, fmt.Errorf("%s: not a UDP socket", host)
	}
	s, err := detachUDP(uc, udpBatchFor(maxSize), udpSlot(maxSize))
	if err != nil {
		return nil, err
	}
	if readBuffer > 0 {
		// As root, SO_RCVBUFFORCE goes past net.core.rmem_max (as
		// rsyslog's imudp does); otherwise the kernel caps SO_RCVBUF.
		if err := unix.SetsockoptInt(s.fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, readBuffer); err != nil {
			if err := unix.SetsockoptInt(s.fd, unix.SOL_SOCKET, unix.SO_RCVBUF, readBuffer); err != nil {
				log.Warn("syslog: protocol.udp.read_buffer not set", "err", err)
			}
		}
	}
	if s.bufBytes, err = unix.GetsockoptInt(s.fd, unix.SOL_SOCKET, unix.SO_RCVBUF); err != nil {
		s.bufBytes = 0
	}
	return s, nil
}

// detachUDP takes uc's socket out of the runtime's poller: its descriptor
// is duplicated, uc closed (which removes it from the poller) and the
// duplicate made blocking. The datagrams are read into batch buffers of
// slot bytes each. uc is closed in every case.
func detachUDP(uc *net.UDPConn, batch, slot int) (*udpSocket, error) {
	rc, err := uc.SyscallConn()
	if err != nil {
		uc.Close()
		return nil, err
	}
	fd := -1
	var dupErr error
	if err := rc.Control(func(s uintptr) {
		fd, dupErr = unix.FcntlInt(s, unix.F_DUPFD_CLOEXEC, 0)
	}); err != nil {
		uc.Close()
		return nil, err
	}
	if dupErr != nil {
		uc.Close()
		return nil, fmt.Errorf("duplicating the socket: %w", dupErr)
	}
	s := &udpSocket{fd: fd, local: uc.LocalAddr()}
	if err := uc.Close(); err != nil {
		unix.Close(fd)
		return nil, err
	}
	if err := unix.SetNonblock(fd, false); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("making the socket blocking: %w", err)
	}
	s.ms = make([]unix.Mmsghdr, batch)
	s.iovs = make([]unix.Iovec, batch)
	s.names = make([]unix.RawSockaddrAny, batch)
	s.bufs = make([][]byte, batch)
	mem := make([]byte, batch*slot)
	for i := range s.ms {
		s.bufs[i] = mem[i*slot : (i+1)*slot : (i+1)*slot]
		s.iovs[i].Base = &s.bufs[i][0]
		s.iovs[i].SetLen(slot)
		s.ms[i].Hdr.Iov = &s.iovs[i]
		s.ms[i].Hdr.SetIovlen(1)
		s.ms[i].Hdr.Name = (*byte)(unsafe.Pointer(&s.names[i]))
	}
	return s, nil
}

// batch is how many datagrams a read takes at most.
func (s *udpSocket) batch() int { return len(s.ms) }

// capacity is about how many datagrams of size bytes the socket's buffer
// holds (at least one batch).
func (s *udpSocket) capacity(size int) int {
	return max(s.bufBytes/(size+udpDatagramCost), len(s.ms))
}

// LocalAddr is the address the socket is bound to.
func (s *udpSocket) LocalAddr() net.Addr { return s.local }

// read reads up to a batch of datagrams: with wait, it sleeps until the
// first arrives and then takes what else is there; without, it takes what
// is there (possibly nothing). The datagrams are datagram(i) for i < n,
// valid until the next read.
func (s *udpSocket) read(wait bool) (n int, err error) {
	flags := unix.MSG_DONTWAIT
	if wait {
		flags = unix.MSG_WAITFORONE
	}
	for i := range s.ms {
		s.ms[i].Hdr.Namelen = unix.SizeofSockaddrAny
		s.ms[i].Hdr.Flags = 0
		s.ms[i].Len = 0
	}
	for {
		if s.closed.Load() {
			return 0, net.ErrClosed
		}
		r, _, errno := unix.Syscall6(unix.SYS_RECVMMSG, uintptr(s.fd), uintptr(unsafe.Pointer(&s.ms[0])), uintptr(len(s.ms)), uintptr(flags), 0, 0)
		switch {
		case errno == unix.EINTR:
			continue
		case errno == unix.EAGAIN && !wait:
			return 0, nil
		case errno != 0:
			if s.closed.Load() {
				return 0, net.ErrClosed
			}
			return 0, fmt.Errorf("recvmmsg: %w", errno)
		case s.closed.Load():
			// A shut-down socket's read returns at once, with an empty
			// "datagram" when nothing else was there.
			return 0, net.ErrClosed
		}
		return int(r), nil
	}
}

// datagram is the i-th datagram of the last read: its bytes and its
// sender.
func (s *udpSocket) datagram(i int) ([]byte, netip.AddrPort) {
	return s.bufs[i][:s.ms[i].Len], sockaddrPort(&s.names[i], s.ms[i].Hdr.Namelen)
}

// sockaddrPort is the address and port of a sockaddr_in or sockaddr_in6
// (an IPv4-mapped IPv6 address as IPv4, as package net gives it; a zone
// as the interface's index), the zero AddrPort for anything else.
func sockaddrPort(sa *unix.RawSockaddrAny, n uint32) netip.AddrPort {
	switch {
	case sa.Addr.Family == unix.AF_INET && n >= unix.SizeofSockaddrInet4:
		in := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		return netip.AddrPortFrom(netip.AddrFrom4(in.Addr), ntohs(in.Port))
	case sa.Addr.Family == unix.AF_INET6 && n >= unix.SizeofSockaddrInet6:
		in := (*unix.RawSockaddrInet6)(unsafe.Pointer(sa))
		a := netip.AddrFrom16(in.Addr).Unmap()
		if in.Scope_id != 0 && a.Is6() {
			a = a.WithZone(strconv.FormatUint(uint64(in.Scope_id), 10))
		}
		return netip.AddrPortFrom(a, ntohs(in.Port))
	}
	return netip.AddrPort{}
}

// ntohs reads a port as the kernel stores it (network byte order).
func ntohs(p uint16) uint16 {
	return binary.BigEndian.Uint16((*[2]byte)(unsafe.Pointer(&p))[:])
}

// Close makes the reads return ErrClosed: a read waiting in the kernel is
// woken by shutting the socket's receiving side down. The descriptor is
// released by release, once the reader is done.
func (s *udpSocket) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	// On an unbound or unconnected UDP socket shutdown(2) says ENOTCONN
	// but still marks the socket shut and wakes its readers.
	if err := unix.Shutdown(s.fd, unix.SHUT_RD); err != nil && !errors.Is(err, unix.ENOTCONN) {
		return fmt.Errorf("shutting the socket down: %w", err)
	}
	return nil
}

// release closes the descriptor; the reader calls it when done.
func (s *udpSocket) release() { unix.Close(s.fd) }
