package up

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/sluicelogs/sluice/agent"
	"github.com/sluicelogs/sluice/broker"
	"github.com/sluicelogs/sluice/coordinator"
)

func TestDefaults(t *testing.T) {
	c, err := Parse("", nil, Flags{Tail: []string{"logs/nginx*.log"}})
	if err != nil {
		t.Fatal(err)
	}
	if c.Data != "./data" || c.Coordinator.Listen != "127.0.0.1:2181" || c.Broker.Listen != "127.0.0.1:9092" ||
		c.Elasticsearch.Hosts[0] != "http://127.0.0.1:9200" || c.Elasticsearch.Index != "logs-%{+yyyy.MM.dd}" || c.ShutdownTimeout != 15*time.Second {
		t.Errorf("defaults: %+v", c)
	}
	ins := c.inputs()
	if len(ins) != 1 || ins[0].ID != "nginx" || ins[0].Topic != "logs-nginx" || ins[0].Pipeline != "" {
		t.Errorf("inputs: %+v", ins)
	}
}

// TestFileAndFlags: flags override the file's values; --tail adds inputs
// to the file's; every input finds its pipeline by id, or passes
// unchanged.
func TestFileAndFlags(t *testing.T) {
	pipes := t.TempDir()
	for _, name := range []string{"nginx.yml", "app.yaml"} {
		if err := os.WriteFile(filepath.Join(pipes, name), []byte("processors: []\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	text := `data: /var/lib/sluice
broker:
  listen: 127.0.0.1:19092
  partitions: 3
elasticsearch:
  hosts: [http://es:9200]
  replicas: 1
tail:
  - /var/log/nginx/access.log*
inputs:
  - id: app
    paths: [/srv/app/*.json]
    parsers:
      - ndjson: {target: ""}
`
	c, err := Parse("sluice.yml", []byte(text), Flags{Tail: []string{"other=/tmp/x.log"}, ES: "http://127.0.0.1:9201", Pipelines: pipes})
	if err != nil {
		t.Fatal(err)
	}
	if c.Data != "/var/lib/sluice" || c.Broker.Partitions != 3 || c.Elasticsearch.Hosts[0] != "http://127.0.0.1:9201" || c.Elasticsearch.Replicas != 1 {
		t.Errorf("config: %+v", c)
	}
	got := map[string]input{}
	for _, in := range c.inputs() {
		got[in.ID] = in
	}
	want := map[string]string{"access": "", "other": "", "app": filepath.Join(pipes, "app.yaml")}
	if len(got) != len(want) {
		t.Fatalf("inputs %v, want ids of %v", got, want)
	}
	for id, pipeline := range want {
		if got[id].Pipeline != pipeline {
			t.Errorf("input %s: pipeline %q, want %q", id, got[id].Pipeline, pipeline)
		}
	}
	dir := t.TempDir()
	acfg, err := c.agentConfig("127.0.0.1:1", dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(acfg.Inputs) != 3 || acfg.Inputs[2].ID != "app" || len(acfg.Inputs[2].Parsers) != 1 || acfg.Inputs[2].Parsers[0].NDJSON == nil {
		t.Errorf("agent inputs: %+v", acfg.Inputs)
	}
	if acfg.Output.Kafka.Topic != "logs-%{[input.id]}" || acfg.Registry.Path != dir {
		t.Errorf("agent output %+v, registry %s", acfg.Output.Kafka, acfg.Registry.Path)
	}
	ic := c.indexerConfig("127.0.0.1:1")
	if err := ic.Validate(); err != nil {
		t.Fatal(err)
	}
	if len(ic.Routes) != 3 || ic.Routes[2].Group != "sluice-up-app" || ic.Routes[2].Topics[0] != "logs-app" {
		t.Errorf("indexer routes: %+v", ic.Routes)
	}
}

func TestParseTail(t *testing.T) {
	for in, want := range map[string]string{
		"examples/logs/nginx*.log": "nginx",
		"/var/log/syslog":          "syslog",
		"app-json.log":             "app-json",
		"logs/app-json*.log":       "app-json",
		"web=/var/log/nginx/*.log": "web",
		"/var/log/nginx-*.log":     "nginx",
		"/srv/a=b/x.log":           "x",
	} {
		id, _, err := parseTail(in)
		if err != nil || id != want {
			t.Errorf("parseTail(%q) = %q, %v; want %q", in, id, err, want)
		}
	}
	for _, in := range []string{"", "/var/log/*.log", "x=", "logs/[.log"} {
		if id, _, err := parseTail(in); err == nil {
			t.Errorf("parseTail(%q) = %q, want an error", in, id)
		}
	}
}

// TestConfigErrors: every error names file:line: key, or the flag.
func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		flags      Flags
		want       string
	}{
		{"unknown key", "tail: [a.log]\nbroker:\n  listen: 127.0.0.1:1\n  partitons: 3\n", Flags{}, "sluice.yml:4: broker.partitons: unknown key"},
		{"wrong type", "tail: [a.log]\nbroker:\n  partitions: many\n", Flags{}, "sluice.yml:3: broker.partitions: value"},
		{"bad value", "tail: [a.log]\nbroker:\n  partitions: 0\n", Flags{}, "sluice.yml:3: broker.partitions: must be at least 1"},
		{"bad address", "tail: [a.log]\ncoordinator:\n  listen: localhost\n", Flags{}, "sluice.yml:3: coordinator.listen: \"localhost\""},
		{"bad index", "tail: [a.log]\nelasticsearch:\n  index: 'logs-%{+yyyy.QQ}'\n", Flags{}, "sluice.yml:3: elasticsearch.index: "},
		{"bad url", "tail: [a.log]\nelasticsearch:\n  hosts: [http://a:9200, 'es:9200']\n", Flags{}, "sluice.yml:3: elasticsearch.hosts[1]: \"es:9200\""},
		{"same id", "tail:\n  - a/nginx.log\n  - b/nginx*.log\n", Flags{}, "sluice.yml:3: tail[1]: input id \"nginx\" is also tail[0]'s"},
		{"input without id", "inputs:\n  - paths: [a.log]\n", Flags{}, "sluice.yml:2: inputs[0].id: required"},
		{"input unknown key", "inputs:\n  - id: a\n    paths: [a.log]\n    exclude_line: [x]\n", Flags{}, "sluice.yml:4: inputs[0].exclude_line: unknown key"},
		{"nothing to read", "data: /tmp/x\n", Flags{}, "sluice.yml: tail: nothing to read"},
		{"flag", "tail: [a.log]\n", Flags{ES: "es:9200"}, "flag --es: elasticsearch.hosts[0]: \"es:9200\""},
		{"flag tail", "tail: [a.log]\n", Flags{Tail: []string{"/var/log/*.log"}}, "flag --tail: tail[1]: \"/var/log/*.log\": cannot name an input"},
		{"no pipelines folder", "tail: [a.log]\npipelines: /nonexistent/pipelines\n", Flags{}, "sluice.yml:2: pipelines: \"/nonexistent/pipelines\" is not a folder"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("sluice.yml", []byte(tc.text), tc.flags)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q\nwant it to contain %q", err, tc.want)
			}
		})
	}
}

// TestAgentErrorsAtTheirLines: what only the agent checks (here a regexp)
// is reported at sluice.yml's line, or at the --tail flag.
func TestAgentErrorsAtTheirLines(t *testing.T) {
	text := "tail: [x.log]\ninputs:\n  - id: a\n    paths: [a.log]\n    exclude_lines: ['(']\n"
	c, err := Parse("sluice.yml", []byte(text), Flags{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.agentConfig("127.0.0.1:1", t.TempDir())
	if want := "sluice.yml:5: inputs[0].exclude_lines[0]: error parsing regexp"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("error %v\nwant it to contain %q", err, want)
	}
}

// TestLoadFile: a missing default file means defaults; a missing file
// named with -c is an error; errors carry the path.
func TestLoadFile(t *testing.T) {
	dir := t.TempDir()
	if _, err := Load(filepath.Join(dir, "sluice.yml"), true, Flags{Tail: []string{"a.log"}}); err != nil {
		t.Errorf("optional missing file: %v", err)
	}
	if _, err := Load(filepath.Join(dir, "sluice.yml"), false, Flags{Tail: []string{"a.log"}}); err == nil {
		t.Error("a missing -c file is not an error")
	}
	path := filepath.Join(dir, "up.yml")
	if err := os.WriteFile(path, []byte("tail: [a.log]\nmetrics: nowhere\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path, false, Flags{}); err == nil || !strings.Contains(err.Error(), path+":2: metrics: ") {
		t.Errorf("error %v, want %s:2: metrics", err, path)
	}
}

func TestGroup3(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -1234: "-1,234"} {
		if got := group3(n); got != want {
			t.Errorf("group3(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestWrittenConfigs: the zoo.cfg, server.properties and agent.yml sluice
// up writes for people to read (it builds the structs and reads none of
// them) load back into the configurations it runs.
func TestWrittenConfigs(t *testing.T) {
	text := "tail: [x.log]\ncoordinator:\n  listen: 127.0.0.1:0\n  tick_time: 500ms\nbroker:\n  listen: 127.0.0.1:0\n  partitions: 2\n  retention_hours: -1\n" +
		"inputs:\n  - id: app\n    paths: [app.log]\n    parsers:\n      - multiline: {pattern: '^\\S'}\n"
	c, err := Parse("sluice.yml", []byte(text), Flags{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	zc, err := c.coordinatorConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	loadedZC, warnings, err := coordinator.LoadConfig(filepath.Join(dir, "zoo.cfg"))
	if err != nil || len(warnings) > 0 {
		t.Fatal(err, warnings)
	}
	zc.File = loadedZC.File
	if !reflect.DeepEqual(loadedZC, zc) || zc.TickTime != 500*time.Millisecond || zc.ClientAddr != "127.0.0.1:0" {
		t.Errorf("zoo.cfg loads as\n%+v\nsluice up runs\n%+v", loadedZC, zc)
	}

	bc, err := c.brokerConfig(dir, "127.0.0.1:2181")
	if err != nil {
		t.Fatal(err)
	}
	loadedBC, warnings, err := broker.LoadConfig(filepath.Join(dir, "server.properties"))
	if err != nil || len(warnings) > 0 {
		t.Fatal(err, warnings)
	}
	bc.File = loadedBC.File
	if !reflect.DeepEqual(loadedBC, bc) || bc.NumPartitions != 2 || bc.RetentionMs != -1 || bc.OffsetsPartitions != 1 {
		t.Errorf("server.properties loads as\n%+v\nsluice up runs\n%+v", loadedBC, bc)
	}

	ac, err := c.agentConfig("127.0.0.1:1", dir)
	if err != nil {
		t.Fatal(err)
	}
	loadedAC, err := agent.LoadConfig(filepath.Join(dir, "agent.yml"))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := yaml.Marshal(ac)
	if got, _ := yaml.Marshal(loadedAC); string(got) != string(want) {
		t.Errorf("agent.yml loads as\n%s\nsluice up runs\n%s", got, want)
	}
	if m := ac.Inputs[1].Parsers[0].Multiline; m == c.Inputs[0].Parsers[0].Multiline || c.Inputs[0].Parsers[0].Multiline.Match != "" {
		t.Error("the agent's defaults were written into sluice.yml's inputs")
	}
}
