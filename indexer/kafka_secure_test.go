package indexer

import (
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/internal/pemtls"
	"github.com/sluicelogs/sluice/testkit/logcapture"
	"github.com/sluicelogs/sluice/testkit/testcluster"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// TestApacheKafkaSASLSSL: the indexer consumes from a real Apache Kafka
// 3.9 broker's SASL_SSL listener with SCRAM-SHA-512 (into a fake
// Elasticsearch: the Elasticsearch side's security has its own test). A
// wrong password and an unknown CA give a clear error in its log and
// index nothing; with the right settings every record is indexed and
// committed. No password is ever logged.
func TestApacheKafkaSASLSSL(t *testing.T) {
	const user, pass, topic, n = "indexer", "indexer-Secret-512", "secure-in", 500
	k := testpeer.StartKafkaSASLSSL(t, map[string]string{user: pass})
	other, err := pemtls.NewCA("a CA Kafka's certificate is not from", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	otherCA := filepath.Join(t.TempDir(), "other-ca.pem")
	if err := os.WriteFile(otherCA, other.PEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	fake := &fakeBulk{t: t, status: func(string) int { return 201 }}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	e := &hardEnv{broker: k.Addr, es: fake, esURL: srv.URL} // the test's own clients use PLAINTEXT
	var values [][]byte
	for i := range n {
		values = append(values, fmt.Appendf(nil, `{"message":"line %d"}`, i))
	}
	testcluster.CreateTopic(t, k.Addr, topic, 1)
	testcluster.CreateTopic(t, k.Addr, "sluice-dlq", 1)
	e.produce(t, topic, values...)

	config := func(password, ca string) Config {
		cfg := e.config(t, topic, "")
		cfg.Kafka.Hosts = []string{k.SASLAddr}
		cfg.Kafka.Username, cfg.Kafka.Password = user, password
		cfg.Kafka.SASL.Mechanism = "SCRAM-SHA-512"
		cfg.Kafka.SSL.CertificateAuthorities = []string{ca}
		return cfg
	}
	run := func(name string, cfg Config, wantLog string) {
		t.Helper()
		logger, out := logcapture.New()
		ix, err := New(cfg, logger)
		if err != nil {
			t.Fatal(err)
		}
		stop := testcluster.Run(t, "indexer", time.Minute, ix.Run)
		if wantLog != "" {
			await.Eventually(t, 2*time.Minute, 50*time.Millisecond, func() error {
				if !out.Contains(wantLog) {
					return fmt.Errorf("%s: no %q in the indexer's log yet:\n%s", name, wantLog, out)
				}
				return nil
			})
		} else {
			e.waitCommitted(t, cfg.Routes[0].Group, topic, n)
		}
		stop()
		if strings.Contains(out.String(), pass) {
			t.Errorf("%s: the indexer logged a password:\n%s", name, out)
		}
	}

	run("wrong password", config("wrong-"+pass, k.CAFile), "SASL_AUTHENTICATION_FAILED")
	run("unknown CA", config(pass, otherCA), "certificate signed by unknown authority")
	if lines, _ := fake.lines(); lines != 0 {
		t.Fatalf("%d bulk lines sent although the indexer could not authenticate to Kafka", lines)
	}
	run("right settings", config(pass, k.CAFile), "")
	if lines, _ := fake.lines(); lines < 2*n {
		t.Fatalf("%d bulk lines for %d records", lines, n)
	}
}
