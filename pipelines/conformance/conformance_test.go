package conformance

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/sluicelogs/sluice/pipelines"
	"github.com/sluicelogs/sluice/testkit/geoiptest"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// conformanceCase is a pipeline and the documents it is run on.
type conformanceCase struct {
	name     string
	pipeline string // sluice YAML: processors (and on_failure)
	// nodeDef, when set, is the same pipeline in the node's spelling, for
	// processors whose options OpenSearch names differently from
	// Elasticsearch (community_id); "" means pipeline.
	nodeDef string
	docs    []string // input documents, JSON objects
	// called are the pipelines its pipeline processors call, by name: a
	// file name.yml beside the case's for sluice, a stored pipeline for
	// the node.
	called map[string]string
	// diff is the id of the row of the pipelines doc's differences table
	// this case shows (several, space-separated, when one document shows
	// more than one); "" when sluice must agree with the node.
	diff string
	// ours is sluice's current outcome, one per document, when diff is
	// set: pinned, so that a fix fails the case until the table and the
	// case are updated.
	ours []string
}

// Outcomes, beside a document's canonical JSON. Error messages are not
// compared: their wording is a deliberate difference.
const (
	outError   = "error"
	outDropped = "dropped"
)

// clock is the date processor's clock on the sluice side; no case depends
// on it (the node's cannot be set).
var clock = time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)

// TestConformance runs every case through a real ingest node and through
// sluice. One node serves all cases.
func TestConformance(t *testing.T) {
	table := differencesTable(t)
	used := map[string]bool{}
	for _, c := range cases {
		for _, id := range strings.Fields(c.diff) {
			if _, ok := table[id]; !ok {
				t.Errorf("case %s: difference %q is not a row of the table in pipelines/doc.go", c.name, id)
			}
			used[id] = true
		}
		if c.diff != "" && len(c.ours) != len(c.docs) {
			t.Errorf("case %s: %d pinned outcomes for %d documents", c.name, len(c.ours), len(c.docs))
		}
	}
	for id := range table {
		if !used[id] {
			t.Errorf("row %q of the differences table in pipelines/doc.go is pinned by no case", id)
		}
	}

	node := testpeer.StartOpenSearch(t)
	if node.Version != testpeer.OpenSearchVersion {
		t.Fatalf("node reports version %q, want %q", node.Version, testpeer.OpenSearchVersion)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ref := simulate(t, node, c)
			got := runSluice(t, c)
			for i := range c.docs {
				if c.diff != "" {
					t.Logf("doc %d: difference %s\n node:   %s\n sluice: %s", i, c.diff, ref[i], got[i])
				}
				switch {
				case c.diff == "" && got[i] != ref[i]:
					t.Errorf("doc %d: %s\n node:   %s\n sluice: %s", i, c.docs[i], ref[i], got[i])
				case c.diff != "" && got[i] == ref[i]:
					t.Errorf("doc %d now agrees with the node (%s): remove difference %q from the table in pipelines/doc.go and from this case", i, got[i], c.diff)
				case c.diff != "" && got[i] != c.ours[i]:
					t.Errorf("doc %d: sluice's outcome changed (difference %q)\n pinned: %s\n now:    %s\n node:   %s", i, c.diff, c.ours[i], got[i], ref[i])
				}
			}
		})
	}
}

// nodePipeline translates a sluice definition to the node's JSON form: the
// vocabulary is the same, so it is the YAML's processors and on_failure as
// JSON.
func nodePipeline(t *testing.T, def string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := yaml.Unmarshal([]byte(def), &m); err != nil {
		t.Fatalf("pipeline YAML: %v", err)
	}
	out := map[string]any{}
	for _, k := range []string{"processors", "on_failure"} {
		if v, ok := m[k]; ok {
			out[k] = v
		}
	}
	return out
}

