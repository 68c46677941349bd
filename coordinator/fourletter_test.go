package coordinator_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/sluicelogs/sluice/coordinator/zkproto"
	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/testkit/testcluster"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// oneRead sends a four-letter word and returns what the first read of the
// answer brought and everything after it, as kazoo's command() reads.
func oneRead(t *testing.T, addr, word string) (first, rest string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := c.Write([]byte(word)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1<<20)
	n, err := c.Read(buf)
	if err != nil && err != io.EOF {
		t.Fatalf("%s: %v", word, err)
	}
	more, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("%s: %v", word, err)
	}
	return string(buf[:n]), string(more)
}

// fourLetterSetup gives a server the same client state on both sides: one
// session with an ephemeral /a, a data watch on /a, an exists watch on /b
// and a few reads.
func fourLetterSetup(t *testing.T, addr string) *zk.Conn {
	t.Helper()
	c, events, err := zk.Connect([]string{addr}, 20*time.Second, zk.WithLogInfo(false))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	for ev := range events {
		if ev.State == zk.StateHasSession {
			break
		}
	}
	if _, err := c.Create("/a", []byte("x"), zk.FlagEphemeral, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := c.GetW("/a"); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := c.ExistsW("/b"); err != nil {
		t.Fatal(err)
	}
	return c
}

var (
	summaryKey = regexp.MustCompile(`^zk_(avg|min|max|cnt|sum|p50|p95|p99|p999)_(.+)$`)
	sessionID  = regexp.MustCompile(`0x[0-9a-f]+`)
)

// mntrKeys are mntr's keys without ZooKeeper's timing summaries (the
// avg/min/max/cnt/sum/pNN sets of one measure, known by their cnt key).
func mntrKeys(text string) map[string]string {
	kv := map[string]string{}
	for _, l := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		k, v, _ := strings.Cut(l, "\t")
		kv[k] = v
	}
	out := map[string]string{}
	for k, v := range kv {
		if m := summaryKey.FindStringSubmatch(k); m != nil {
			if _, ok := kv["zk_cnt_"+m[2]]; ok {
				continue
			}
		}
		out[k] = v
	}
	return out
}

// lineKeys are the "key" parts of "key: value" or "key=value" lines.
func lineKeys(out, sep string) []string {
	var ks []string
	for _, l := range strings.Split(out, "\n") {
		if k, _, ok := strings.Cut(l, sep); ok {
			ks = append(ks, k)
		}
	}
	return ks
}

func sortedKeys(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// consKeys are the field names of the cons line of a session.
func consKeys(out string) []string {
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "sid=") {
			inner := l[strings.Index(l, "(")+1 : strings.LastIndex(l, ")")]
			var ks []string
			for _, f := range strings.Split(inner, ",") {
				k, _, _ := strings.Cut(f, "=")
				ks = append(ks, k)
			}
			return ks
		}
	}
	return nil
}

// TestFourLetterWordsMatchZooKeeper asks Apache ZooKeeper 3.8 and a sluice
// coordinator, each with one client in the same state, every four-letter
// word, and compares the answers: the same keys and lines, the values
// compared where both must agree. Each of sluice's answers arrives in one
// read.
func TestFourLetterWordsMatchZooKeeper(t *testing.T) {
	real := testpeer.StartZooKeeper(t)
	ours := testcluster.StartCoordinator(t, t.TempDir(), 100*time.Millisecond).Server.Addr()
	fourLetterSetup(t, real.Addr)
	fourLetterSetup(t, ours)
	ask := func(addr, word string) string {
		out, err := zkproto.FourLetter(context.Background(), addr, word)
		if err != nil {
			t.Fatalf("%s at %s: %v", word, addr, err)
		}
		return out
	}
	for _, word := range []string{"ruok", "isro", "srvr", "stat", "mntr", "conf", "cons", "dirs", "envi", "wchs", "wchc", "wchp", "crst", "srst"} {
		first, rest := oneRead(t, ours, word)
		if rest != "" || first == "" {
			t.Errorf("%s: answered in more than one write: %q then %q", word, first, rest)
		}
	}
	for _, word := range []string{"ruok", "isro", "wchs", "wchc", "wchp"} {
		z, s := ask(real.Addr, word), ask(ours, word)
		if sessionID.ReplaceAllString(z, "SID") != sessionID.ReplaceAllString(s, "SID") {
			t.Errorf("%s: ZooKeeper %q, sluice %q", word, z, s)
		}
	}

	zm, sm := mntrKeys(ask(real.Addr, "mntr")), mntrKeys(ask(ours, "mntr"))
	if zk, sk := sortedKeys(zm), sortedKeys(sm); !slices.Equal(zk, sk) {
		t.Errorf("mntr keys differ:\nZooKeeper %v\nsluice    %v", zk, sk)
	}
	for _, k := range []string{"zk_server_state", "zk_ephemerals_count", "zk_watch_count", "zk_global_sessions", "zk_local_sessions", "zk_outstanding_requests"} {
		if zm[k] != sm[k] {
			t.Errorf("mntr %s: ZooKeeper %q, sluice %q", k, zm[k], sm[k])
		}
	}

	for _, word := range []string{"srvr", "stat"} {
		z, s := ask(real.Addr, word), ask(ours, word)
		if zk, sk := lineKeys(z, ": "), lineKeys(s, ": "); len(zk) == 0 || !slices.Equal(zk, sk) {
			t.Errorf("%s lines: ZooKeeper %q, sluice %q", word, zk, sk)
		}
		if !strings.Contains(s, "Mode: standalone\n") {
			t.Errorf("%s: %q", word, s)
		}
	}
	clientLine := regexp.MustCompile(`(?m)^ /127\.0\.0\.1:\d+\[1\]\(queued=\d+,recved=\d+,sent=\d+\)$`)
	if s := ask(ours, "stat"); !clientLine.MatchString(s) {
		t.Errorf("stat lists no client as ZooKeeper does: %q", s)
	}
	if z, s := consKeys(ask(real.Addr, "cons")), consKeys(ask(ours, "cons")); len(z) == 0 || !slices.Equal(z, s) {
		t.Errorf("cons fields: ZooKeeper %q, sluice %q", z, s)
	}
	for _, c := range []struct{ word, sep string }{{"conf", "="}, {"dirs", ": "}} {
		if z, s := lineKeys(ask(real.Addr, c.word), c.sep), lineKeys(ask(ours, c.word), c.sep); len(z) == 0 || !slices.Equal(z, s) {
			t.Errorf("%s keys: ZooKeeper %q, sluice %q", c.word, z, s)
		}
	}
	// envi: ZooKeeper's keys, less the JVM's, plus the Go version.
	zenv := lineKeys(ask(real.Addr, "envi"), "=")
	for _, k := range lineKeys(ask(ours, "envi"), "=") {
		if k != "go.version" && !slices.Contains(zenv, k) {
			t.Errorf("envi: sluice prints %q, which ZooKeeper does not", k)
		}
	}
	for _, word := range []string{"crst", "srst"} {
		if z, s := ask(real.Addr, word), ask(ours, word); z != s {
			t.Errorf("%s: ZooKeeper %q, sluice %q", word, z, s)
		}
	}
}

