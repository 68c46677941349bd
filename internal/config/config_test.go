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
		ID       string         `yaml:"id"`
		Paths    []string       `yaml:"paths"`
		MaxBytes int64          `yaml:"max_bytes"`
		Limits   map[string]int `yaml:"limits"`
		Ratio    float64        `yaml:"ratio"`
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
		// yaml.v3 alone would decode these as 1 and 2.
		{"fraction for an int", "output:\n  kafka:\n    required_acks: 1.5\n", "agent.yml:3: output.kafka.required_acks: want a whole number, not 1.5"},
		{"fraction in a list item", "inputs:\n  - id: a\n  - max_bytes: 2.25e3\n    ratio: 0.5\n", "agent.yml:3: inputs[1].max_bytes: want a whole number, not 2.25e3"},
		{"fraction in a map", "inputs:\n  - limits: {a: 1, b: 2.0}\n", "agent.yml:2: inputs[0].limits.b: want a whole number, not 2.0"},
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

// testConf is a properties configuration for the loader's tests.
type testConf struct {
	Port    int
	Timeout time.Duration
	Name    string
}

func (c *testConf) ReadProperties(p *Properties) error {
	var errs Errors
	for _, k := range []struct {
		key string
		v   IntVar
	}{{"port", Int(&c.Port)}, {"timeout.ms", Millis(&c.Timeout)}} {
		n, err := p.Int64(k.key, k.v.Get())
		if err == nil && !k.v.Set(n) {
			err = p.Errorf(k.key, "%d does not fit", n)
		}
		if err != nil {
			errs = append(errs, p.Locate(err)...)
		}
	}
	c.Name = p.String("name", c.Name)
	return errs.Err()
}

func (c *testConf) Validate() error {
	var errs Errors
	if c.Port <= 0 {
		errs.Addf("port", "must be positive, got %d", c.Port)
	}
	if c.Name == "" {
		errs.Addf("name", "is required")
	}
	return errs.Err()
}

func testDefaults() testConf { return testConf{Port: 1, Timeout: time.Second} }

func TestPropertiesConfig(t *testing.T) {
	c, warnings, err := ParsePropertiesConfig[testConf]("t.properties", []byte("name=x\ntimeout.ms=250\nextra=1\n"), testDefaults)
	if err != nil {
		t.Fatal(err)
	}
	if *c != (testConf{Port: 1, Timeout: 250 * time.Millisecond, Name: "x"}) {
		t.Fatalf("loaded %+v", *c)
	}
	if len(warnings) != 1 || warnings[0].Error() != "t.properties:3: extra: unknown key" {
		t.Fatalf("warnings %v", warnings)
	}
	for _, tc := range []struct{ text, want string }{
		// Validate's errors at the line of their key, or at the file.
		{"port=0\n", "t.properties:1: port: must be positive, got 0\nt.properties: name: is required"},
		// Parse errors alone: Validate does not run.
		{"port=x\ntimeout.ms=99999999999999\n", "t.properties:1: port: \"x\" is not an integer\nt.properties:2: timeout.ms: 99999999999999 does not fit"},
		{"port\n", `t.properties:1: expected key=value, got "port"`},
	} {
		if _, _, err := ParsePropertiesConfig[testConf]("t.properties", []byte(tc.text), testDefaults); err == nil || err.Error() != tc.want {
			t.Errorf("error\n%v\nwant\n%s", err, tc.want)
		}
	}
	if _, _, err := LoadPropertiesConfig[testConf]("/nonexistent/t.properties", testDefaults); err == nil {
		t.Error("no error for a missing file")
	}
	// A struct built in code: the error names the key only.
	if err := (&testConf{Port: 1}).Validate(); err == nil || err.Error() != "name: is required" {
		t.Errorf("error %v", err)
	}
}

func TestLocate(t *testing.T) {
	p, err := ParseProperties("f", []byte("a=1\nb=2\n"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Locate(nil) != nil {
		t.Error("Locate(nil) is not empty")
	}
	elsewhere := &Error{File: "myid", Line: 1, Err: errors.New("bad")}
	got := p.Locate(Errors{{Key: "b", Err: errors.New("x")}, elsewhere, {Key: "c", Err: errors.New("y")}})
	if got.Error() != "f:2: b: x\nmyid:1: bad\nf: c: y" {
		t.Errorf("located %q", got)
	}
	if got := p.Locate(errors.New("plain")); got.Error() != "f: plain" {
		t.Errorf("located %q", got)
	}
}

func TestIntVar(t *testing.T) {
	var small int16
	if v := Int(&small); v.Set(1<<15) || small != 0 || !v.Set(-5) || v.Get() != -5 {
		t.Errorf("int16: %d", small)
	}
	var d time.Duration
	if v := Millis(&d); !v.Set(1500) || d != 1500*time.Millisecond || v.Get() != 1500 || v.Set(1<<62) {
		t.Errorf("millis: %v", d)
	}
}
