package agent_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicelogs/sluice/agent"
	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/internal/pemtls"
	"github.com/sluicelogs/sluice/testkit/logcapture"
	"github.com/sluicelogs/sluice/testkit/testcluster"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// TestApacheKafkaSASLSSL: the agent ships to a real Apache Kafka 3.9
// broker's SASL_SSL listener with SCRAM-SHA-512. A wrong password and an
// unknown CA each give a clear error in the agent's log and deliver
// nothing; the lines written meanwhile all arrive, once, when the agent
// restarts with the right settings (the registry only holds acknowledged
// offsets). No password is ever logged.
func TestApacheKafkaSASLSSL(t *testing.T) {
	const user, pass, topic, n = "alice", "alice-Secret-512", "secure-logs", 2000
	k := testpeer.StartKafkaSASLSSL(t, map[string]string{user: pass})
	logs, reg := t.TempDir(), t.TempDir()
	other, err := pemtls.NewCA("a CA Kafka's certificate is not from", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	otherCA := filepath.Join(t.TempDir(), "other-ca.pem")
	if err := os.WriteFile(otherCA, other.PEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	writeLines(t, filepath.Join(logs, "app.log"), "app", 0, n)
	c := consume(t, k.Addr, topic) // over the PLAINTEXT listener

	config := func(password, ca string) *agent.Config {
		text := agentYAML(logs, reg, k.SASLAddr, topic, "")
		sec := fmt.Sprintf("  username: %s\n  password: %q\n  sasl.mechanism: SCRAM-SHA-512\n  ssl.certificate_authorities: [%q]\n", user, password, ca)
		return parseConfig(t, strings.Replace(text, "queue.mem.events:", sec+"queue.mem.events:", 1))
	}
	run := func(name string, cfg *agent.Config, wantLog string) {
		t.Helper()
		logger, out := logcapture.New()
		a, err := agent.New(cfg, "test", nil, logger)
		if err != nil {
			t.Fatal(err)
		}
		stop := testcluster.Run(t, "agent", 30*time.Second, a.Run)
		if wantLog != "" {
			await.Eventually(t, 2*time.Minute, 50*time.Millisecond, func() error {
				if !out.Contains(wantLog) {
					return fmt.Errorf("%s: no %q in the agent's log yet:\n%s", name, wantLog, out)
				}
				return nil
			})
			for _, l := range strings.Split(out.String(), "\n") {
				if strings.Contains(l, wantLog) {
					t.Logf("%s: %s", name, l)
					break
				}
			}
		} else {
			awaitDelivered(t, c, map[string]int{"app": n})
		}
		stop()
		for _, secret := range []string{pass, "wrong-" + pass} {
			if out.Contains(secret) {
				t.Errorf("%s: the agent logged a password:\n%s", name, out)
			}
		}
	}

	run("wrong password", config("wrong-"+pass, k.CAFile), "SASL_AUTHENTICATION_FAILED")
	run("unknown CA", config(pass, otherCA), "certificate signed by unknown authority")
	if got := c.count(); got != 0 {
		t.Fatalf("%d events arrived although the agent could not authenticate", got)
	}
	run("right settings", config(pass, k.CAFile), "")
	files := map[string]int{"app": n}
	if dups := tally(t, c, files); dups != 0 {
		t.Fatalf("%d duplicates", dups)
	}
	if got := c.count(); got != n {
		t.Fatalf("%d events for %d lines", got, n)
	}
}
