package agent

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicelogs/sluice/internal/pemtls"
)

// TestConfigSecurityKeys reads Filebeat's TLS and SASL keys of
// output.kafka, dotted and nested, with ${VAR} references.
func TestConfigSecurityKeys(t *testing.T) {
	dir := t.TempDir()
	ca, err := pemtls.NewCA("ca", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caFile, ca.PEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SLUICE_TEST_KAFKA_PASS", "s3cr#t: x")
	text := validYAML + `  username: alice
  password: ${SLUICE_TEST_KAFKA_PASS}
  sasl.mechanism: SCRAM-SHA-512
  ssl:
    certificate_authorities: ["${SLUICE_TEST_DIR:` + dir + `}/ca.pem"]
    verification_mode: certificate
`
	c, err := ParseConfig("agent.yml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	k := c.Output.Kafka
	if k.Password != "s3cr#t: x" || k.SASL.Mechanism != "SCRAM-SHA-512" || k.SSL.Config() == nil || k.SSL.CertificateAuthorities[0] != caFile {
		t.Fatalf("got %+v", k.Kafka)
	}
	if n := len(kgoOptions(k, 10)) - len(kgoOptions(&KafkaConfig{Partition: "hash", RequiredAcks: k.RequiredAcks, Compression: "zstd"}, 10)); n != 2 {
		t.Fatalf("%d more options with TLS and SASL, want 2", n)
	}
}

func TestConfigSecurityErrors(t *testing.T) {
	for _, c := range []struct{ add, want string }{
		{"  password: ${SLUICE_TEST_UNSET_VAR}\n", "agent.yml:10: output.kafka.password: ${SLUICE_TEST_UNSET_VAR} is not set"},
		{"  username: u\n  sasl.mechanism: GSSAPI\n", `agent.yml:11: output.kafka.sasl.mechanism: "GSSAPI": want PLAIN`},
		{"  ssl.verification_mode: sometimes\n", `agent.yml:10: output.kafka.ssl.verification_mode: "sometimes"`},
		{"  ssl:\n    certificate: /nonexistent/c.pem\n    key: /nonexistent/k.pem\n", "agent.yml:11: output.kafka.ssl.certificate: open /nonexistent/c.pem"},
		{"  password: p\n", "agent.yml:7: output.kafka.username: required"},
	} {
		_, err := ParseConfig("agent.yml", []byte(validYAML+c.add))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want %q", c.add, err, c.want)
		}
	}
}
