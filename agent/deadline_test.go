package agent

import (
	"errors"
	"net"
	"os"
	"testing"
	"time"
)

// TestDeadlineReader: a connection that keeps sending is not closed
// however long it lasts, and one that falls silent is closed, never less
// than the timeout after its last bytes.
func TestDeadlineReader(t *testing.T) {
	const timeout = 200 * time.Millisecond
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		for range 8 { // 400 ms of bytes every 50 ms: longer than the timeout
			if _, err := b.Write([]byte("x")); err != nil {
				return
			}
			time.Sleep(timeout / 4) // pacing the sender, not waiting for it
		}
	}()
	r := &deadlineReader{c: a, timeout: timeout}
	buf := make([]byte, 1)
	last := time.Now()
	for {
		_, err := r.Read(buf)
		if err != nil {
			if !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("read: %v", err)
			}
			if silent := time.Since(last); silent < timeout {
				t.Fatalf("closed after %v of silence, before the timeout (%v)", silent, timeout)
			}
			break
		}
		last = time.Now()
	}
	b.Close()
	<-sent
}
