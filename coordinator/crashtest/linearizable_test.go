package crashtest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/go-zookeeper/zk"
)

// The linearizability check runs clients against a set of registers, the
// znodes /lin/k0 … /lin/k4, while members are killed and restarted, records
// every operation's call and return, and asks porcupine whether some
// sequential order of the operations, consistent with real time, explains
// every answer.
//
// The model of one register is the znode's (data, data version), starting
// at ("init", 0) as the test creates it. The operations:
//
//   - read: sync(path) then getData(path). ZooKeeper reads are only
//     sequentially consistent (a member answers from its own tree); sync is
//     a Raft ReadIndex, after which the member has applied every write
//     committed before the sync began, so the pair reads the latest
//     committed state: linearizable. A read that fails is left out of the
//     history: it changed nothing and returned nothing.
//   - write: setData(path, v, -1), which always applies: (v, version+1).
//     The reply's stat must carry version+1.
//   - cas: setData(path, v, expected), ZooKeeper's compare-and-set on the
//     data version: if the version is expected it applies, (v, expected+1),
//     and the reply's stat carries expected+1; otherwise it must fail with
//     BADVERSION and change nothing.
//
// Every value written is unique, so a read names the write it saw.
//
// A write or cas that fails with anything but a definite answer (connection
// loss, session expiry, a closing client) may or may not have been applied,
// now or later. It is recorded with output "unknown", which the model
// accepts in either outcome, and with a return time of +∞: porcupine may
// then place it anywhere after its call, including after every other
// operation, which is the same as never. The client that issued it is given
// a new porcupine client id, as a crashed process would be.

const (
	linKeys    = 5
	linClients = 5
	linRun     = 16 * time.Second
	linPause   = 3 * time.Millisecond
)

type linOp int

const (
	opRead linOp = iota
	opWrite
	opCAS
)

type linInput struct {
	Key    int
	Op     linOp
	Value  string // write, cas
	Expect int32  // cas: the data version it requires
}

type linOutput struct {
	Unknown    bool // a write or cas whose outcome is not known
	BadVersion bool // a cas refused
	Value      string
	Version    int32 // read: the data version; write, cas: the version after it
}

type register struct {
	Value   string
	Version int32
}

var registerModel = porcupine.Model{
	Partition: func(history []porcupine.Operation) [][]porcupine.Operation {
		byKey := map[int][]porcupine.Operation{}
		for _, op := range history {
			k := op.Input.(linInput).Key
			byKey[k] = append(byKey[k], op)
		}
		keys := make([]int, 0, len(byKey))
		for k := range byKey {
			keys = append(keys, k)
		}
		sort.Ints(keys)
		out := make([][]porcupine.Operation, 0, len(keys))
		for _, k := range keys {
			out = append(out, byKey[k])
		}
		return out
	},
	Init: func() any { return register{Value: "init"} },
	Step: func(state, input, output any) (bool, any) {
		s, in, out := state.(register), input.(linInput), output.(linOutput)
		switch in.Op {
		case opRead:
			return out.Value == s.Value && out.Version == s.Version, s
		case opWrite:
			next := register{Value: in.Value, Version: s.Version + 1}
			return out.Unknown || !out.BadVersion && out.Version == next.Version, next
		case opCAS:
			if s.Version != in.Expect {
				return out.Unknown || out.BadVersion, s
			}
			next := register{Value: in.Value, Version: s.Version + 1}
			return out.Unknown || !out.BadVersion && out.Version == next.Version, next
		}
		return false, s
	},
	DescribeOperation: func(input, output any) string {
		in, out := input.(linInput), output.(linOutput)
		var res string
		switch {
		case out.Unknown:
			res = "unknown"
		case out.BadVersion:
			res = "BADVERSION"
		case in.Op == opRead:
			res = fmt.Sprintf("%q v%d", out.Value, out.Version)
		default:
			res = fmt.Sprintf("ok v%d", out.Version)
		}
		switch in.Op {
		case opRead:
			return fmt.Sprintf("read(k%d) → %s", in.Key, res)
		case opWrite:
			return fmt.Sprintf("write(k%d, %q) → %s", in.Key, in.Value, res)
		default:
			return fmt.Sprintf("cas(k%d, v%d, %q) → %s", in.Key, in.Expect, in.Value, res)
		}
	},
	DescribeState: func(state any) string {
		s := state.(register)
		return fmt.Sprintf("%q v%d", s.Value, s.Version)
	},
}

// history collects the operations of every client.
type history struct {
	start time.Time // timestamps are monotonic nanoseconds since start

	mu       sync.Mutex
	ops      []porcupine.Operation
	nextID   int
	dropped  int // failed reads
	unknown  int
	badVer   int
	complete int
}

