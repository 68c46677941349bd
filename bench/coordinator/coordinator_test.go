package coordinator

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// TestLoadAgainstSluiceProcess runs a tiny load with 2 clients against a
// sluice standalone coordinator started as a process from a fresh build (or
// $SLUICE_BIN), and checks what the report holds, not how fast it was.
func TestLoadAgainstSluiceProcess(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := testpeer.EnsembleFor(t, testpeer.EnsembleSpec{Kind: TargetSluice, Members: 1, Sluice: testpeer.SluiceBinary(t)})

	const ops = 40
	l := Load{Servers: c.Addrs(), Clients: 2, Ops: ops, Warmup: 50 * time.Millisecond}
	rep, err := l.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"create", "setData", "getData"} {
		p := rep.Phase(name)
		switch {
		case p == nil:
			t.Fatalf("no %s phase in %+v", name, rep.Phases)
		case p.Errors != 0:
			t.Errorf("%s: %d errors, first %v", name, p.Errors, p.FirstErr)
		case p.Ops != ops || p.Latency.Count() != ops:
			t.Errorf("%s: %d ops, %d latencies, want %d", name, p.Ops, p.Latency.Count(), ops)
		}
	}
	before, err := c.RSS()
	if err != nil || before[0] <= 0 {
		t.Fatalf("RSS before fill: %v %v", before, err)
	}
	fill, err := l.Fill(ctx, rep.Parent, 1234)
	if err != nil {
		t.Fatal(err)
	}
	if fill.Ops != 1234 || fill.Errors != 0 {
		t.Errorf("fill created %d znodes with %d errors (%v), want 1234 and none", fill.Ops, fill.Errors, fill.FirstErr)
	}
	after, err := c.RSS()
	if err != nil || after[0] <= 0 {
		t.Fatalf("RSS after fill: %v %v", after, err)
	}

	var out bytes.Buffer
	res := []Result{{Target: TargetSluice, Members: 1, Rounds: []*Report{rep}, Fill: &fill, RSSBefore: before, RSSAfter: after}}
	if err := WriteTable(&out, res); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"create", "setData", "getData", "fill", "RSS MiB after fill"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
}
