package broker_test

import (
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/sluicelogs/sluice/broker"
	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/testkit/testcluster"
)

// TestConnectionCreationRate: with max.connection.creation.rate (or the
// listener's) at 5 a second, a flood of 80 connections from
// 127.0.0.2–5, each closed at once, goes past the 50 the quota takes at
// once: the broker waits before accepting more and counts it in
// sluice_broker_connections_throttled_total{limit}. A client connected
// before the flood is still answered meanwhile.
func TestConnectionCreationRate(t *testing.T) {
	const quota, flood = 5, 80
	zkAddr := testcluster.Coordinator(t)
	for _, tc := range []struct {
		limit string
		set   func(*broker.Config)
	}{
		{"max.connection.creation.rate", func(c *broker.Config) { c.MaxConnectionCreationRate = quota }},
		{"listener.name.plaintext.max.connection.creation.rate", func(c *broker.Config) { c.ListenerMaxConnectionCreationRate = quota }},
	} {
		t.Run(tc.limit, func(t *testing.T) {
			b := testcluster.StartBroker(t, 1, zkAddr, "", tc.set)
			normal, err := net.Dial("tcp", b.Addr())
			if err != nil {
				t.Fatal(err)
			}
			defer normal.Close()
			if err := apiVersions(normal); err != nil {
				t.Fatal(err)
			}
			for i := range flood {
				d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(2+i%4))}, Timeout: 10 * time.Second}
				nc, err := d.Dial("tcp", b.Addr())
				if err != nil {
					t.Fatalf("connection %d: %v", i+1, err)
				}
				nc.Close()
			}
			await.Eventually(t, time.Minute, 10*time.Millisecond, func() error {
				if n := broker.Throttled(b.Broker, tc.limit); n < 1 {
					return fmt.Errorf("throttled{%s} = %v after %d connections at a quota of %d/s", tc.limit, n, flood, quota)
				}
				return nil
			})
			if err := apiVersions(normal); err != nil {
				t.Fatalf("the client connected before the flood: %v", err)
			}
		})
	}
}
