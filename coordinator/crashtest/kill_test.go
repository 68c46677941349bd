package crashtest

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/sluicelogs/sluice/internal/await"
)

// writeLoad is several clients creating persistent sequential znodes under
// /load as fast as they are answered, each knowing every member.
type writeLoad struct {
	stop chan struct{}
	wg   sync.WaitGroup

	mu        sync.Mutex
	acked     map[string]bool // children of /load whose create was acknowledged
	failed    int             // creates that returned an error
	killedAt  time.Time       // zero until the leader is killed
	afterKill int             // acknowledged creates called after killedAt
}

func startWriteLoad(t *testing.T, c *cluster, clients int) *writeLoad {
	t.Helper()
	l := &writeLoad{stop: make(chan struct{}), acked: map[string]bool{}}
	for i := range clients {
		conn := connect(t, c.addrs())
		l.wg.Add(1)
		go func() { // owned by l: ends when l.stop is closed
			defer l.wg.Done()
			prefix := fmt.Sprintf("/load/c%d-", i)
			for {
				select {
				case <-l.stop:
					return
				default:
				}
				called := time.Now()
				path, err := conn.Create(prefix, nil, zk.FlagSequence, zk.WorldACL(zk.PermAll))
				l.mu.Lock()
				if err == nil {
					l.acked[strings.TrimPrefix(path, "/load/")] = true
					if !l.killedAt.IsZero() && called.After(l.killedAt) {
						l.afterKill++
					}
				} else {
					l.failed++
				}
				l.mu.Unlock()
				if err != nil {
					time.Sleep(20 * time.Millisecond) // no busy loop while no member answers
				}
			}
		}()
	}
	return l
}

func (l *writeLoad) counts() (acked, afterKill, failed int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.acked), l.afterKill, l.failed
}

func (l *writeLoad) markKill() {
	l.mu.Lock()
	l.killedAt = time.Now()
	l.mu.Unlock()
}

// finish stops the clients and waits (bounded) for their last calls.
func (l *writeLoad) finish(t *testing.T) map[string]bool {
	t.Helper()
	close(l.stop)
	waitFor(t, &l.wg, 30*time.Second, "the load clients' last calls")
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.acked
}

// checkAcked fails the test unless every acknowledged child of /load is
// there on every given member (after a sync), and reports the children that
// exist without an acknowledgement (allowed: their reply was lost).
func checkAcked(t *testing.T, when string, acked map[string]bool, members []*member) {
	t.Helper()
	for _, m := range members {
		have := children(t, m, "/load")
		if lost := missing(acked, have); len(lost) > 0 {
			t.Fatalf("%s: member %d lost %d of %d acknowledged creates, e.g. %v",
				when, m.id, len(lost), len(acked), lost[:min(len(lost), 10)])
		}
		t.Logf("%s: member %d has all %d acknowledged creates (+%d unacknowledged)",
			when, m.id, len(acked), len(missing(have, acked)))
	}
}

// TestKillLeaderUnderLoad kills the leader of 3 voters and an observer with
// SIGKILL while clients write, then restarts it, then kills and restarts
// every member: a new leader must take over, the clients must fail over with
// their sessions, and no acknowledged write may be lost.
func TestKillLeaderUnderLoad(t *testing.T) {
	c := startCluster(t, 3, 1)
	lead := c.leader()
	t.Logf("member %d leads", lead.id)

	setup := connect(t, c.addrs())
	if _, err := setup.Create("/load", nil, 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatalf("create /load: %v", err)
	}
	// A client that knows every member keeps its session, and its
	// ephemeral, across the failover.
	roaming := connect(t, c.addrs())
	if _, err := roaming.Create("/roaming", nil, zk.FlagEphemeral, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatalf("create /roaming: %v", err)
	}
	session := roaming.SessionID()

	load := startWriteLoad(t, c, 4)
	await.Eventually(t, 30*time.Second, 20*time.Millisecond, func() error {
		if n, _, _ := load.counts(); n < 200 {
			return fmt.Errorf("only %d creates acknowledged", n)
		}
		return nil
	})

	killed := lead
	load.markKill()
	killedAt := time.Now()
	c.kill(killed)
	lead = c.leader()
	if lead == killed {
		t.Fatalf("member %d still leads after it was killed", lead.id)
	}
	t.Logf("member %d leads %s after the kill", lead.id, time.Since(killedAt).Round(time.Millisecond))

	await.Eventually(t, 30*time.Second, 20*time.Millisecond, func() error {
		if _, after, _ := load.counts(); after < 200 {
			return fmt.Errorf("only %d creates acknowledged since the kill", after)
		}
		return nil
	})
	await.Eventually(t, clientTimeout, 20*time.Millisecond, func() error {
		if s := roaming.State(); s != zk.StateHasSession {
			return fmt.Errorf("the roaming client is %v", s)
		}
		return nil
	})
	if got := roaming.SessionID(); got != session {
		t.Fatalf("the roaming client's session changed %#x → %#x", session, got)
	}
	ok, st, err := roaming.Exists("/roaming")
	if err != nil || !ok || st.EphemeralOwner != session {
		t.Fatalf("the roaming client's ephemeral after failover: exists %v, owner %#x, err %v", ok, st.EphemeralOwner, err)
	}

	acked := load.finish(t)
	n, after, failed := load.counts()
	t.Logf("load: %d creates acknowledged (%d called after the kill), %d failed", n, after, failed)
	checkAcked(t, "after the kill", acked, c.live())

	c.start(killed)
	checkAcked(t, "after the killed leader's restart", acked, []*member{killed})
	if ok, _, err := setup.Exists("/roaming"); err != nil || !ok {
		t.Fatalf("the roaming client's ephemeral after the restart: %v, %v", ok, err)
	}

	for _, m := range c.members {
		c.kill(m)
	}
	for _, m := range c.members {
		c.start(m)
	}
	t.Logf("member %d leads after every member was killed and restarted", c.leader().id)
	checkAcked(t, "after killing and restarting every member", acked, c.members)
}
