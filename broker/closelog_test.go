package broker_test

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/testkit/logcapture"
	"github.com/sluicelogs/sluice/testkit/promtest"
	"github.com/sluicelogs/sluice/testkit/testcluster"
)

// TestClosedConnectionsLogBounded: connections closed for what their
// clients sent (here 60 with a size prefix out of range) are all counted
// in sluice_broker_connections_closed_total, but only the first 10 in
// 10 s are logged: a client controls how often that happens, and a line
// each let a flood of garbage connections (kafka-garbage, ~440 a second)
// write the log at its pace. The broker still serves a normal client.
func TestClosedConnectionsLogBounded(t *testing.T) {
	const conns = 60
	log, logs := logcapture.New()
	zkAddr := testcluster.Coordinator(t)
	b := testcluster.StartBrokerLogging(t, 1, zkAddr, "", log)
	metrics := promtest.Of(b.Collectors()...)
	bad := binary.BigEndian.AppendUint32(nil, 0xfffffff0) // negative as an int32
	for i := range conns {
		c, err := net.Dial("tcp", b.Addr())
		if err != nil {
			t.Fatal(err)
		}
		_ = c.SetDeadline(time.Now().Add(time.Minute))
		if _, err := c.Write(bad); err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		if n, _ := io.Copy(io.Discard, c); n != 0 {
			t.Fatalf("connection %d: answered %d bytes, want it closed", i, n)
		}
		c.Close()
	}
	await.Eventually(t, time.Minute, 10*time.Millisecond, func() error {
		if got := promtest.Value(t, metrics, "sluice_broker_connections_closed_total", "reason", "size"); got != conns {
			return fmt.Errorf("%v connections counted closed for their size, want %d", got, conns)
		}
		return nil
	})
	if n := strings.Count(logs.String(), "request size out of range"); n != 10 {
		t.Fatalf("%d lines logged about the %d connections, want 10 (closeLogBurst):\n%s", n, conns, logs.String())
	}
	testcluster.CreateTopic(t, b.Addr(), "after", 1)
}
