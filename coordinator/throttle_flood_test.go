package coordinator_test

import (
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/sluicelogs/sluice/coordinator"
	"github.com/sluicelogs/sluice/testkit/promtest"
	"github.com/sluicelogs/sluice/testkit/testcluster"
)

// TestConnectionThrottle: with connection_throttle_tokens=5 and a refill
// too slow to matter (one token an hour), a flood of 40 connect requests
// from 127.0.0.2–5 after a normal client took its token gets 4 sessions;
// the other 36 are closed without a reply and counted, and the normal
// client's session goes on being served. Without the throttle all 40
// would get sessions (each one a Raft write).
func TestConnectionThrottle(t *testing.T) {
	const tokens, flood = 5, 40
	m := testcluster.StartCoordinator(t, t.TempDir(), 200*time.Millisecond, func(c *coordinator.Config) {
		c.ConnThrottleTokens, c.ConnThrottleFillTime, c.ConnThrottleFillCount = tokens, time.Hour, 1
	})
	normal := connect(t, m.Addr())

	sessions := 0
	for i := range flood {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(2+i%4))}, Timeout: 5 * time.Second}
		c, err := d.Dial("tcp", m.Addr())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Write(connectRequest(4000)); err != nil {
			t.Fatal(err)
		}
		// Well under the 10s handshake timeout: a reply, or closed at once.
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, err := io.ReadFull(c, make([]byte, 4))
		switch {
		case err == nil:
			sessions++
		case errors.Is(err, os.ErrDeadlineExceeded):
			t.Fatalf("connect %d: no reply and not closed", i)
		case n > 0:
			t.Fatalf("connect %d: read %d bytes, then %v", i, n, err)
		}
		c.Close()
	}
	if sessions != tokens-1 {
		t.Fatalf("%d of %d flooding connects got a session, want %d (the tokens the normal client left)", sessions, flood, tokens-1)
	}
	if got := promtest.Value(t, promtest.Of(m.Server.Collectors()...), "sluice_coordinator_connections_refused_total", "limit", "connection_throttle"); got != flood-tokens+1 {
		t.Fatalf("sluice_coordinator_connections_refused_total{limit=connection_throttle} = %v, want %d", got, flood-tokens+1)
	}
	if _, err := normal.Create("/after-flood", nil, 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatalf("the normal client after the flood: %v", err)
	}
}