// simulate runs the case's documents through the node's _simulate API and
// returns their outcomes.
func simulate(t *testing.T, node *testpeer.OpenSearch, c conformanceCase) []string {
	t.Helper()
	for name, def := range c.called {
		body, err := json.Marshal(nodePipeline(t, def))
		if err != nil {
			t.Fatal(err)
		}
		if err := node.Do(context.Background(), http.MethodPut, "/_ingest/pipeline/"+name, body, nil); err != nil {
			t.Fatalf("store pipeline %s: %v", name, err)
		}
	}
	docs := make([]map[string]json.RawMessage, len(c.docs))
	for i, d := range c.docs {
		docs[i] = map[string]json.RawMessage{"_source": json.RawMessage(d)}
	}
	def := c.pipeline
	if c.nodeDef != "" {
		def = c.nodeDef
	}
	body, err := json.Marshal(map[string]any{"pipeline": nodePipeline(t, def), "docs": docs})
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		Docs []json.RawMessage `json:"docs"`
	}
	if err := node.Do(context.Background(), http.MethodPost, "/_ingest/pipeline/_simulate", body, &res); err != nil {
		t.Fatalf("simulate: %v", err)
	}
	if len(res.Docs) != len(c.docs) {
		t.Fatalf("simulate answered %d documents for %d", len(res.Docs), len(c.docs))
	}
	out := make([]string, len(res.Docs))
	for i, raw := range res.Docs {
		var d struct {
			Doc *struct {
				Source json.RawMessage `json:"_source"`
				Index  string          `json:"_index"`
				ID     string          `json:"_id"`
			} `json:"doc"`
			Error json.RawMessage `json:"error"`
		}
		if err := json.Unmarshal(raw, &d); err != nil {
			t.Fatalf("simulate doc %d: %v: %s", i, err, raw)
		}
		switch {
		case d.Error != nil:
			t.Logf("doc %d: node: %s", i, d.Error)
			out[i] = outError
		case d.Doc == nil:
			out[i] = outDropped
		default:
			out[i] = canonical(t, withMetadata(t, d.Doc.Source, d.Doc.Index, d.Doc.ID))
		}
	}
	return out
}

// withMetadata adds to a simulated document the _index and _id a
// pipeline set (the node answers "_index" and "_id" for those it did
// not), as top-level keys: where sluice's events carry them
// (pipelines.IndexField, IDField).
func withMetadata(t *testing.T, source json.RawMessage, index, id string) json.RawMessage {
	t.Helper()
	if index == "_index" && id == "_id" {
		return source
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(source, &m); err != nil {
		t.Fatalf("simulated _source: %v", err)
	}
	for k, v := range map[string]string{pipelines.IndexField: index, pipelines.IDField: id} {
		if v != k {
			m[k], _ = json.Marshal(v)
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// runSluice runs the case's documents through sluice's pipeline, each
// decoded as the indexer decodes events.
func runSluice(t *testing.T, c conformanceCase) []string {
	t.Helper()
	dir := t.TempDir()
	for name, def := range c.called {
		if err := os.WriteFile(filepath.Join(dir, name+".yml"), []byte(def), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if strings.Contains(c.pipeline, "geoip") {
		geoiptest.Write(t, filepath.Join(dir, "ingest-geoip"))
	}
	file := filepath.Join(dir, "case.yml")
	p, err := pipelines.Parse(file, []byte(c.pipeline), pipelines.Options{Now: func() time.Time { return clock }})
	if err != nil {
		t.Fatalf("sluice: load: %v", err)
	}
	out := make([]string, len(c.docs))
	for i, d := range c.docs {
		ev, err := pipelines.DecodeEvent([]byte(d))
		if err != nil {
			t.Fatalf("doc %d: %v", i, err)
		}
		ev, dropped, err := p.Run(ev)
		switch {
		case err != nil:
			t.Logf("doc %d: sluice: %v", i, err)
			out[i] = outError
		case dropped:
			out[i] = outDropped
		default:
			b, err := json.Marshal(pipelines.ForJSON(ev))
			if err != nil {
				t.Fatalf("doc %d: encode: %v", i, err)
			}
			out[i] = canonical(t, b)
		}
	}
	return out
}

// canonical re-encodes a JSON document with sorted keys and its numbers as
// written (json.Number): 2.0 and 2 stay different.
func canonical(t *testing.T, b []byte) string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("canonical: %v: %s", err, b)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

// tableRow is a row of doc.go's differences table: "//\t<id>  <kind>  <text>".
var tableRow = regexp.MustCompile(`^//\t([a-z0-9-]+)\s+(bug|deliberate)\s`)

// differencesTable reads the ids and kinds of the rows of the table
// "Differences from a real ingest node" in pipelines/doc.go.
func differencesTable(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "doc.go"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows := map[string]string{}
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "// # ") {
			in = line == "// # Differences from a real ingest node"
			continue
		}
		if m := tableRow.FindStringSubmatch(line); in && m != nil {
			if _, dup := rows[m[1]]; dup {
				t.Errorf("pipelines/doc.go: difference %q is listed twice", m[1])
			}
			rows[m[1]] = m[2]
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 {
		t.Fatal(`pipelines/doc.go has no table "Differences from a real ingest node"`)
	}
	return rows
}
