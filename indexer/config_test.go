package indexer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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
		cfg.PipelineTimeout != time.Second || cfg.DeadLetterTimeout != time.Minute || cfg.DeadLetterMaxBytes != 1000000 {
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