func (h *history) now() int64 { return int64(time.Since(h.start)) }

func (h *history) newClient() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.nextID++
	return h.nextID - 1
}

func (h *history) add(op porcupine.Operation) {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := op.Output.(linOutput)
	switch {
	case out.Unknown:
		h.unknown++
	case out.BadVersion:
		h.badVer++
		h.complete++
	default:
		h.complete++
	}
	h.ops = append(h.ops, op)
}

func (h *history) drop() {
	h.mu.Lock()
	h.dropped++
	h.mu.Unlock()
}

// linClient runs random operations until stop is closed. Its cas expects
// the last version it saw of the key, so that some succeed and some not.
func linClient(h *history, conn *zk.Conn, worker int, stop <-chan struct{}) {
	rng := rand.New(rand.NewPCG(uint64(worker), uint64(time.Now().UnixNano())))
	id := h.newClient()
	seen := make([]int32, linKeys)
	for n := 0; ; n++ {
		select {
		case <-stop:
			return
		default:
		}
		in := linInput{Key: rng.IntN(linKeys), Value: fmt.Sprintf("w%d-%d", worker, n)}
		path := fmt.Sprintf("/lin/k%d", in.Key)
		switch r := rng.IntN(10); {
		case r < 4:
			in.Op, in.Value = opRead, ""
		case r < 7:
			in.Op = opWrite
		default:
			in.Op, in.Expect = opCAS, seen[in.Key]
		}
		// A short pause bounds the history's length, and so the checker's
		// time, on a fast machine.
		time.Sleep(linPause)
		call := h.now()
		var out linOutput
		var err error
		switch in.Op {
		case opRead:
			var data []byte
			var st *zk.Stat
			if _, err = conn.Sync(path); err == nil {
				data, st, err = conn.Get(path)
			}
			if err != nil {
				h.drop()
				time.Sleep(20 * time.Millisecond)
				continue
			}
			out.Value, out.Version = string(data), st.Version
		case opWrite, opCAS:
			version := int32(-1)
			if in.Op == opCAS {
				version = in.Expect
			}
			var st *zk.Stat
			st, err = conn.Set(path, []byte(in.Value), version)
			switch {
			case err == nil:
				out.Version = st.Version
			case in.Op == opCAS && err == zk.ErrBadVersion:
				out.BadVersion = true
			default:
				out.Unknown = true
			}
		}
		ret := h.now()
		if out.Unknown {
			ret = math.MaxInt64
		}
		h.add(porcupine.Operation{ClientId: id, Input: in, Call: call, Output: out, Return: ret})
		switch {
		case out.Unknown:
			id = h.newClient() // this client's process "crashed"
			time.Sleep(20 * time.Millisecond)
		case !out.BadVersion:
			seen[in.Key] = out.Version
		}
	}
}

// TestLinearizable checks a history of reads, writes and compare-and-sets,
// recorded while members are killed (-9) and restarted, for linearizability.
func TestLinearizable(t *testing.T) {
	c := startCluster(t, 3, 1)
	c.leader()
	setup := connect(t, c.addrs())
	if _, err := setup.Create("/lin", nil, 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatalf("create /lin: %v", err)
	}
	for k := range linKeys {
		if _, err := setup.Create(fmt.Sprintf("/lin/k%d", k), []byte("init"), 0, zk.WorldACL(zk.PermAll)); err != nil {
			t.Fatalf("create /lin/k%d: %v", k, err)
		}
	}

	h := &history{start: time.Now()}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range linClients {
		conn := connect(t, c.addrs()) // go-zookeeper picks a random member first
		wg.Add(1)
		go func() { defer wg.Done(); linClient(h, conn, w, stop) }() // ends when stop is closed
	}
	stopped := false
	stopClients := func() {
		if stopped {
			return
		}
		stopped = true
		close(stop)
		waitFor(t, &wg, 30*time.Second, "the clients' last calls")
	}
	defer stopClients()

	// Chaos, in the test goroutine: one member at a time is killed and
	// restarted, the leader every other time, so that a majority is up
	// except for the moments a member takes to start.
	rng := rand.New(rand.NewPCG(1, uint64(time.Now().UnixNano())))
	deadline := time.Now().Add(linRun)
	var kills []string
	for round := 0; time.Now().Before(deadline); round++ {
		time.Sleep(time.Duration(800+rng.IntN(700)) * time.Millisecond)
		var victim *member
		if round%2 == 0 {
			victim = c.leader()
		} else {
			victim = c.members[rng.IntN(len(c.members))]
		}
		c.kill(victim)
		kills = append(kills, fmt.Sprintf("%d@%.1fs", victim.id, time.Since(h.start).Seconds()))
		time.Sleep(time.Duration(500+rng.IntN(1500)) * time.Millisecond)
		c.start(victim)
	}
	c.leader()
	time.Sleep(time.Second) // some operations on the whole ensemble again
	stopClients()

	h.mu.Lock()
	ops := append([]porcupine.Operation(nil), h.ops...)
	t.Logf("kills (member@time): %s", strings.Join(kills, " "))
	t.Logf("history: %d operations: %d answered (%d BADVERSION), %d unknown; %d failed reads left out",
		len(ops), h.complete, h.badVer, h.unknown, h.dropped)
	h.mu.Unlock()
	if h.complete < 100 {
		t.Fatalf("only %d operations were answered: the ensemble did not serve under the chaos", h.complete)
	}

	began := time.Now()
	res := porcupine.CheckOperationsTimeout(registerModel, ops, 60*time.Second)
	t.Logf("porcupine: %s in %s", res, time.Since(began).Round(time.Millisecond))
	if res != porcupine.Ok {
		// Again, keeping what the visualization needs (slower).
		_, info := porcupine.CheckOperationsVerbose(registerModel, ops, 60*time.Second)
		// Not t.TempDir: it is removed when the test ends, and the file is
		// for a person to open afterwards.
		dir, err := os.MkdirTemp("", "sluice-linearizability-")
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "history.html")
		if err := porcupine.VisualizePath(registerModel, info, path); err != nil {
			t.Errorf("visualization: %v", err)
		}
		t.Fatalf("the history is %s (not linearizable, or not decided within 60s); visualization: %s", res, path)
	}
}

