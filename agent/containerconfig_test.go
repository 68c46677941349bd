package agent

import (
	"strings"
	"testing"
)

const containerYAML = `inputs:
  - id: k8s
    type: container
    stream: stdout
    paths: [/var/log/containers/*.log]
    parsers:
      - multiline: {pattern: '^\s', match: after}
  - id: docker
    paths: [/var/lib/docker/containers/*/*-json.log]
    parsers:
      - container: {format: docker}
      - ndjson: {target: app}
output.kafka:
  hosts: [localhost:9092]
  topic: logs
`

func TestContainerConfig(t *testing.T) {
	c, err := ParseConfig("agent.yml", []byte(containerYAML))
	if err != nil {
		t.Fatal(err)
	}
	k8s, dock := c.Inputs[0], c.Inputs[1]
	if len(k8s.Parsers) != 2 || k8s.Parsers[0].Container == nil || *k8s.Parsers[0].Container != (ContainerConfig{Stream: "stdout", Format: formatAuto, implied: true}) || k8s.Parsers[1].Multiline == nil {
		t.Fatalf("type: container parsers: %+v", k8s.Parsers)
	}
	if *dock.Parsers[0].Container != (ContainerConfig{Stream: streamAll, Format: formatDocker}) {
		t.Fatalf("container parser defaults: %+v", *dock.Parsers[0].Container)
	}
	c.SetDefaults() // a second time adds no parser
	if len(c.Inputs[0].Parsers) != 2 {
		t.Fatalf("SetDefaults twice: %d parsers", len(c.Inputs[0].Parsers))
	}
}

func TestContainerConfigErrors(t *testing.T) {
	for _, tc := range []struct{ name, text, want string }{
		{"bad stream", strings.Replace(containerYAML, "stream: stdout", "stream: stdin", 1), `agent.yml:4: inputs[0].stream: "stdin": want stdout, stderr or all`},
		{"bad format", strings.Replace(containerYAML, "stream: stdout", "format: json", 1), `agent.yml:4: inputs[0].format: "json": want auto, docker or cri`},
		{"bad parser format", strings.Replace(containerYAML, "{format: docker}", "{format: podman}", 1), `agent.yml:11: inputs[1].parsers[0].container.format: "podman"`},
		{"bad parser stream", strings.Replace(containerYAML, "{format: docker}", "{stream: both}", 1), `agent.yml:11: inputs[1].parsers[0].container.stream: "both"`},
		{"not first", strings.Replace(containerYAML, "      - container: {format: docker}\n      - ndjson: {target: app}", "      - ndjson: {target: app}\n      - container: {format: docker}", 1), `agent.yml:12: inputs[1].parsers[1].container: must be the first parser`},
		{"twice in one item", strings.Replace(containerYAML, "{format: docker}", "{format: docker}\n        ndjson: {}", 1), `agent.yml:11: inputs[1].parsers[0]: one parser per list item`},
		{"parser on type container", strings.Replace(containerYAML, "      - multiline: {pattern: '^\\s', match: after}", "      - container: {}", 1), `agent.yml:7: inputs[0].parsers[0].container: type: container reads the container format itself`},
		{"stream on filestream", strings.Replace(containerYAML, "  - id: docker\n", "  - id: docker\n    stream: stderr\n", 1), `agent.yml:9: inputs[1].stream: only for type: container`},
		{"multiline after the implied parser", strings.Replace(containerYAML, "match: after}", "match: around}", 1), `agent.yml:7: inputs[0].parsers[0].multiline.match: "around"`},
		{"unknown type", strings.Replace(containerYAML, "type: container", "type: docker", 1), `agent.yml:3: inputs[0].type: "docker": want filestream, log, container, syslog or journald`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig("agent.yml", []byte(tc.text))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v\nwant %s", err, tc.want)
			}
		})
	}
}
