package segment

import (
	"io"
	"net"
	"os"
	"syscall"
)

// SendfileTo reports whether WriteTo reaches w with sendfile(2): a TCP or
// Unix socket, not a TLS connection (its records are encrypted in user
// space) nor anything else.
func SendfileTo(w io.Writer) bool {
	switch w.(type) {
	case *net.TCPConn, *net.UnixConn:
		return true
	}
	return false
}

// sendfile copies n bytes at pos of f to a socket with sendfile(2), passing
// the offset explicitly so the file's seek position is never used. handled
// is false when w is not a socket this path knows.
func sendfile(w io.Writer, f *os.File, pos, n int64) (written int64, handled bool, err error) {
	var dst syscall.RawConn
	switch c := w.(type) {
	case *net.TCPConn:
		dst, err = c.SyscallConn()
	case *net.UnixConn:
		dst, err = c.SyscallConn()
	default:
		return 0, false, nil
	}
	if err != nil {
		return 0, false, nil
	}
	src, err := f.SyscallConn()
	if err != nil {
		return 0, false, nil
	}
	var serr error
	rerr := src.Read(func(sfd uintptr) bool {
		werr := dst.Write(func(dfd uintptr) bool {
			for written < n {
				chunk := min(n-written, 1<<30)
				m, e := syscall.Sendfile(int(dfd), int(sfd), &pos, int(chunk)) // advances pos
				if m > 0 {
					written += int64(m)
				}
				switch {
				case e == syscall.EAGAIN:
					return false // wait until the socket is writable
				case e == syscall.EINTR:
				case e != nil:
					serr = e
					return true
				case m == 0:
					serr = io.ErrUnexpectedEOF // the file shrank
					return true
				}
			}
			return true
		})
		if serr == nil {
			serr = werr
		}
		return true
	})
	if serr == nil {
		serr = rerr
	}
	if serr != nil {
		serr = os.NewSyscallError("sendfile", serr)
	}
	return written, true, serr
}
