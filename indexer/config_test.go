package indexer

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicelogs/sluice/testkit/geoiptest"
)

func TestLoadConfigIssueExample(t *testing.T) {
	path := writeFile(t, `kafka: {hosts: ["127.0.0.1:9092"], group: sluice-indexer}
elasticsearch: {hosts: ["http://127.0.0.1:9200"]}
dead_letter_topic: sluice-dlq
routes:
  - topics: [logs-nginx]
    pipeline: examples/pipelines/nginx.yml
    index: "logs-nginx-%{+yyyy.MM.dd}"
`)
	cfg, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	r := cfg.Routes[0]
	if r.Group != "sluice-indexer" || r.Pipeline != filepath.Join(filepath.Dir(path), "examples/pipelines/nginx.yml") {
		t.Errorf("route %+v", r)
	}
	if cfg.Elasticsearch.Template != "sluice" || cfg.ShutdownTimeout != 30*time.Second || cfg.Elasticsearch.Replicas != 1 ||
		cfg.PipelineTimeout != time.Second || cfg.DeadLetterTimeout != time.Minute || cfg.DeadLetterMaxBytes != 1000000 ||
		cfg.GrokMaxBytes != 65536 || cfg.UserAgentMaxBytes != 1024 {
		t.Errorf("defaults not applied: %+v", cfg)
	}
}

// TestLoadConfigErrors: every error names file:line: key.
func TestLoadConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name, text, want string
	}{
		{"unknown key", "kafka: {hosts: [a:1]}\nelasticsearch:\n  hots: [x]\n", ":3: elasticsearch.hots: unknown key"},
		{"wrong type", "max_poll_records: many\n", ":1: max_poll_records: value"},
		{"no topics", "routes:\n  - index: logs\n  - topics: []\n    index: x\n", ":3: routes[1].topics: at least one topic"},
		{"bad index", "routes:\n  - topics: [a]\n    index: 'logs-%{+yyyy.QQ}'\n", ":3: routes[0].index: \"logs-%{+yyyy.QQ}\": date pattern"},
		{"unclosed ref", "routes:\n  - topics: [a]\n    index: 'logs-%{[service]'\n", ":3: routes[0].index: "},
		{"no routes", "dead_letter_topic: x\n", ": routes: at least one route"},
		{"same group", "routes:\n  - {topics: [a], index: a, group: g}\n  - {topics: [b], index: b, group: g}\n", ":3: routes[1].group: consumer group \"g\""},
		{"empty dlq", "dead_letter_topic: ''\nroutes: [{topics: [a], index: a}]\n", ":1: dead_letter_topic: must not be empty"},
		{"dlq timeout", "dead_letter_timeout: 500ms\nroutes: [{topics: [a], index: a}]\n", ":1: dead_letter_timeout: must be at least 1s"},
		{"dlq max bytes", "dead_letter_max_bytes: 100\nroutes: [{topics: [a], index: a}]\n", ":1: dead_letter_max_bytes: must be from 1024"},
		{"pipeline timeout", "pipeline_timeout: -1s\nroutes: [{topics: [a], index: a}]\n", ":1: pipeline_timeout: must not be negative"},
		{"grok max bytes negative", "routes: [{topics: [a], index: a}]\ngrok_max_bytes: -1\n", ":2: grok_max_bytes: must be at least 1"},
		{"grok max bytes zero", "grok_max_bytes: 0\nroutes: [{topics: [a], index: a}]\n", ":1: grok_max_bytes: must be at least 1"},
		{"grok max bytes not a number", "grok_max_bytes: 64KiB\nroutes: [{topics: [a], index: a}]\n", ":1: grok_max_bytes: value `64KiB` is not a valid int"},
		{"user agent max bytes negative", "user_agent_max_bytes: -1024\nroutes: [{topics: [a], index: a}]\n", ":1: user_agent_max_bytes: must be at least 1"},
		{"user agent max bytes not a number", "routes: [{topics: [a], index: a}]\nuser_agent_max_bytes: lots\n", ":2: user_agent_max_bytes: value `lots` is not a valid int"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, tc.text)
			_, err := LoadConfig(path)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), path+tc.want) {
				t.Errorf("error %q, want it to contain %q", err, path+tc.want)
			}
		})
	}
}

