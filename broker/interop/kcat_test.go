package interop_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sluicelogs/sluice/broker"
	"github.com/sluicelogs/sluice/testkit/brokertest"
	"github.com/sluicelogs/sluice/testkit/testcluster"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

func TestKcat(t *testing.T) {
	zkAddr := testcluster.Coordinator(t)
	b := testcluster.StartBroker(t, 1, zkAddr, "")
	addr := b.Addr()
	testcluster.CreateTopic(t, addr, "magedu", 3)
	testpeer.Used(t, "kcat", "against the sluice broker")

	meta := brokertest.Kcat(t, "", "-b", addr, "-L")
	for _, want := range []string{"1 brokers:", "broker 1 at 127.0.0.1", `topic "magedu" with 3 partitions:`, "partition 0, leader 1, replicas: 1, isrs: 1"} {
		if !strings.Contains(meta, want) {
			t.Fatalf("kcat -L lacks %q:\n%s", want, meta)
		}
	}

	const n = 10000
	var lines strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&lines, "line-%05d\n", i)
	}
	brokertest.Kcat(t, lines.String(), "-b", addr, "-t", "magedu", "-P", "-X", "acks=all")

	got := strings.Split(strings.TrimSpace(brokertest.Kcat(t, "", "-b", addr, "-t", "magedu", "-C", "-e", "-q", "-f", "%s\n")), "\n")
	sort.Strings(got)
	if len(got) != n {
		t.Fatalf("kcat -C read %d records, want %d", len(got), n)
	}
	for i, v := range got {
		if want := fmt.Sprintf("line-%05d", i); v != want {
			t.Fatalf("record %d = %q, want %q", i, v, want)
		}
	}

	// Group mode: a balanced consumer reads everything and commits.
	out := brokertest.Kcat(t, "", "-b", addr, "-G", "kcat-group", "-e", "-q", "-f", "%s\n", "-X", "auto.offset.reset=earliest", "magedu")
	if c := strings.Count(out, "\n"); c != n {
		t.Fatalf("kcat -G read %d records, want %d", c, n)
	}

	// The broker's Prometheus metrics saw all that.
	reg := prometheus.NewRegistry()
	reg.MustRegister(b.Collectors()...)
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			key := f.GetName()
			for _, l := range m.GetLabel() {
				key += "/" + l.GetValue()
			}
			seen[key] = m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	if seen["sluice_broker_requests_total/Produce"] < 1 || seen["sluice_broker_fetch_bytes_total"] < 1 || seen["sluice_broker_partitions"] != 3+float64(broker.Defaults().OffsetsPartitions) {
		t.Fatalf("metrics: %v", seen)
	}
}
