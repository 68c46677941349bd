package zkproto

import (
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"time"
)

// FourLetter sends a four-letter word (ruok, srvr, mntr, …) to a
// coordinator member or any ZooKeeper server at addr and returns its answer:
// the server writes the answer and closes the connection.
func FourLetter(ctx context.Context, addr, word string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return "", err
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}
	if _, err := io.WriteString(c, word); err != nil {
		return "", fmt.Errorf("send %s: %w", word, err)
	}
	b, err := io.ReadAll(c)
	if err != nil {
		return "", fmt.Errorf("read %s answer: %w", word, err)
	}
	return string(b), nil
}

// ModeFromSrvr returns the Mode: line of a srvr answer.
func ModeFromSrvr(out string) string {
	for _, line := range strings.Split(out, "\n") {
		if m, ok := strings.CutPrefix(line, "Mode: "); ok {
			return strings.TrimSpace(m)
		}
	}
	return "unknown"
}
