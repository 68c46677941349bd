package crashtest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/sluicelogs/sluice/coordinator/zkproto"
	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/testkit/testcluster"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// tickTime is the ensemble's tickTime: Raft ticks every tickTime/20 and
// elects after 10 ticks, so a new leader takes a few hundred milliseconds;
// session timeouts may range from 2 to 20 ticks (0.4s to 4s).
const tickTime = 200 * time.Millisecond

// sessionTimeout is what the test clients ask for: the most the members
// allow, so that a client survives a failover.
const sessionTimeout = 4 * time.Second

// Bounds of the waits. They are generous: the machine is small and shared,
// and a wait that ends early costs nothing.
const (
	startTimeout    = 30 * time.Second // a member process answers ruok
	electionTimeout = 20 * time.Second // an ensemble has exactly one leader
	clientTimeout   = 20 * time.Second // a client has a session
)

// binEnv names a prebuilt sluice binary for this package only (e.g. one
// built with -race); testpeer.BinEnv ($SLUICE_BIN) does the same for every
// package that runs sluice as a process.
const binEnv = "SLUICE_CRASHTEST_BIN"

// sluiceBinary returns $SLUICE_CRASHTEST_BIN, or else the binary
// testpeer.SluiceBinary builds once per test process (or $SLUICE_BIN).
func sluiceBinary(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv(binEnv); bin != "" {
		return bin
	}
	return testpeer.SluiceBinary(t)
}

// member is one coordinator process of a cluster.
type member struct {
	id       uint64
	dir      string // dataDir, holding zoo.cfg and myid
	addr     string // client address
	observer bool
	runs     int
	proc     *testpeer.Process // nil while the member is down
}

// cluster is an ensemble of coordinator processes on loopback.
type cluster struct {
	t       *testing.T
	bin     string    // the sluice binary the members run
	members []*member // members[i].id == i+1
}

// startCluster writes the zoo.cfg and myid of voters members and observers
// more (ids after the voters), from the configurations the in-process test
// ensembles run (testcluster.EnsembleConfigs), and starts them all.
func startCluster(t *testing.T, voters, observers int) *cluster {
	t.Helper()
	c := &cluster{t: t, bin: sluiceBinary(t)}
	for i, cfg := range testcluster.EnsembleConfigs(t, voters, observers, tickTime) {
		if _, err := testpeer.WriteCoordinatorConfig(cfg.DataDir, cfg); err != nil {
			t.Fatal(err)
		}
		c.members = append(c.members, &member{id: uint64(i + 1), dir: cfg.DataDir, addr: cfg.ClientAddr, observer: i >= voters})
	}
	for _, m := range c.members {
		c.start(m)
	}
	return c
}

// start (re)starts a member from its data directory and waits until it
// answers ruok. Only the test goroutine may call it (it fails the test).
func (c *cluster) start(m *member) {
	c.t.Helper()
	if m.proc != nil {
		c.t.Fatalf("member %d is already running", m.id)
	}
	m.runs++
	cmd := exec.Command(c.bin, "coordinator", "--config", filepath.Join(m.dir, "zoo.cfg"))
	name := fmt.Sprintf("member%d-run%d", m.id, m.runs)
	m.proc = testpeer.Start(c.t, name, cmd, startTimeout, func(ctx context.Context) error {
		out, err := zkproto.FourLetter(ctx, m.addr, "ruok")
		if err != nil {
			return err
		}
		if out != "imok" {
			return fmt.Errorf("ruok answered %q", out)
		}
		return nil
	})
}

// kill sends SIGKILL to a member's process group and waits for it to die.
func (c *cluster) kill(m *member) {
	c.t.Helper()
	if m.proc == nil {
		c.t.Fatalf("member %d is not running", m.id)
	}
	m.proc.Kill()
	c.t.Logf("killed member %d (-9); its log: %s", m.id, m.proc.LogPath)
	m.proc = nil
}

func (c *cluster) member(id uint64) *member { return c.members[id-1] }

