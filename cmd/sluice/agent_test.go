package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluicelogs/sluice/testkit/testcluster"
)

func writeAgentConfig(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "agent.yml")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAgentTestConfigErrors(t *testing.T) {
	good := "inputs:\n  - id: a\n    paths: [/tmp/x/*.log]\noutput.kafka:\n  hosts: [127.0.0.1:1]\n  topic: logs\n"
	for _, tc := range []struct{ name, text, want string }{
		{"unknown key", strings.Replace(good, "    paths", "    pathz", 1), ":3: inputs[0].pathz: unknown key"},
		{"bad regexp in input", strings.Replace(good, "    paths: [/tmp/x/*.log]\n", "    paths: [/tmp/x/*.log]\n    include_lines: ['a(']\n", 1), ":4: inputs[0].include_lines[0]: error parsing regexp"},
		{"missing output", "inputs:\n  - id: a\n    paths: [/tmp/x/*.log]\n", ":1: output: output.kafka is required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := writeAgentConfig(t, tc.text)
			code, _, errOut := runArgs("agent", "test", "config", "-c", p)
			if code == 0 || !strings.Contains(errOut, p+tc.want) {
				t.Fatalf("exit %d, stderr %q; want %q", code, errOut, p+tc.want)
			}
			// The agent itself refuses to start on the same file.
			if code, _, errOut := runArgs("agent", "-c", p, "-e"); code == 0 || !strings.Contains(errOut, p+tc.want) {
				t.Fatalf("agent: exit %d, stderr %q", code, errOut)
			}
		})
	}
	p := writeAgentConfig(t, good)
	if code, out, errOut := runArgs("agent", "test", "config", "-c", p); code != 0 || !strings.Contains(out, "Config OK") {
		t.Fatalf("good config: exit %d %q %q", code, out, errOut)
	}
	if code, out, errOut := runArgs("agent", "-c", p, "test", "config"); code != 0 || !strings.Contains(out, "Config OK") {
		t.Fatalf("flags first: exit %d %q %q", code, out, errOut)
	}
}

func TestAgentTestOutput(t *testing.T) {
	zk := testcluster.Coordinator(t)
	b := testcluster.StartBroker(t, 1, zk, "")
	p := writeAgentConfig(t, "inputs:\n  - id: a\n    paths: [/tmp/x/*.log]\noutput.kafka:\n  hosts: ["+b.Addr()+"]\n  topic: 'logs-%{[fields.service]}'\n")
	code, out, errOut := runArgs("agent", "test", "output", "-c", p)
	if code != 0 || !strings.Contains(out, "broker 1 at ") || !strings.Contains(out, "OK") {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", code, out, errOut)
	}
	bad := writeAgentConfig(t, "inputs:\n  - id: a\n    paths: [/tmp/x/*.log]\noutput.kafka:\n  hosts: [127.0.0.1:1]\n  topic: t\n")
	if code, _, errOut := runArgs("agent", "test", "output", "-c", bad); code == 0 || !strings.Contains(errOut, "no broker") {
		t.Fatalf("unreachable: exit %d %q", code, errOut)
	}
}

// TestMonitoringDefaultsLoopback: the agent's metrics and the shipped
// broker unit's metrics listen on loopback unless an operator names
// another address; the metrics are not for every network the host is on.
func TestMonitoringDefaultsLoopback(t *testing.T) {
	_, _, help := runArgs("agent", "-h")
	if !strings.Contains(help, `(default "127.0.0.1:5066")`) {
		t.Errorf("agent -metrics-addr default is not 127.0.0.1:5066:\n%s", help)
	}
	unit, err := os.ReadFile(filepath.Join("..", "..", "deploy", "systemd", "sluice-broker.service"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(unit), "--metrics 127.0.0.1:9308") {
		t.Errorf("the broker unit does not serve metrics on 127.0.0.1:9308:\n%s", unit)
	}
	_, _, help = runArgs("indexer", "-h")
	if !strings.Contains(help, `(default "127.0.0.1:9600")`) {
		t.Errorf("indexer -metrics default is not 127.0.0.1:9600:\n%s", help)
	}
	unit, err = os.ReadFile(filepath.Join("..", "..", "deploy", "indexer", "sluice-indexer.service"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(unit), "-metrics 127.0.0.1:9600") {
		t.Errorf("the indexer unit does not serve metrics on 127.0.0.1:9600:\n%s", unit)
	}
}
