package coordinator

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sluicelogs/sluice/internal/await"
)

// TestClientPortPacesRefusals: connections closed before their session
// (here each announces a 1 GiB connect packet) are refusals of the client
// port too. Past refuseBurst of them the accept loop waits a refusal's
// worth (1/refuseRate) before each accept, although the refusals are
// made after the accept, by the connections' own goroutines: a flood of
// them (zk-huge-connect reconnected ~4,600 times a second and made
// 10 MiB of garbage a second) waits in the kernel's accept queue. A
// client still gets its session. The pacer's clock is stopped and its
// waits counted instead of slept.
func TestClientPortPacesRefusals(t *testing.T) {
	const flood = refuseBurst + 20
	stopped := time.Now()
	var mu sync.Mutex
	var waits []time.Duration
	s := newStandalone(t)
	s.pacer.now = func() time.Time { return stopped }
	s.pacer.last = stopped
	s.pacer.sleep = func(_ context.Context, d time.Duration) {
		mu.Lock()
		waits = append(waits, d)
		mu.Unlock()
	}
	runStandalone(t, s)
	huge := append(binary.BigEndian.AppendUint32(nil, 1<<30), make([]byte, 64)...)
	for i := range flood {
		nc, err := net.Dial("tcp", s.Addr())
		if err != nil {
			t.Fatal(err)
		}
		_ = nc.SetDeadline(time.Now().Add(time.Minute))
		if _, err := nc.Write(huge); err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		if n, err := io.Copy(io.Discard, nc); n != 0 || err != nil && !errors.Is(err, syscall.ECONNRESET) {
			t.Fatalf("connection %d: read %d bytes, %v; want it closed unanswered", i, n, err)
		}
		nc.Close()
	}
	// The loop checks before each accept; the refusal of connection k is
	// owed once its connection was closed, before the next one was made,
	// so the accepts of connections refuseBurst+2…flood waited, and the
	// one after the flood may have.
	await.Eventually(t, time.Minute, 10*time.Millisecond, func() error {
		mu.Lock()
		defer mu.Unlock()
		if want := flood - refuseBurst - 1; len(waits) < want || len(waits) > want+1 {
			return fmt.Errorf("the accept loop waited %d times, want %d or %d (one per accept while refusals are past the burst)", len(waits), want, want+1)
		}
		for _, d := range waits {
			if d != time.Second/refuseRate {
				return fmt.Errorf("waited %v, want %v", d, time.Second/refuseRate)
			}
		}
		return nil
	})
	connectSession(t, s.Addr())
}
