package config

import (
	"errors"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

func TestProperties(t *testing.T) {
	p, err := ParseProperties("zoo.cfg", []byte(`# a comment
tickTime=2000
initLimit = 10
server.1=h1:2888:3888
server.2=h2:2888:3888
clientPort=abc
zookeeper.connection.timeout.ms: 18000
unknownKey=1
`))
	if err != nil {
		t.Fatal(err)
	}
	if n, err := p.Int("tickTime", 0); err != nil || n != 2000 {
		t.Fatalf("tickTime = %d, %v", n, err)
	}
	if n, err := p.Int("initLimit", 0); err != nil || n != 10 {
		t.Fatalf("initLimit = %d, %v", n, err)
	}
	if n, err := p.Int("syncLimit", 5); err != nil || n != 5 {
		t.Fatalf("default syncLimit = %d, %v", n, err)
	}
	if d, err := p.Millis("zookeeper.connection.timeout.ms", 0); err != nil || d != 18*time.Second {
		t.Fatalf("timeout = %v, %v", d, err)
	}
	_, err = p.Int("clientPort", 2181)
	var ce *Error
	if !errors.As(err, &ce) || ce.Line != 6 || ce.Key != "clientPort" || ce.File != "zoo.cfg" {
		t.Fatalf("bad clientPort error = %#v", err)
	}
	if got := err.Error(); got != `zoo.cfg:6: clientPort: "abc" is not an integer` {
		t.Fatalf("error text = %q", got)
	}
	if got := p.Prefixed("server."); strings.Join(got, ",") != "server.1,server.2" {
		t.Fatalf("server keys = %v", got)
	}
	unknown := p.Unknown()
	if len(unknown) != 1 || unknown[0].Key != "unknownKey" || unknown[0].Line != 8 {
		t.Fatalf("unknown = %v", unknown)
	}
}

func TestPropertiesSyntaxErrors(t *testing.T) {
	_, err := ParseProperties("server.properties", []byte("broker.id=1\nnonsense\nbroker.id=2\n"))
	if err == nil {
		t.Fatal("no error")
	}
	want := "server.properties:2: expected key=value, got \"nonsense\"\nserver.properties:3: broker.id: given twice (first on line 1)"
	if err.Error() != want {
		t.Fatalf("error =\n%s\nwant\n%s", err, want)
	}
}

type agentConf struct {
	Inputs []struct {
		ID    string   `yaml:"id"`
		Paths []string `yaml:"paths"`
	} `yaml:"inputs"`
	Output struct {
		Kafka struct {
			Hosts        []string `yaml:"hosts"`
			RequiredAcks int      `yaml:"required_acks"`
		} `yaml:"kafka"`
	} `yaml:"output"`
}

func TestYAMLErrors(t *testing.T) {
	for _, tc := range []struct {
		name, text, want string
	}{
		{"unknown nested key", "output:\n  kafka:\n    hostz: [a]\n", "agent.yml:3: output.kafka.hostz: unknown key"},
		{"unknown key in list item", "inputs:\n  - id: a\n    pathz: [x]\n", "agent.yml:3: inputs[0].pathz: unknown key"},
		{"bad value", "output:\n  kafka:\n    required_acks: all\n", "agent.yml:3: output.kafka.required_acks: value `all` is not a valid int"},
		{"syntax", "inputs: [\n", "agent.yml:1: did not find expected node content"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c agentConf
			err := DecodeYAML("agent.yml", []byte(tc.text), &c)
			if err == nil || err.Error() != tc.want {
				t.Fatalf("error = %v\nwant    %s", err, tc.want)
			}
		})
	}
	var c agentConf
	if err := DecodeYAML("agent.yml", []byte("inputs:\n  - id: a\n    paths: [/var/log/*.log]\n"), &c); err != nil {
		t.Fatal(err)
	}
	if c.Inputs[0].Paths[0] != "/var/log/*.log" {
		t.Fatalf("decoded %+v", c)
	}
	if err := DecodeYAML("empty.yml", nil, &c); err != nil {
		t.Fatalf("empty document: %v", err)
	}
}

func TestLineOf(t *testing.T) {
	text := "a: 1\nb:\n  c: [x, y]\n  d:\n    - e: 1\n    - e: 2\n      f: 3\noutput.kafka:\n  hosts: [h]\n"
	var root yaml.Node
	if err := yaml.Unmarshal([]byte(text), &root); err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]int{
		"a": 1, "b": 2, "b.c": 3, "b.d[1].f": 7, "b.d[0]": 5, "b.d[1].g": 6, "b.zz": 2,
		"output.kafka.hosts": 9, "nothing": 0,
	} {
		if got := LineOf(&root, key); got != want {
			t.Errorf("LineOf(%q) = %d, want %d", key, got, want)
		}
	}
	if LineOf(nil, "a") != 0 {
		t.Error("LineOf(nil) is not 0")
	}
}