// TestRegisterModel checks the model itself on small histories, so that a
// model that accepts everything cannot pass TestLinearizable.
func TestRegisterModel(t *testing.T) {
	op := func(client int, in linInput, call int64, out linOutput, ret int64) porcupine.Operation {
		return porcupine.Operation{ClientId: client, Input: in, Call: call, Output: out, Return: ret}
	}
	write := linInput{Key: 0, Op: opWrite, Value: "a"}
	read := linInput{Key: 0, Op: opRead}
	cases := []struct {
		name    string
		history []porcupine.Operation
		want    porcupine.CheckResult
	}{
		{"read after an acknowledged write sees it", []porcupine.Operation{
			op(0, write, 0, linOutput{Version: 1}, 10),
			op(1, read, 20, linOutput{Value: "a", Version: 1}, 30),
		}, porcupine.Ok},
		{"stale read after an acknowledged write", []porcupine.Operation{
			op(0, write, 0, linOutput{Version: 1}, 10),
			op(1, read, 20, linOutput{Value: "init", Version: 0}, 30),
		}, porcupine.Illegal},
		{"unknown write seen", []porcupine.Operation{
			op(0, write, 0, linOutput{Unknown: true}, math.MaxInt64),
			op(1, read, 20, linOutput{Value: "a", Version: 1}, 30),
		}, porcupine.Ok},
		{"unknown write not seen", []porcupine.Operation{
			op(0, write, 0, linOutput{Unknown: true}, math.MaxInt64),
			op(1, read, 20, linOutput{Value: "init", Version: 0}, 30),
		}, porcupine.Ok},
		{"unknown write seen, then unseen", []porcupine.Operation{
			op(0, write, 0, linOutput{Unknown: true}, math.MaxInt64),
			op(1, read, 20, linOutput{Value: "a", Version: 1}, 30),
			op(1, read, 40, linOutput{Value: "init", Version: 0}, 50),
		}, porcupine.Illegal},
		{"cas on the current version", []porcupine.Operation{
			op(0, linInput{Key: 0, Op: opCAS, Value: "b", Expect: 0}, 0, linOutput{Version: 1}, 10),
		}, porcupine.Ok},
		{"cas on a stale version succeeds", []porcupine.Operation{
			op(0, write, 0, linOutput{Version: 1}, 10),
			op(1, linInput{Key: 0, Op: opCAS, Value: "b", Expect: 0}, 20, linOutput{Version: 1}, 30),
		}, porcupine.Illegal},
		{"cas on the current version refused", []porcupine.Operation{
			op(0, linInput{Key: 0, Op: opCAS, Value: "b", Expect: 0}, 0, linOutput{BadVersion: true}, 10),
		}, porcupine.Illegal},
		{"write acknowledged with a wrong version", []porcupine.Operation{
			op(0, write, 0, linOutput{Version: 2}, 10),
		}, porcupine.Illegal},
	}
	for _, tc := range cases {
		if got := porcupine.CheckOperationsTimeout(registerModel, tc.history, 10*time.Second); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}
