package agent

import (
	"github.com/sluicelogs/sluice/pipelines"
	"strings"
	"testing"
	"time"
)

const validYAML = `inputs:
  - id: app
    paths: [/var/log/app/*.log]
    fields: {service: web}
    parsers:
      - multiline: {pattern: '^\s', match: after}
output.kafka:
  hosts: [localhost:9092]
  topic: 'logs-%{[fields.service]}'
`

func TestConfigDefaultsAndDottedKeys(t *testing.T) {
	c, err := ParseConfig("agent.yml", []byte(validYAML))
	if err != nil {
		t.Fatal(err)
	}
	k := c.Output.Kafka
	if k == nil || *k.RequiredAcks != -1 || k.Compression != "zstd" || k.Partition != "hash" || c.Queue.Mem.Events != 4096 {
		t.Fatalf("defaults: %+v queue %d", k, c.Queue.Mem.Events)
	}
	in := c.Inputs[0]
	if in.MaxBytes != 10<<20 || in.Parsers[0].Multiline.MaxLines != 500 || in.Parsers[0].Multiline.re == nil {
		t.Fatalf("input defaults: %+v", in)
	}
	if k.topic.Static() {
		t.Fatal("topic format has a reference")
	}
	nested := strings.Replace(validYAML, "output.kafka:\n", "output:\n  kafka:\n", 1)
	nested = strings.ReplaceAll(nested, "\n  hosts", "\n    hosts")
	nested = strings.ReplaceAll(nested, "\n  topic", "\n    topic")
	if _, err := ParseConfig("agent.yml", []byte(nested+"queue:\n  mem:\n    events: 10\n")); err != nil {
		t.Fatalf("nested form: %v", err)
	}
}

// TestRegistryFlushDefault: registry.flush is 1s unless set, and a 0s
// that is set stays 0s (after each acknowledged batch), in either spelling.
func TestRegistryFlushDefault(t *testing.T) {
	for _, tc := range []struct {
		text string
		want time.Duration
	}{
		{"", time.Second},
		{"registry:\n  flush: 0s\n", 0},
		{"registry.flush: 0s\n", 0},
		{"registry.flush: 5s\n", 5 * time.Second},
	} {
		c, err := ParseConfig("agent.yml", []byte(validYAML+tc.text))
		if err != nil {
			t.Fatalf("%q: %v", tc.text, err)
		}
		if got := c.Registry.Flush; got == nil || *got != tc.want {
			t.Errorf("%q: registry.flush %v, want %v", tc.text, got, tc.want)
		}
	}
	if _, err := ParseConfig("agent.yml", []byte(validYAML+"registry.flush: -1s\n")); err == nil || !strings.Contains(err.Error(), "registry.flush: must not be negative") {
		t.Errorf("a negative registry.flush: %v", err)
	}
}

func TestConfigErrorsNameFileLineKey(t *testing.T) {
	for _, tc := range []struct{ name, text, want string }{
		{"unknown key", strings.Replace(validYAML, "    fields:", "    feilds:", 1), "agent.yml:4: inputs[0].feilds: unknown key"},
		{"bad regexp", strings.Replace(validYAML, `'^\s'`, `'^(\s'`, 1), "agent.yml:6: inputs[0].parsers[0].multiline.pattern: error parsing regexp"},
		{"bad exclude_lines", strings.Replace(validYAML, "    fields:", "    exclude_lines: ['[']\n    fields:", 1), "agent.yml:4: inputs[0].exclude_lines[0]: error parsing regexp"},
		{"clean_inactive without ignore_older", strings.Replace(validYAML, "    fields:", "    clean_inactive: 1h\n    fields:", 1), "agent.yml:4: inputs[0].clean_inactive: 1h0m0s: must be greater than ignore_older + scan_frequency"},
		{"clean_inactive too short", strings.Replace(validYAML, "    fields:", "    ignore_older: 1h\n    clean_inactive: 1h\n    fields:", 1), "agent.yml:5: inputs[0].clean_inactive: 1h0m0s: must be greater than"},
		{"missing output", validYAML[:strings.Index(validYAML, "output.kafka")], "agent.yml:1: output: output.kafka is required"},
		{"missing hosts", strings.Replace(validYAML, "  hosts: [localhost:9092]\n", "", 1), "agent.yml:7: output.kafka.hosts: at least one"},
		{"bad acks", validYAML + "  required_acks: 2\n", "agent.yml:10: output.kafka.required_acks: 2: want -1 (all), 0 or 1"},
		{"bad compression", validYAML + "  compression: brotli\n", "agent.yml:10: output.kafka.compression"},
		{"bad format", strings.Replace(validYAML, "%{[fields.service]}", "%{[fields.service]", 1), "agent.yml:9: output.kafka.topic"},
		{"no inputs", "output.kafka: {hosts: [a:1], topic: t}\n", "agent.yml:1: inputs: at least one input"},
		{"bad duration", strings.Replace(validYAML, "    fields:", "    close_inactive: soon\n    fields:", 1), "agent.yml:4: inputs[0].close_inactive"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig("agent.yml", []byte(tc.text))
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("error = %v\nwant prefix %s", err, tc.want)
			}
		})
	}
}

func TestFormat(t *testing.T) {
	f, err := pipelines.ParseFormat("logs-%{[fields.service]}-%{[host.name]}")
	if err != nil {
		t.Fatal(err)
	}
	vals := map[string]any{"fields.service": "web", "host.name": "h1"}
	got, missing := resolve(f, func(p []string) (any, bool) {
		v, ok := vals[strings.Join(p, ".")]
		return v, ok
	}, "unknown")
	if got != "logs-web-h1" || missing != "" {
		t.Fatalf("got %q missing %q", got, missing)
	}
	delete(vals, "host.name")
	if got, missing = resolve(f, func(p []string) (any, bool) { v, ok := vals[strings.Join(p, ".")]; return v, ok }, "unknown"); got != "logs-web-unknown" || missing != "host.name" {
		t.Fatalf("got %q missing %q", got, missing)
	}
	for _, bad := range []string{"a-%{[x]", "%{[]}", "a-%{}"} {
		if _, err := pipelines.ParseFormat(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}
