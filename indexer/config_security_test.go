package indexer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicelogs/sluice/internal/keystore"
	"github.com/sluicelogs/sluice/internal/pemtls"
)

// TestLoadConfigSecurityKeys reads the TLS and authentication keys of both
// sides, dotted and nested, with secrets from a keystore and the
// environment.
func TestLoadConfigSecurityKeys(t *testing.T) {
	dir := t.TempDir()
	ca, err := pemtls.NewCA("ca", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caFile, ca.PEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	ks, err := keystore.Create(filepath.Join(dir, "ks"), false)
	if err != nil {
		t.Fatal(err)
	}
	if err := ks.Add("ES_API_KEY", "id1:k#ey", false); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SLUICE_TEST_KAFKA_PASS", "kafka pass")
	path := writeFile(t, `keystore.path: `+ks.Path()+`
kafka:
  hosts: ["127.0.0.1:9093"]
  username: indexer
  password: ${SLUICE_TEST_KAFKA_PASS}
  sasl.mechanism: SCRAM-SHA-256
  ssl.certificate_authorities: [`+caFile+`]
elasticsearch:
  hosts: ["https://127.0.0.1:9200"]
  api_key: ${ES_API_KEY}
  ssl:
    certificate_authorities: [`+caFile+`]
    verification_mode: full
routes:
  - topics: [logs]
    index: logs
`)
	cfg, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	k, es := cfg.Kafka, cfg.Elasticsearch
	if k.Password != "kafka pass" || k.SASL.Mechanism != "SCRAM-SHA-256" || k.SSL.Config() == nil || len(k.Options()) != 2 {
		t.Errorf("kafka: %+v", k.Kafka)
	}
	if es.APIKey != "id1:k#ey" || es.SSL.Config() == nil {
		t.Errorf("elasticsearch: %+v", es)
	}
	if _, err := newClient(es); err != nil {
		t.Fatal(err)
	}
}

func TestLoadConfigSecurityErrors(t *testing.T) {
	base := "kafka: {hosts: [\"127.0.0.1:9092\"]}\nroutes: [{topics: [t], index: i}]\nelasticsearch:\n  hosts: [\"https://elastic:s3cret@127.0.0.1:9200\"]\n"
	for _, c := range []struct{ add, want string }{
		{"  api_key: nocolon\n", ":5: elasticsearch.api_key: want id:api_key"},
		{"  api_key: a:b\n  username: u\n", ":5: elasticsearch.api_key: set either api_key or username"},
		{"  password: ${SLUICE_TEST_UNSET}\n", ":5: elasticsearch.password: ${SLUICE_TEST_UNSET} is not set"},
		{"  ssl.certificate_authorities: [/nonexistent/ca.pem]\n", ":5: elasticsearch.ssl.certificate_authorities: open /nonexistent/ca.pem"},
		{"  ssl:\n    verification_mode: never\n", `:6: elasticsearch.ssl.verification_mode: "never"`},
		{"  hosts: [\"ftp://elastic:s3cret@h\"]\n", `elasticsearch.hosts[0]: "ftp://elastic:xxxxx@h": want http://`},
	} {
		text := base + c.add
		if strings.Contains(c.add, "hosts") {
			text = strings.Replace(base, "  hosts: [\"https://elastic:s3cret@127.0.0.1:9200\"]\n", c.add, 1)
		}
		_, err := LoadConfig(writeFile(t, text))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want %q", c.add, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%q: the error shows the password: %v", c.add, err)
		}
	}
}
