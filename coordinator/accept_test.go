package coordinator

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	gozk "github.com/go-zookeeper/zk"

	"github.com/sluicelogs/sluice/internal/await"
)

// failingListener fails its first failures Accepts with EMFILE, as a
// process out of file descriptors sees, then accepts from the listener
// it wraps; accepted counts the connections it handed out.
type failingListener struct {
	net.Listener
	failures atomic.Int32
	accepted atomic.Int32
}

func (l *failingListener) Accept() (net.Conn, error) {
	if l.failures.Add(-1) >= 0 {
		return nil, &net.OpError{Op: "accept", Net: "tcp", Addr: l.Addr(), Err: os.NewSyscallError("accept4", syscall.EMFILE)}
	}
	nc, err := l.Listener.Accept()
	if err == nil {
		l.accepted.Add(1)
	}
	return nc, err
}

func failing(ln net.Listener, failures int32) *failingListener {
	l := &failingListener{Listener: ln}
	l.failures.Store(failures)
	return l
}

func discardLog() *slog.Logger { return slog.New(slog.DiscardHandler) }

// TestClientAcceptSurvivesEMFILE: Accept errors on the client port (here
// three EMFILEs) are waited out, and the next client gets a session.
func TestClientAcceptSurvivesEMFILE(t *testing.T) {
	s := newStandalone(t)
	ln := failing(s.ln, 3)
	s.ln = ln
	runStandalone(t, s)

	c, ev, err := gozk.Connect([]string{s.Addr()}, 4*time.Second, gozk.WithLogInfo(false))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	await.Eventually(t, time.Minute, 10*time.Millisecond, func() error {
		select {
		case e := <-ev:
			if e.State == gozk.StateHasSession {
				return nil
			}
		default:
		}
		return fmt.Errorf("no session (accepted %d connections)", ln.accepted.Load())
	})
}

// TestPeerAcceptSurvivesEMFILE: Accept errors on the peer port are waited
// out, and the next peer connection is accepted.
func TestPeerAcceptSurvivesEMFILE(t *testing.T) {
	tr, err := newTransport(transportOptions{id: 1, listen: "127.0.0.1:0", members: map[uint64]Member{1: {ID: 1, Host: "127.0.0.1"}},
		ping: time.Second, idle: time.Minute, handshake: time.Minute}, discardLog())
	if err != nil {
		t.Fatal(err)
	}
	ln := failing(tr.ln, 3)
	tr.ln = ln
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); tr.run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	nc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	await.Eventually(t, 30*time.Second, 10*time.Millisecond, func() error {
		if ln.accepted.Load() == 0 {
			return fmt.Errorf("the peer connection was not accepted (%d failures left)", ln.failures.Load())
		}
		return nil
	})
}
