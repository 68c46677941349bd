package broker_test

import (
	"errors"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/testkit/brokertest"
	"github.com/sluicelogs/sluice/testkit/testcluster"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// TestAcceptTooManyOpenFiles runs the broker as a process limited to 128
// file descriptors and opens 300 connections to it: accept fails with
// "too many open files", and the broker backs off and goes on. Once the
// connections are closed, Kafka clients create a topic, produce and fetch.
func TestAcceptTooManyOpenFiles(t *testing.T) {
	const limit, conns = 128, 300
	bin := testpeer.SluiceBinary(t)
	zkAddr := testcluster.Coordinator(t)
	dir := t.TempDir()
	port := testpeer.FreePort(t)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	cfg, err := testpeer.BrokerConfig(dir, 1, port, zkAddr, 1)
	if err != nil {
		t.Fatal(err)
	}
	path, err := testpeer.WriteBrokerConfig(dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	// ulimit without -H or -S lowers the hard limit too, so that the Go
	// runtime, which raises the soft limit to the hard one, keeps it.
	cmd := exec.Command("sh", "-c", `ulimit -n `+strconv.Itoa(limit)+` && exec "$0" "$@"`, bin, "broker", "--config", path)
	p := testpeer.Start(t, "broker", cmd, 60*time.Second, testpeer.DialReady(addr))
	testcluster.CreateTopic(t, addr, "fds", 1)
	brokertest.ProduceValues(t, addr, "fds", 10)

	var open []net.Conn
	defer func() {
		for _, c := range open {
			c.Close()
		}
	}()
	for range conns {
		c, err := net.DialTimeout("tcp", addr, 10*time.Second)
		if err != nil {
			t.Fatalf("connection %d: %v", len(open)+1, err)
		}
		open = append(open, c)
	}
	// The connections beyond the limit wait in the listen backlog; the
	// broker's accepts meet the limit.
	await.Eventually(t, time.Minute, 20*time.Millisecond, func() error {
		if !strings.Contains(p.Tail(200), "too many open files") {
			return errors.New("no accept has met the file descriptor limit yet")
		}
		return nil
	})
	for _, c := range open {
		c.Close()
	}
	open = nil

	if exited, err := p.Exited(); exited {
		t.Fatalf("the broker exited at its file descriptor limit: %v", err)
	}
	brokertest.CheckValues(t, addr, "fds", 10)
	testcluster.CreateTopic(t, addr, "after", 1)
	brokertest.ProduceValues(t, addr, "after", 20)
	brokertest.CheckValues(t, addr, "after", 20)
	if exited, err := p.Exited(); exited {
		t.Fatalf("the broker exited: %v", err)
	}
}
