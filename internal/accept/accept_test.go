package accept

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"syscall"
	"testing"
)

// emfile always fails its Accepts as a process out of descriptors does.
type emfile struct{ net.Listener }

func (emfile) Accept() (net.Conn, error) { return nil, syscall.EMFILE }

// TestNextEndsOnlyWithListenerOrContext: a closed listener ends Next, and
// so does ctx ending while it backs off from errors it keeps retrying.
func TestNextEndsOnlyWithListenerOrContext(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	if _, err := Next(context.Background(), ln, log); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("closed listener: got %v, want net.ErrClosed", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { _, err := Next(ctx, emfile{ln}, log); done <- err }()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("failing listener, ctx cancelled: got %v, want context.Canceled", err)
	}
}