// live returns the running members.
func (c *cluster) live() []*member {
	var out []*member
	for _, m := range c.members {
		if m.proc != nil {
			out = append(out, m)
		}
	}
	return out
}

// addrs returns the client addresses of every member, running or not, as
// a ZooKeeper connect string would list them.
func (c *cluster) addrs() []string {
	out := make([]string, len(c.members))
	for i, m := range c.members {
		out[i] = m.addr
	}
	return out
}

// mode asks a member for its Mode (srvr); "down" if it does not answer.
func mode(m *member) string {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	out, err := zkproto.FourLetter(ctx, m.addr, "srvr")
	if err != nil {
		return "down"
	}
	return zkproto.ModeFromSrvr(out)
}

// leader waits until exactly one running member says it leads, every
// running observer says it observes and every other running voter says it
// follows; it returns the leader.
func (c *cluster) leader() *member {
	c.t.Helper()
	var lead *member
	await.Eventually(c.t, electionTimeout, 50*time.Millisecond, func() error {
		lead = nil
		var leaders, modes []string
		for _, m := range c.live() {
			md := mode(m)
			modes = append(modes, fmt.Sprintf("%d:%s", m.id, md))
			want := "follower"
			if m.observer {
				want = "observer"
			}
			switch {
			case md == "leader" && !m.observer:
				lead = m
				leaders = append(leaders, fmt.Sprint(m.id))
			case md != want:
				return fmt.Errorf("member %d is %s (modes %v)", m.id, md, modes)
			}
		}
		if len(leaders) != 1 {
			return fmt.Errorf("%d leaders %v (modes %v)", len(leaders), leaders, modes)
		}
		return nil
	})
	return lead
}

// quietLogger drops go-zookeeper's log lines: its reconnects are expected
// here, and a test's Logf must not be used after the test ends.
type quietLogger struct{}

func (quietLogger) Printf(string, ...any) {}

// connect opens a go-zookeeper session to the given members and waits
// (bounded) until it has a session. The connection closes when the test ends.
func connect(tb testing.TB, addrs []string) *zk.Conn {
	tb.Helper()
	conn, _, err := zk.Connect(addrs, sessionTimeout, zk.WithLogger(quietLogger{}), zk.WithLogInfo(false))
	if err != nil {
		tb.Fatalf("zk.Connect %v: %v", addrs, err)
	}
	tb.Cleanup(conn.Close)
	await.Eventually(tb, clientTimeout, 20*time.Millisecond, func() error {
		if s := conn.State(); s != zk.StateHasSession {
			return fmt.Errorf("client of %v is %v", addrs, s)
		}
		return nil
	})
	return conn
}

// children returns the children of path as one member sees them after a
// sync, through a client connected to that member only. It retries
// (bounded) while the member cannot serve, e.g. right after a restart.
func children(tb testing.TB, m *member, path string) map[string]bool {
	tb.Helper()
	conn, _, err := zk.Connect([]string{m.addr}, sessionTimeout, zk.WithLogger(quietLogger{}), zk.WithLogInfo(false))
	if err != nil {
		tb.Fatalf("zk.Connect %s: %v", m.addr, err)
	}
	defer conn.Close()
	var kids []string
	await.Eventually(tb, clientTimeout, 100*time.Millisecond, func() error {
		if _, err := conn.Sync(path); err != nil {
			return fmt.Errorf("sync %s on member %d: %w", path, m.id, err)
		}
		var err error
		if kids, _, err = conn.Children(path); err != nil {
			return fmt.Errorf("children of %s on member %d: %w", path, m.id, err)
		}
		return nil
	})
	set := make(map[string]bool, len(kids))
	for _, k := range kids {
		set[k] = true
	}
	return set
}

// missing returns the sorted elements of want that are not in have.
func missing(want, have map[string]bool) []string {
	var out []string
	for k := range want {
		if !have[k] {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// waitFor waits for wg, failing the test if that takes longer than d.
func waitFor(t *testing.T, wg *sync.WaitGroup, d time.Duration, what string) {
	t.Helper()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("%s did not return within %s", what, d)
	}
}