func TestIndexName(t *testing.T) {
	ts := time.Date(2024, 3, 1, 23, 30, 0, 0, time.UTC)
	ev := map[string]any{
		"@timestamp": "2024-03-02T01:30:00+02:00",
		"service":    map[string]any{"name": "Checkout"},
		"env":        "prod",
	}
	for _, tc := range []struct{ pattern, want, err string }{
		{"logs-nginx-%{+yyyy.MM.dd}", "logs-nginx-2024.03.01", ""},
		{"logs-%{[service][name]}-%{+yyyy.MM}", "logs-checkout-2024.03", ""},
		{"logs-%{env}-%{+yy.MM.dd.HH}", "logs-prod-24.03.01.23", ""},
		{"fixed", "fixed", ""},
		{"logs-%{[missing]}", "", "no such field"},
		{"logs-%{[service]}", "", "not a scalar"},
	} {
		n, err := parseIndexName(tc.pattern)
		if err != nil {
			t.Fatalf("%s: %v", tc.pattern, err)
		}
		got, err := n.render(ev, ts)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: error %v, want %q", tc.pattern, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s: %q, %v; want %q", tc.pattern, got, err, tc.want)
		}
	}
	// No parsable @timestamp: the record's time.
	n, _ := parseIndexName("x-%{+yyyy.MM.dd}")
	if got, _ := n.render(map[string]any{"@timestamp": "garbage"}, ts); got != "x-2024.03.01" {
		t.Errorf("fallback: %q", got)
	}
	if got := templatePatterns([]*indexName{n, n}); len(got) != 1 || got[0] != "x-*" {
		t.Errorf("patterns %v", got)
	}
}

func writeFile(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "indexer.yml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestDeployConfig: the config shipped in deploy/indexer loads.
func TestDeployConfig(t *testing.T) {
	cfg, err := LoadConfig("../deploy/indexer/indexer.yml")
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Routes) != 1 || cfg.Routes[0].Pipeline != "/etc/sluice/pipelines/nginx.yml" {
		t.Errorf("routes %+v", cfg.Routes)
	}
}

// TestPipelineCapsFromConfig: grok_max_bytes and user_agent_max_bytes
// reach the processors of a route's pipeline that set no max_bytes of
// their own: a field one byte over grok_max_bytes fails grok, and
// user_agent parses only the first user_agent_max_bytes (a browser named
// after them is not seen); a processor's own max_bytes still wins.
func TestPipelineCapsFromConfig(t *testing.T) {
	dir := t.TempDir()
	def := `processors:
  - grok: {field: message, patterns: ['%{INT:n:int}']}
  - user_agent: {field: ua, ignore_missing: true}
  - user_agent: {field: ua, target_field: own, max_bytes: 200, ignore_missing: true}
`
	if err := os.WriteFile(filepath.Join(dir, "p.yml"), []byte(def), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "indexer.yml")
	cfgText := "grok_max_bytes: 4\nuser_agent_max_bytes: 40\nroutes: [{topics: [a], index: a, pipeline: p.yml}]\n"
	if err := os.WriteFile(path, []byte(cfgText), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	ix, err := New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	run := ix.routes[0].run

	if _, _, err := run(map[string]any{"message": "12345"}); err == nil || !strings.Contains(err.Error(), "field [message] is 5 bytes, over grok's limit of 4") {
		t.Errorf("5 bytes, grok_max_bytes 4: err %v", err)
	}
	const firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"
	ua := strings.Repeat("j", 40) + " " + firefox
	ev, _, err := run(map[string]any{"message": "1234", "ua": ua})
	if err != nil || ev["n"] != int64(1234) {
		t.Fatalf("4 bytes, grok_max_bytes 4: %v, %v", ev, err)
	}
	if got, _ := ev["user_agent"].(map[string]any); got["name"] != "Other" || got["original"] != ua {
		t.Errorf("user_agent_max_bytes 40, Firefox named after 41 bytes: %v; want Other and the whole original", got)
	}
	if got, _ := ev["own"].(map[string]any); got["name"] != "Firefox" {
		t.Errorf("max_bytes 200 on the processor: %v; want Firefox", got)
	}
}

// TestGeoIPDatabaseDirectoryFromConfig: geoip_database_directory,
// relative to the config file, is where every route's geoip processors
// find their databases; a route's pipeline naming a file missing there
// stops New with an error naming the file.
func TestGeoIPDatabaseDirectoryFromConfig(t *testing.T) {
	dir := t.TempDir()
	geoiptest.Write(t, filepath.Join(dir, "geo"))
	for f, def := range map[string]string{
		"p.yml":   "processors:\n  - geoip: {field: ip, database_file: GeoLite2-ASN.mmdb}\n",
		"bad.yml": "processors:\n  - geoip: {field: ip, database_file: GeoLite2-Absent.mmdb}\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(def), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	load := func(pipeline string) (*Indexer, error) {
		path := filepath.Join(dir, "indexer.yml")
		text := "geoip_database_directory: geo\nroutes: [{topics: [a], index: a, pipeline: " + pipeline + "}]\n"
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		cfg, err := LoadConfig(path)
		if err != nil {
			t.Fatal(err)
		}
		return New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	}
	ix, err := load("p.yml")
	if err != nil {
		t.Fatal(err)
	}
	ev, _, err := ix.routes[0].run(map[string]any{"ip": "8.8.8.8"})
	if err != nil || ev["geoip"].(map[string]any)["asn"] != int64(15169) {
		t.Fatalf("got %v, %v", ev, err)
	}
	if _, err := load("bad.yml"); err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "geo", "GeoLite2-Absent.mmdb")) {
		t.Fatalf("missing database: %v", err)
	}
}
