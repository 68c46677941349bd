package pipelines

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestExportedPipeline loads a pipeline as Elasticsearch exports it (GET
// _ingest/pipeline/<id>: JSON, wrapped in its id, with Painless if:
// conditions and a script processor) unchanged, and checks the events it
// makes.
func TestExportedPipeline(t *testing.T) {
	p, err := Load("testdata/exported/nginx-access.json", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "nginx-access" || p.Description == "" {
		t.Errorf("name %q, description %q", p.Name, p.Description)
	}
	cases := []struct{ in, want string }{
		{`{"message":"10.1.2.3 - bob [17/May/2015:08:05:32 +0000] \"GET /api/v1/items HTTP/1.1\" 200 512 \"https://example.com/\" \"curl/8.5.0\""}`,
			`{"@timestamp":"2015-05-17T08:05:32.000Z","event":{"original":"10.1.2.3 - bob [17/May/2015:08:05:32 +0000] \"GET /api/v1/items HTTP/1.1\" 200 512 \"https://example.com/\" \"curl/8.5.0\"","outcome":"success","category":"api","kind":"event"},
			"source":{"address":"10.1.2.3"},"user":{"name":"bob"},"http":{"request":{"method":"GET","referrer":"https://example.com/"},"version":"1.1","response":{"status_code":200,"body":{"bytes":512}}},
			"url":{"original":"/api/v1/items"},"user_agent":{"original":"curl/8.5.0","name":"curl","version":"8.5.0","device":{"name":"Other"}}}`},
		{`{"message":"66.249.66.1 - - [17/May/2015:08:05:33 +0000] \"GET /missing HTTP/1.1\" 404 0 \"-\" \"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)\""}`,
			`{"@timestamp":"2015-05-17T08:05:33.000Z","event":{"original":"66.249.66.1 - - [17/May/2015:08:05:33 +0000] \"GET /missing HTTP/1.1\" 404 0 \"-\" \"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)\"","outcome":"failure","category":"web","kind":"event"},
			"source":{"address":"66.249.66.1"},"user":{},"http":{"request":{"method":"GET"},"version":"1.1","response":{"status_code":404,"body":{"bytes":0}}},
			"url":{"original":"/missing"},"tags":["bot"],"user_agent":{"original":"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)","name":"Googlebot","version":"2.1","device":{"name":"Spider"}}}`},
		{`{"message":"not an access log line"}`,
			`{"event":{"original":"not an access log line"},"error":{"message":"PLACEHOLDER"}}`},
	}
	for i, c := range cases {
		ev, err := DecodeEvent([]byte(c.in))
		if err != nil {
			t.Fatal(err)
		}
		out, dropped, err := p.Run(ev)
		if err != nil || dropped {
			t.Fatalf("line %d: dropped %v, error %v", i, dropped, err)
		}
		var want map[string]any
		if err := json.Unmarshal([]byte(c.want), &want); err != nil {
			t.Fatalf("line %d: want: %v", i, err)
		}
		b, err := json.Marshal(out)
		if err != nil {
			t.Fatal(err)
		}
		var got map[string]any
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		if e, ok := got["error"].(map[string]any); ok && e["message"] != nil && want["error"] != nil {
			want["error"].(map[string]any)["message"] = e["message"] // wording is ours
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("line %d:\n got  %s\n want %s", i, b, c.want)
		}
	}
}

// TestExportedLoadDir: LoadDir reads .json definitions, pipeline
// processors find name.json, and a single unknown key is still an error
// when its mapping has no processors.
func TestExportedLoadDir(t *testing.T) {
	ps, err := LoadDir("testdata/exported", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if ps["nginx-access"] == nil {
		t.Fatalf("LoadDir: %v, want nginx-access", ps)
	}
	dir := t.TempDir()
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("called.json", `{"processors":[{"set":{"field":"called","value":true,"if":"ctx.a == 1"}}]}`)
	write("main.yml", "processors:\n  - pipeline: {name: called}\n")
	p, err := Load(filepath.Join(dir, "main.yml"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	out, _, err := p.Run(Event{"a": int64(1)})
	if err != nil || out["called"] != true {
		t.Errorf("got %v, %v", out, err)
	}
	_, err = Parse("typo.yml", []byte("processor:\n  set: {field: a, value: 1}\n"), Options{})
	if err == nil || !strings.Contains(err.Error(), "typo.yml:1: processor: unknown key") {
		t.Errorf("got %v, want the unknown key named", err)
	}
}
