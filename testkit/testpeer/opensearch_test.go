package testpeer

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"testing"
)

// TestOpenSearchPeer checks the OpenSearch peer: its version, the ingest
// processors the pipelines' conformance suite needs, and a _simulate whose
// Mustache template is rendered (lang-mustache-client is loaded).
func TestOpenSearchPeer(t *testing.T) {
	o := StartOpenSearch(t)
	if o.Version != OpenSearchVersion {
		t.Fatalf("node reports version %q, want %q", o.Version, OpenSearchVersion)
	}
	ctx := context.Background()

	var nodes struct {
		Nodes map[string]struct {
			Ingest struct {
				Processors []struct{ Type string } `json:"processors"`
			} `json:"ingest"`
		} `json:"nodes"`
	}
	if err := o.Do(ctx, http.MethodGet, "/_nodes/ingest", nil, &nodes); err != nil {
		t.Fatal(err)
	}
	var have []string
	for _, n := range nodes.Nodes {
		for _, p := range n.Ingest.Processors {
			have = append(have, p.Type)
		}
	}
	for _, want := range []string{"set", "rename", "grok", "dissect", "date", "kv", "json", "user_agent", "script", "fingerprint"} {
		if !slices.Contains(have, want) {
			t.Errorf("processor %s missing; the node has %v", want, have)
		}
	}

	body := `{"pipeline":{"processors":[{"set":{"field":"greeting","value":"hello {{name}}"}},` +
		`{"script":{"source":"ctx.n = ctx.name.length()"}}]},"docs":[{"_source":{"name":"ada"}}]}`
	var res struct {
		Docs []struct {
			Doc struct {
				Source map[string]json.RawMessage `json:"_source"`
			} `json:"doc"`
		} `json:"docs"`
	}
	if err := o.Do(ctx, http.MethodPost, "/_ingest/pipeline/_simulate", []byte(body), &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Docs) != 1 {
		t.Fatalf("simulate answered %d documents, want 1", len(res.Docs))
	}
	src := res.Docs[0].Doc.Source
	if got := string(src["greeting"]); got != `"hello ada"` {
		t.Errorf("greeting = %s, want \"hello ada\" (Mustache rendered)", got)
	}
	if got := string(src["n"]); got != "3" {
		t.Errorf("n = %s, want 3 (Painless ran)", got)
	}
}