// TestFourLetterStats: srvr counts packets and latencies, srst resets
// them, crst resets the connections' counters that cons shows.
func TestFourLetterStats(t *testing.T) {
	addr := testcluster.StartCoordinator(t, t.TempDir(), 100*time.Millisecond).Server.Addr()
	c := fourLetterSetup(t, addr)
	const reads = 100
	for range reads {
		if _, _, err := c.Get("/a"); err != nil {
			t.Fatal(err)
		}
	}
	ask := func(word string) string {
		out, err := zkproto.FourLetter(context.Background(), addr, word)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	counter := func(out, re string) int {
		m := regexp.MustCompile(re).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("no %s in %q", re, out)
		}
		n := 0
		for _, d := range m[1] {
			n = n*10 + int(d-'0')
		}
		return n
	}
	srvr := ask("srvr")
	if got := counter(srvr, `Received: (\d+)`); got < reads {
		t.Errorf("Received: %d after %d reads:\n%s", got, reads, srvr)
	}
	if got := counter(srvr, `Sent: (\d+)`); got < reads {
		t.Errorf("Sent: %d after %d reads:\n%s", got, reads, srvr)
	}
	if m := mntrKeys(ask("mntr")); m["zk_packets_received"] == "0" || m["zk_max_client_response_size"] == "-1" {
		t.Errorf("mntr counts nothing: %v", m)
	}
	if got := counter(ask("cons"), `recved=(\d+)`); got < reads {
		t.Errorf("cons recved=%d after %d reads", got, reads)
	}
	if out := ask("srst"); out != "Server stats reset.\n" {
		t.Fatalf("srst: %q", out)
	}
	srvr = ask("srvr")
	if !strings.Contains(srvr, "Latency min/avg/max: 0/0.0/0\n") || counter(srvr, `Received: (\d+)`) >= reads {
		t.Errorf("after srst:\n%s", srvr)
	}
	if out := ask("crst"); out != "Connection stats reset.\n" {
		t.Fatalf("crst: %q", out)
	}
	if got := counter(ask("cons"), `recved=(\d+)`); got >= reads {
		t.Errorf("cons recved=%d after crst", got)
	}
}

// TestMntrEnsembleKeysMatchZooKeeper: on a three-member ensemble, the
// leader's and a follower's mntr have the keys ZooKeeper 3.8's have
// (zk_peer_state and zk_quorum_size; the leader's zk_learners,
// zk_synced_followers, …), and the same values where both must agree.
func TestMntrEnsembleKeysMatchZooKeeper(t *testing.T) {
	byMode := func(addrs []string) map[string]map[string]string {
		out := map[string]map[string]string{}
		await.Eventually(t, time.Minute, 50*time.Millisecond, func() error {
			for _, a := range addrs {
				m, err := zkproto.FourLetter(context.Background(), a, "mntr")
				if err != nil {
					return err
				}
				kv := mntrKeys(m)
				out[kv["zk_server_state"]] = kv
			}
			if out["leader"] == nil || out["follower"] == nil || out["leader"]["zk_synced_followers"] != "2" {
				return fmt.Errorf("no leader with two synced followers yet: %v", out["leader"])
			}
			return nil
		})
		return out
	}
	real := byMode(testpeer.StartZooKeeperEnsemble(t, 3))
	ours := byMode(testcluster.StartEnsemble(t, 3, 100*time.Millisecond))
	for _, mode := range []string{"leader", "follower"} {
		if z, s := sortedKeys(real[mode]), sortedKeys(ours[mode]); !slices.Equal(z, s) {
			t.Errorf("%s mntr keys differ:\nZooKeeper %v\nsluice    %v", mode, z, s)
		}
		for _, k := range []string{"zk_peer_state", "zk_quorum_size", "zk_learners", "zk_synced_followers", "zk_synced_observers", "zk_synced_non_voting_followers"} {
			if real[mode][k] != ours[mode][k] {
				t.Errorf("%s mntr %s: ZooKeeper %q, sluice %q", mode, k, real[mode][k], ours[mode][k])
			}
		}
	}
}
