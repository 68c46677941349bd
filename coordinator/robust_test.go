package coordinator_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/sluicelogs/sluice/coordinator"
	"github.com/sluicelogs/sluice/coordinator/zkproto"
	"github.com/sluicelogs/sluice/testkit/testcluster"
)

func connect(t *testing.T, addr string) *zk.Conn {
	t.Helper()
	c, ev, err := zk.Connect([]string{addr}, 4*time.Second, zk.WithLogInfo(false))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	// go-zookeeper keeps connecting while the member refuses it (no leader
	// yet) or closes it (its leader changed): the bound only ends a test
	// whose member never serves, and is generous for a loaded machine.
	deadline := time.After(time.Minute)
	for {
		select {
		case e := <-ev:
			if e.State == zk.StateHasSession {
				return c
			}
		case <-deadline:
			t.Fatal("no session within a minute")
		}
	}
}

// snapCount50 takes a snapshot every 50 entries.
func snapCount50(c *coordinator.Config) { c.SnapCount = 50 }

// TestRestartKeepsAcknowledgedWrites: every write acknowledged before a
// stop is there after a restart from the same data directory.
func TestRestartKeepsAcknowledgedWrites(t *testing.T) {
	dir := t.TempDir()
	// Snapshots every 50 entries: the restart recovers from a snapshot plus
	// the log after it.
	m := testcluster.StartCoordinator(t, dir, 200*time.Millisecond, snapCount50)
	c := connect(t, m.Addr())
	if _, err := c.Create("/keep", []byte("root"), 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	const n = 300
	for i := 0; i < n; i++ {
		if _, err := c.Create(fmt.Sprintf("/keep/n%03d", i), []byte(fmt.Sprint(i)), 0, zk.WorldACL(zk.PermAll)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Set("/keep", []byte("changed"), 0); err != nil {
		t.Fatal(err)
	}
	c.Close()
	m.Stop()

	snaps, _ := filepath.Glob(filepath.Join(dir, "version-2", "snap-*.snap"))
	if len(snaps) < 2 {
		t.Fatalf("%d snapshot files after %d writes with snapCount=50", len(snaps), n)
	}
	m2 := testcluster.StartCoordinator(t, dir, 200*time.Millisecond, snapCount50)
	c2 := connect(t, m2.Addr())
	kids, st, err := c2.Children("/keep")
	if err != nil || len(kids) != n || st.NumChildren != n {
		t.Fatalf("after restart: %d children (stat %d), %v; want %d", len(kids), st.NumChildren, err, n)
	}
	data, st, err := c2.Get("/keep")
	if err != nil || string(data) != "changed" || st.Version != 1 {
		t.Fatalf("after restart /keep = %q version %d, %v", data, st.Version, err)
	}
	for _, i := range []int{0, 150, n - 1} {
		data, _, err := c2.Get(fmt.Sprintf("/keep/n%03d", i))
		if err != nil || string(data) != fmt.Sprint(i) {
			t.Fatalf("after restart n%03d = %q, %v", i, data, err)
		}
	}
	// New zxids continue above the old ones.
	st2, err := c2.Set("/keep", []byte("again"), 1)
	if err != nil || st2.Mzxid <= st.Mzxid {
		t.Fatalf("zxid after restart %d, before %d (%v)", st2.Mzxid, st.Mzxid, err)
	}
}

// TestBadInputClosesOnlyThatConnection: garbage on the client port closes
// that connection; a client connected all along keeps working.
func TestBadInputClosesOnlyThatConnection(t *testing.T) {
	m := testcluster.StartCoordinator(t, t.TempDir(), 200*time.Millisecond)
	good := connect(t, m.Addr())
	if _, err := good.Create("/alive", nil, 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	connectReq := func() []byte { return connectRequest(4000) }
	header := func(xid, op int32, body []byte) []byte {
		b := make([]byte, 12, 12+len(body))
		binary.BigEndian.PutUint32(b, uint32(8+len(body)))
		binary.BigEndian.PutUint32(b[4:], uint32(xid))
		binary.BigEndian.PutUint32(b[8:], uint32(op))
		return append(b, body...)
	}
	rnd := rand.New(rand.NewSource(1))
	garbage := make([]byte, 4096)
	rnd.Read(garbage)
	cases := map[string][][]byte{
		"random bytes":            {garbage},
		"huge length prefix":      {{0x7f, 0xff, 0xff, 0xff, 1, 2, 3}},
		"negative length":         {{0xff, 0xff, 0xff, 0xf0}},
		"truncated connect":       {connectReq()[:20]},
		"unknown opcode":          {connectReq(), header(1, 9999, nil)},
		"truncated request":       {connectReq(), header(1, 4, []byte{0, 0, 0, 9, '/'})},
		"oversized getData":       {connectReq(), header(1, 4, make([]byte, 2<<20))},
		"create with a short ACL": {connectReq(), header(1, 1, []byte{0, 0, 0, 2, '/', 'x', 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 9})},
	}
	for name, writes := range cases {
		t.Run(name, func(t *testing.T) {
			nc, err := net.Dial("tcp", m.Addr())
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			for _, w := range writes {
				if _, err := nc.Write(w); err != nil {
					break // the server may close while we write: that is the point
				}
			}
			// A truncated packet is only known to be truncated at the end of
			// the stream; without it the server waits (bounded by its
			// handshake or session deadline), as ZooKeeper does.
			_ = nc.(*net.TCPConn).CloseWrite()
			_ = nc.SetReadDeadline(time.Now().Add(10 * time.Second))
			_, err = io.Copy(io.Discard, nc)
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatal("the server kept the connection open after bad input")
			}
			if ok, _, err := good.Exists("/alive"); err != nil || !ok {
				t.Fatalf("the good client after %s: %v, %v", name, ok, err)
			}
		})
	}
}

func TestFourLetterWords(t *testing.T) {
	m := testcluster.StartCoordinator(t, t.TempDir(), 200*time.Millisecond)
	ctx := context.Background()
	if out, err := zkproto.FourLetter(ctx, m.Addr(), "ruok"); err != nil || out != "imok" {
		t.Fatalf("ruok = %q, %v", out, err)
	}
	out, err := zkproto.FourLetter(ctx, m.Addr(), "srvr")
	if err != nil || zkproto.ModeFromSrvr(out) != "standalone" || !strings.Contains(out, "Node count: 4") {
		t.Fatalf("srvr = %q, %v", out, err)
	}
	if out, err := zkproto.FourLetter(ctx, m.Addr(), "mntr"); err != nil || !strings.Contains(out, "zk_server_state\tstandalone") {
		t.Fatalf("mntr = %q, %v", out, err)
	}
}

// TestClientThatDoesNotRead: a client that sends requests but never reads
// the replies stalls only its own connection: the other clients keep being
// served, and the server closes it when its session expires (nothing of it
// is read meanwhile, so nothing keeps the session alive).
func TestClientThatDoesNotRead(t *testing.T) {
	m := testcluster.StartCoordinator(t, t.TempDir(), 200*time.Millisecond)
	good := connect(t, m.Addr())
	const size, requests = 512 << 10, 200
	if _, err := good.Create("/big", make([]byte, size), 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}

	nc, err := net.Dial("tcp", m.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	connectReq := connectRequest(4000) // the 4 s maximum at tickTime 200 ms
	var reqs []byte
	for i := range requests {
		body := []byte{0, 0, 0, 4, '/', 'b', 'i', 'g', 0} // getData /big, no watch
		b := binary.BigEndian.AppendUint32(nil, uint32(8+len(body)))
		b = binary.BigEndian.AppendUint32(b, uint32(i+1))
		b = binary.BigEndian.AppendUint32(b, 4)
		reqs = append(reqs, append(b, body...)...)
	}
	if _, err := nc.Write(append(connectReq, reqs...)); err != nil {
		t.Fatal(err)
	}

	// The stuck connection holds 100 MiB of replies it will never take;
	// everyone else goes on.
	time.Sleep(500 * time.Millisecond)
	other := connect(t, m.Addr())
	for i := range 50 {
		p := fmt.Sprintf("/meanwhile-%d", i)
		if _, err := good.Create(p, []byte("x"), 0, zk.WorldACL(zk.PermAll)); err != nil {
			t.Fatalf("create while a client is stuck: %v", err)
		}
		if data, _, err := other.Get(p); err != nil || string(data) != "x" {
			t.Fatalf("get while a client is stuck: %q, %v", data, err)
		}
	}

	// Its session expires (4 s after its last request was read) and the
	// server closes it, having sent only what the sockets' buffers held.
	time.Sleep(6 * time.Second)
	_ = nc.SetReadDeadline(time.Now().Add(30 * time.Second))
	n, err := io.Copy(io.Discard, nc)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the server kept the connection of a client that does not read open (%d bytes read)", n)
	}
	if n >= requests*size {
		t.Fatalf("read %d bytes: every reply was sent", n)
	}
	t.Logf("the stuck connection was closed after %d bytes of %d", n, requests*size)
	if ok, _, err := good.Exists("/big"); err != nil || !ok {
		t.Fatalf("the good client afterwards: %v, %v", ok, err)
	}
}

// connectRequest is the frame of a ConnectRequest for a new session asking
// for timeoutMs, with a zero password and no readOnly flag.
func connectRequest(timeoutMs uint32) []byte {
	b := make([]byte, 4+44)
	binary.BigEndian.PutUint32(b, 44)
	binary.BigEndian.PutUint32(b[4+12:], timeoutMs)
	binary.BigEndian.PutUint32(b[4+24:], 16) // passwd length
	return b
}
