package attack

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// childFromEnv is how a test binary becomes the attacker process: the
// test's Config.Attacker runs the test binary itself with this variable
// set, and TestMain hands the arguments to ChildMain.
const childFromEnv = "SLUICE_ATTACK_CHILD"

// testAttacker is Config.Attacker for tests: the test binary, as child.
func testAttacker(args []string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), childFromEnv+"=1")
	return cmd
}

func TestMain(m *testing.M) {
	if os.Getenv(childFromEnv) != "" {
		if err := ChildMain(context.Background(), os.Stdout, os.Stderr, os.Args[1:]); err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestEveryAttackLeavesNodesUp runs every attack once, small and short,
// and checks only that it ran and every node stayed up and answered
// afterwards: no memory or latency thresholds, which a shared machine
// would make flaky.
func TestEveryAttackLeavesNodesUp(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	var progress bytes.Buffer
	results, err := Run(ctx, Config{Sluice: testpeer.SluiceBinary(t), Dir: t.TempDir(), Duration: 300 * time.Millisecond, Small: true, Progress: &progress, Attacker: testAttacker})
	if err != nil {
		t.Fatalf("%v\n%s", err, progress.String())
	}
	if len(results) != len(Suite()) {
		t.Fatalf("%d results for %d attacks", len(results), len(Suite()))
	}
	for _, r := range results {
		switch {
		case r.Err != nil:
			t.Errorf("%s: did not run: %v", r.Attack.Name, r.Err)
		case len(r.Down) > 0:
			t.Errorf("%s: %s", r.Attack.Name, strings.Join(r.Down, "; "))
		case r.Unloaded.Count() == 0 || r.Loaded.Count() == 0:
			t.Errorf("%s: the normal client made %d requests unloaded, %d under attack", r.Attack.Name, r.Unloaded.Count(), r.Loaded.Count())
		case r.IdleRSS <= 0 || r.PeakRSS <= 0:
			t.Errorf("%s: RSS idle %d, peak %d", r.Attack.Name, r.IdleRSS, r.PeakRSS)
		case r.Saw == "" || strings.Contains(r.Saw, "attacker process"):
			t.Errorf("%s: the attacker process said %q", r.Attack.Name, r.Saw)
		}
	}
	var table bytes.Buffer
	if err := WriteTable(&table, results); err != nil {
		t.Fatal(err)
	}
	for _, a := range Suite() {
		if !strings.Contains(table.String(), a.Name) {
			t.Errorf("the table has no row for %s:\n%s", a.Name, table.String())
		}
	}
	if rows := SummaryRows(results); len(rows) < 2*len(results) {
		t.Errorf("%d summary rows for %d attacks", len(rows), len(results))
	}
}

// TestEmptyTopics: the array-bodies frames have the size they claim, are
// at most the size asked for, and are refused by kmsg only if at all for
// their elements, not their framing: the array count is what is left.
func TestEmptyTopics(t *testing.T) {
	for _, tc := range []struct {
		req          kmsg.Request
		version      int16
		cut          int
		entry, trail []byte
	}{
		{kmsg.NewPtrFetchRequest(), 12, 4, []byte{1, 1, 0}, []byte{1, 1, 0}},
		{kmsg.NewPtrProduceRequest(), 9, 2, []byte{1, 1, 0}, []byte{0}},
	} {
		b := emptyTopics(tc.req, tc.version, tc.cut, tc.entry, tc.trail, 1<<20)
		if n := int(binary.BigEndian.Uint32(b)); n != len(b)-4 || len(b) > 1<<20 || len(b) < 1<<20-16 {
			t.Errorf("%s: frame of %d bytes claims %d", kmsg.Key(tc.req.Key()).Name(), len(b), n)
		}
		if key := kmsg.Key(binary.BigEndian.Uint16(b[4:])); int16(key) != tc.req.Key() {
			t.Errorf("%s: frame says API %s", kmsg.Key(tc.req.Key()).Name(), key.Name())
		}
	}
}

// TestAttackerCommand: with a core, the attacker runs under taskset on
// it; without, as itself.
func TestAttackerCommand(t *testing.T) {
	if got := AttackerCommand("/b/sluice-bench", "1")([]string{"-attack", "x"}).Args; !slices.Equal(got,
		[]string{"taskset", "-c", "1", "/b/sluice-bench", "attack", "child", "-attack", "x"}) {
		t.Errorf("on core 1: %q", got)
	}
	if got := AttackerCommand("/b/sluice-bench", "")([]string{"-attack", "x"}).Args; !slices.Equal(got,
		[]string{"/b/sluice-bench", "attack", "child", "-attack", "x"}) {
		t.Errorf("unpinned: %q", got)
	}
}
