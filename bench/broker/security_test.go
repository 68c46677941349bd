package broker

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	sluicebroker "github.com/sluicelogs/sluice/broker"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

func TestParseSecurity(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // joined with ","; "" for an error
	}{
		{"plaintext", "plaintext"},
		{"sasl_ssl", "sasl_ssl"},
		{" plaintext , SASL_SSL", "plaintext,sasl_ssl"},
		{"sasl_ssl,plaintext", "sasl_ssl,plaintext"},
		{"ssl", ""},
		{"plaintext,plaintext", ""},
		{"", ""},
	} {
		got, err := ParseSecurity(tc.in)
		if tc.want == "" {
			if err == nil {
				t.Errorf("ParseSecurity(%q) = %v, want an error", tc.in, got)
			}
			continue
		}
		if err != nil || strings.Join(got, ",") != tc.want {
			t.Errorf("ParseSecurity(%q) = %v, %v; want %s", tc.in, got, err, tc.want)
		}
	}
}

// TestSASLSSLConfigs: both targets get the same SASL_SSL listener (its own
// port per broker), key store, trust store and SCRAM-SHA-512 login module,
// with PLAINTEXT kept as the listener the brokers replicate over; the
// sluice configuration survives a write and a load without a warning.
func TestSASLSSLConfigs(t *testing.T) {
	dir := t.TempDir()
	s, err := newSASLSSL(filepath.Join(dir, "pki"), 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Addrs()) != 2 || s.Addrs()[0] == s.Addrs()[1] {
		t.Fatalf("SASL_SSL addresses %v, want two different", s.Addrs())
	}
	var spec testpeer.BrokersSpec
	s.apply(&spec)
	if len(spec.KafkaSCRAM) != 1 || spec.KafkaSCRAM[0] != "SCRAM-SHA-512=[name=bench,password=bench-secret]" {
		t.Errorf("Kafka SCRAM users %q", spec.KafkaSCRAM)
	}
	props := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(spec.KafkaProperties(2, 9092, 9093)), "\n") {
		k, v, _ := strings.Cut(line, "=")
		props[k] = v
	}
	wantKafka := map[string]string{
		"listeners":                      "PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093,SASL_SSL://" + s.Addrs()[1],
		"advertised.listeners":           "PLAINTEXT://127.0.0.1:9092,SASL_SSL://" + s.Addrs()[1],
		"listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL",
		"sasl.enabled.mechanisms":        "SCRAM-SHA-512",
		"listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config": testpeer.ScramJAAS,
		"ssl.keystore.location":                                 s.keyStore,
		"ssl.truststore.location":                               s.caFile,
	}
	for k, v := range wantKafka {
		if props[k] != v {
			t.Errorf("Kafka %s=%q, want %q", k, props[k], v)
		}
	}
	if _, ok := props["inter.broker.listener.name"]; ok {
		t.Error("the Kafka lines change the inter-broker listener (run.sh's PLAINTEXT)")
	}

	cfg, err := testpeer.BrokerConfig(filepath.Join(dir, "broker2"), 2, 9092, "127.0.0.1:2181", 1)
	if err != nil {
		t.Fatal(err)
	}
	spec.Configure(2, &cfg)
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	path, err := testpeer.WriteBrokerConfig(filepath.Join(dir, "broker2"), cfg)
	if err != nil {
		t.Fatal(err)
	}
	loaded, warnings, err := sluicebroker.LoadConfig(path)
	if err != nil || len(warnings) > 0 {
		t.Fatalf("the sluice configuration loads with %v, warnings %v", err, warnings)
	}
	ls := loaded.AllListeners()
	if len(ls) != 2 || ls[0].Name != "PLAINTEXT" || ls[1].Name != "SASL_SSL" || ls[1].Addr != s.Addrs()[1] ||
		loaded.Protocol("SASL_SSL") != "SASL_SSL" || loaded.InterBrokerListener != "" {
		t.Errorf("sluice listeners %+v, inter-broker %q", ls, loaded.InterBrokerListener)
	}
	if loaded.SSL.KeystoreLocation != s.keyStore || loaded.SSL.TruststoreLocation != s.caFile ||
		strings.Join(loaded.SASL.EnabledMechanisms, ",") != "SCRAM-SHA-512" {
		t.Errorf("sluice SSL %+v, SASL %+v", loaded.SSL, loaded.SASL)
	}
	if _, err := s.ClientOpts(); err != nil {
		t.Error(err)
	}
}

// TestWriteSecurityRatios: a row per phase with each setting's
// sluice/kafka ratio and what SASL_SSL costs each target; a target that
// failed shows "-".
func TestWriteSecurityRatios(t *testing.T) {
	name := ProduceName(1024, AcksLeader)
	result := func(target string, records uint64) Result {
		p := Phase{Name: name, Size: 1024, Acks: AcksLeader, Records: records, Elapsed: time.Second}
		return Result{Target: target, Rounds: []*Report{{Phases: []Phase{p}}}}
	}
	plain := []Result{result(TargetSluice, 1000), result(TargetKafka, 800)}
	secure := []Result{result(TargetSluice, 900), result(TargetKafka, 600)}
	var out bytes.Buffer
	if err := WriteSecurityRatios(&out, []string{SecurityPlaintext, SecuritySASLSSL}, [][]Result{plain, secure}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "SASL_SSL sluice/kafka") {
		t.Fatalf("table:\n%s", out.String())
	}
	if got := strings.Fields(lines[1]); strings.Join(got[len(got)-4:], " ") != "1.25 1.50 0.90 0.75" {
		t.Errorf("row %q, want ratios 1.25 1.50 0.90 0.75", lines[1])
	}
	secure[1].Err = context.Canceled
	out.Reset()
	if err := WriteSecurityRatios(&out, []string{SecurityPlaintext, SecuritySASLSSL}, [][]Result{plain, secure}); err != nil {
		t.Fatal(err)
	}
	if got := strings.Fields(strings.Split(strings.TrimSpace(out.String()), "\n")[1]); strings.Join(got[len(got)-4:], " ") != "1.25 - 0.90 -" {
		t.Errorf("with Kafka's SASL_SSL run failed: %v", got)
	}
}

func TestSummaryRowsSASLSSL(t *testing.T) {
	p := Phase{Name: ConsumeName(1024), Size: 1024, Records: 10, Elapsed: time.Second}
	results := []Result{{Target: TargetSluice, Rounds: []*Report{{Phases: []Phase{p}}}, BrokerRSS: 1 << 20, CoordRSS: -1}}
	rows := SummaryRows(results, 1, 1, SecuritySASLSSL)
	if len(rows) != 2 || rows[0].Measure != "consume 1 KiB rec/s, 1 broker, SASL_SSL" || rows[1].Measure != "RSS MiB total, 1 broker, SASL_SSL" {
		t.Errorf("rows %+v", rows)
	}
}
