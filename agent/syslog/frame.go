// Package syslog holds what the agent's syslog input does with bytes from
// the network: cutting a TCP stream into messages (RFC 6587's two
// framings) and parsing a message (RFC 3164 or RFC 5424: the common
// shapes by hand, without allocating, the rest through
// github.com/leodido/go-syslog; see fast.go) into the fields Filebeat's
// syslog input gives its events.
//
// The framing is written here rather than taken from go-syslog's
// octetcounting and nontransparent parsers because the input stores each
// message's raw bytes in its disk queue before anything parses them (a
// restart parses the same bytes the same way): it needs the frames, not
// parsed messages.
package syslog

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// Framing is how messages are delimited on a TCP stream.
type Framing int

const (
	// Auto tells the framing of each message by its first byte: a digit
	// starts an octet count (RFC 6587 3.4.1), anything else a message
	// ending at the delimiter (3.4.2), as rsyslog's imtcp does.
	Auto Framing = iota
	// Delimiter: each message ends at the line delimiter (non-transparent
	// framing; Filebeat's framing: delimiter).
	Delimiter
	// OctetCounting: each message is preceded by its length and a space
	// (Filebeat's framing: rfc6587 also takes delimited messages; so does
	// Auto).
	OctetCounting
)

// ParseFraming reads Filebeat's framing key: delimiter, rfc6587 (which,
// as Filebeat's, takes both framings), or auto.
func ParseFraming(s string) (Framing, error) {
	switch s {
	case "", "auto", "rfc6587":
		return Auto, nil
	case "delimiter":
		return Delimiter, nil
	case "octet_counting":
		return OctetCounting, nil
	}
	return 0, fmt.Errorf("%q: want delimiter, rfc6587 or auto", s)
}

// Framer cuts messages out of a stream.
type Framer struct {
	r       *bufio.Reader
	framing Framing
	delim   byte
	max     int
	buf     []byte
}

// NewFramer reads messages of at most maxSize bytes (longer ones are cut
// to maxSize, the rest skipped) from r.
func NewFramer(r io.Reader, framing Framing, delim byte, maxSize int) *Framer {
	return &Framer{r: bufio.NewReaderSize(r, 64<<10), framing: framing, delim: delim, max: maxSize}
}

// ErrFraming is a stream that is not syslog in the framing asked for: an
// octet count that is not a number. The connection should be closed.
var ErrFraming = errors.New("syslog: bad framing")

// maxCountDigits bounds an octet count's digits (a count of up to 999,999,999).
const maxCountDigits = 9

// Next returns the next message (valid until the next call) and whether it
// was cut to the maximum size. Empty messages (blank lines) are skipped.
// At the end of the stream it returns io.EOF; a last message without its
// delimiter is returned first.
func (f *Framer) Next() (msg []byte, truncated bool, err error) {
	for {
		b, err := f.r.Peek(1)
		if err != nil {
			return nil, false, err
		}
		octets := f.framing == OctetCounting || (f.framing == Auto && b[0] >= '1' && b[0] <= '9')
		if octets {
			msg, truncated, err = f.counted()
		} else {
			msg, truncated, err = f.delimited()
		}
		if err != nil || len(msg) > 0 {
			return msg, truncated, err
		}
	}
}

// counted reads "LEN SP MSG".
func (f *Framer) counted() ([]byte, bool, error) {
	n := 0
	for digits := 0; ; digits++ {
		c, err := f.r.ReadByte()
		if err != nil {
			return nil, false, unexpected(err)
		}
		if c == ' ' && digits > 0 {
			break
		}
		if c < '0' || c > '9' || digits == maxCountDigits {
			return nil, false, fmt.Errorf("%w: an octet count with %q in it", ErrFraming, c)
		}
		n = n*10 + int(c-'0')
	}
	keep := min(n, f.max)
	f.buf = grow(f.buf, keep)
	if _, err := io.ReadFull(f.r, f.buf); err != nil {
		return nil, false, unexpected(err)
	}
	if n > keep {
		if _, err := f.r.Discard(n - keep); err != nil {
			return nil, false, unexpected(err)
		}
	}
	return f.buf, n > keep, nil
}

// delimited reads up to the delimiter (dropped, and a \r before a \n).
func (f *Framer) delimited() ([]byte, bool, error) {
	f.buf = f.buf[:0]
	over := false // bytes past the maximum were dropped
	for first := true; ; first = false {
		chunk, err := f.r.ReadSlice(f.delim)
		found := err == nil
		if first && found && len(chunk)-1 <= f.max {
			// The whole message is in the reader's buffer: no copy (it
			// stays valid until the next read, so until the next Next).
			return trimDelim(chunk[:len(chunk)-1], f.delim), false, nil
		}
		if found {
			chunk = chunk[:len(chunk)-1]
		}
		if room := f.max - len(f.buf); len(chunk) > room {
			over = true
			chunk = chunk[:room]
		}
		f.buf = append(f.buf, chunk...)
		switch {
		case found:
			if over {
				return f.buf, over, nil
			}
			return trimDelim(f.buf, f.delim), over, nil
		case err == bufio.ErrBufferFull:
			continue
		case err == io.EOF && len(f.buf) > 0:
			return f.buf, over, nil // the last message, its delimiter missing
		default:
			return nil, false, err
		}
	}
}

// trimDelim drops the \r of a message ended by \r\n.
func trimDelim(msg []byte, delim byte) []byte {
	if delim == '\n' && len(msg) > 0 && msg[len(msg)-1] == '\r' {
		return msg[:len(msg)-1]
	}
	return msg
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

func grow(b []byte, n int) []byte {
	if cap(b) < n {
		return make([]byte, n)
	}
	return b[:n]
}
