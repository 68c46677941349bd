package broker

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// TestLoadAgainstSluiceProcesses runs a tiny load against a sluice
// coordinator and broker started as processes, and checks what the report
// and the table hold, not how fast anything was.
func TestLoadAgainstSluiceProcesses(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	bin := testpeer.SluiceBinary(t)
	cfg := Config{
		Targets: []string{TargetSluice},
		Load:    Load{Duration: 200 * time.Millisecond, Warmup: 50 * time.Millisecond, MaxBuffered: 256},
		Sluice:  bin,
		Dir:     t.TempDir(),
	}
	results, err := Compare(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 1 {
		t.Fatalf("%d results, want 1", len(results))
	}
	r := results[0]
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	var names []string
	for _, size := range []int{100, 1024} {
		names = append(names, ProduceName(size, AcksLeader), ProduceName(size, AcksAll))
	}
	names = append(names, ConsumeName(1024))
	for _, name := range names {
		p := r.Rounds[0].Phase(name)
		switch {
		case p == nil:
			t.Errorf("no phase %q in the report", name)
		case p.Errors != 0:
			t.Errorf("%s: %d errors, first %v", name, p.Errors, p.FirstErr)
		case p.Records == 0 || p.Bytes != p.Records*uint64(p.Size):
			t.Errorf("%s: %d records, %d bytes of %d-byte records", name, p.Records, p.Bytes, p.Size)
		case p.Acks != "" && p.Latency.Count() != p.Records:
			t.Errorf("%s: %d latencies for %d records", name, p.Latency.Count(), p.Records)
		}
	}
	if c, p := r.Rounds[0].Phase(ConsumeName(1024)), r.Rounds[0].Phase(ProduceName(1024, AcksLeader)); c != nil && p != nil && c.Records != p.Records {
		t.Errorf("consumed %d records, produced %d", c.Records, p.Records)
	}
	if r.BrokerRSS <= 0 || r.CoordRSS <= 0 {
		t.Errorf("RSS: broker %d, coordinator %d", r.BrokerRSS, r.CoordRSS)
	}

	var out bytes.Buffer
	if err := WriteTable(&out, results); err != nil {
		t.Fatal(err)
	}
	t.Logf("table:\n%s", out.String())
	for _, want := range append(names, "RSS MiB broker", "RSS MiB coordinator") {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
}

// TestClusterLoadAgainstSluiceProcesses runs a tiny acks=all load against
// three sluice brokers with a 3-member coordinator ensemble, on topics of
// replication factor 3 (created with a full ISR), and checks the report.
func TestClusterLoadAgainstSluiceProcesses(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cfg := Config{
		Targets: []string{TargetSluice},
		Brokers: 3,
		Load: Load{Replication: 3, Acks: []string{AcksAll}, Sizes: []int{1024},
			Duration: 200 * time.Millisecond, MaxBuffered: 256},
		Sluice: testpeer.SluiceBinary(t),
		Dir:    t.TempDir(),
	}
	results, err := Compare(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 1 || results[0].Err != nil {
		t.Fatalf("results %+v", results)
	}
	r := results[0]
	if got := len(r.Rounds[0].Phases); got != 2 {
		t.Errorf("%d phases, want produce and consume", got)
	}
	p, c := r.Rounds[0].Phase(ProduceName(1024, AcksAll)), r.Rounds[0].Phase(ConsumeName(1024))
	switch {
	case p == nil || c == nil:
		t.Fatalf("phases %+v", r.Rounds[0].Phases)
	case p.Errors != 0 || c.Errors != 0:
		t.Errorf("errors: produce %d (%v), consume %d (%v)", p.Errors, p.FirstErr, c.Errors, c.FirstErr)
	case p.Records == 0 || c.Records != p.Records:
		t.Errorf("produced %d, consumed %d", p.Records, c.Records)
	}
	if r.BrokerRSS <= 0 || r.CoordRSS <= 0 {
		t.Errorf("RSS: brokers %d, coordinator %d", r.BrokerRSS, r.CoordRSS)
	}
}

// TestSASLSSLLoadAgainstSluiceProcesses runs a tiny load over the
// SASL_SSL listener of a sluice broker process: the bench's user is made
// through the PLAINTEXT listener, the load client logs in with
// SCRAM-SHA-512 over TLS (it could not speak to that port otherwise), and
// every phase has its records.
func TestSASLSSLLoadAgainstSluiceProcesses(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cfg := Config{
		Targets:  []string{TargetSluice},
		Security: SecuritySASLSSL,
		Load:     Load{Sizes: []int{1024}, Duration: 200 * time.Millisecond, MaxBuffered: 256},
		Sluice:   testpeer.SluiceBinary(t),
		Dir:      t.TempDir(),
	}
	results, err := Compare(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 1 || results[0].Err != nil {
		t.Fatalf("results %+v", results)
	}
	rep := results[0].Rounds[0]
	for _, name := range []string{ProduceName(1024, AcksLeader), ProduceName(1024, AcksAll), ConsumeName(1024)} {
		p := rep.Phase(name)
		if p == nil || p.Records == 0 || p.Errors != 0 {
			t.Errorf("phase %s: %+v", name, p)
		}
	}
	if c, p := rep.Phase(ConsumeName(1024)), rep.Phase(ProduceName(1024, AcksLeader)); c != nil && p != nil && c.Records != p.Records {
		t.Errorf("consumed %d records over SASL_SSL, produced %d", c.Records, p.Records)
	}
}
