package indexer

import (
	"encoding/json"
	"testing"
)

func TestWildcardMatch(t *testing.T) {
	for _, c := range []struct {
		pattern, name string
		want          bool
	}{
		{"logs-*-*", "logs-app-default", true},
		{"logs-*-*", "logs-app", false},
		{"logs-*", "logs-", true},
		{"logs", "logs", true},
		{"logs", "logs-a", false},
		{"*-prod", "web-prod", true},
		{"a*a", "a", false},
		{"ab*ba", "aba", false},
		{"*", "anything", true},
	} {
		if got := wildcardMatch(c.pattern, c.name); got != c.want {
			t.Errorf("%q ~ %q: %v, want %v", c.pattern, c.name, got, c.want)
		}
	}
}

// TestTemplateWinner: the data stream check takes the template of highest
// priority among those matching, as the node does.
func TestTemplateWinner(t *testing.T) {
	var ts indexTemplates
	err := json.Unmarshal([]byte(`{"index_templates":[
 {"name":"logs","index_template":{"index_patterns":["logs-*-*"],"priority":100,"data_stream":{"hidden":false}}},
 {"name":"sluice-logs-web","index_template":{"index_patterns":["logs-web-*"],"priority":210}},
 {"name":"metrics","index_template":{"index_patterns":["metrics-*-*"],"priority":100,"data_stream":null}}]}`), &ts)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, want string
		ds         bool
	}{
		{"logs-app-default", "logs", true},
		{"logs-web-default", "sluice-logs-web", false},
		{"metrics-x-default", "metrics", false},
		{"traces-x-default", "", false},
	} {
		if got, ds := ts.winner(c.name); got != c.want || ds != c.ds {
			t.Errorf("%s: %q %v, want %q %v", c.name, got, ds, c.want, c.ds)
		}
	}
}
