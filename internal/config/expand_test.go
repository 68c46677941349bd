package config

import (
	"errors"
	"runtime"
	"strings"
	"testing"
)

func TestExpandYAML(t *testing.T) {
	vars := map[string]string{
		"HOST": "es.example", "PORT": "9200", "PASS": `p@ss: #"word'\`, "EMPTY": "",
		"LIST": "a,b", "NUM": "12", "NULL": "~",
	}
	lookup := func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
	type T struct {
		URL      string   `yaml:"url"`
		Port     int      `yaml:"port"`
		Password string   `yaml:"password"`
		Quoted   string   `yaml:"quoted"`
		Single   string   `yaml:"single"`
		Def      string   `yaml:"def"`
		Empty    string   `yaml:"empty"`
		Tilde    string   `yaml:"tilde"`
		Hosts    []string `yaml:"hosts"`
		Nested   struct {
			N int `yaml:"n"`
		} `yaml:"nested"`
	}
	text := `# a comment with ${NOT_EXPANDED}
url: https://${HOST}:${PORT}   # trailing comment
port: ${PORT}
password: ${PASS}
quoted: "x${PASS}y"
single: 'it''s ${HOST}'
def: ${UNSET:fallback value}
empty: ${EMPTY}
tilde: ${NULL}
hosts: ["${LIST}", "${HOST}"]
nested:
  n: ${NUM}
`
	out, err := ExpandYAML("f.yml", []byte(text), lookup)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Count(string(out), "\n"), strings.Count(text, "\n"); got != want {
		t.Fatalf("%d lines, want %d:\n%s", got, want, out)
	}
	var v T
	if err := DecodeYAML("f.yml", out, &v); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	want := T{URL: "https://es.example:9200", Port: 9200, Password: vars["PASS"], Quoted: "x" + vars["PASS"] + "y",
		Single: "it's es.example", Def: "fallback value", Empty: "", Tilde: "~", Hosts: []string{"a,b", "es.example"}}
	want.Nested.N = 12
	if v.URL != want.URL || v.Port != want.Port || v.Password != want.Password || v.Quoted != want.Quoted ||
		v.Single != want.Single || v.Def != want.Def || v.Empty != want.Empty || v.Tilde != want.Tilde || strings.Join(v.Hosts, "|") != "a,b|es.example" || v.Nested != want.Nested {
		t.Fatalf("got %+v\nwant %+v\n%s", v, want, out)
	}
	// Lines stay: an unknown key after a reference is still on its line.
	out, err = ExpandYAML("f.yml", []byte("password: ${PASS}\n\nbogus: 1\n"), lookup)
	if err != nil {
		t.Fatal(err)
	}
	if err := DecodeYAML("f.yml", out, &v); err == nil || !strings.Contains(err.Error(), "f.yml:3: bogus: unknown key") {
		t.Fatalf("got %v", err)
	}
}

func TestExpandYAMLErrors(t *testing.T) {
	lookup := func(string) (string, bool) { return "", false }
	for _, c := range []struct{ text, want string }{
		{"a: 1\nout:\n  kafka:\n    password: ${KAFKA_PASS}\n", "f.yml:4: out.kafka.password: ${KAFKA_PASS} is not set"},
		{"list:\n  - ok\n  - ${X\n", "f.yml:3: list[1]: \"${X\": ${ without a closing }"},
		{"a: ${}\n", "f.yml:1: a: \"${}\": ${} names no variable"},
		{"a: |\n  one ${X:x}\n", "f.yml:1: a: ${…} is expanded only in values written on one line"},
	} {
		_, err := ExpandYAML("f.yml", []byte(c.text), lookup)
		var ce Errors
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want %q", c.text, err, c.want)
		}
	}
}

// TestExpandYAMLNotUTF8: a variable whose value is not UTF-8 is an error
// (it was written as "\xff", which YAML reads as U+00FF, another value).
func TestExpandYAMLNotUTF8(t *testing.T) {
	lookup := func(string) (string, bool) { return "p\xffss", true }
	for _, text := range []string{"a: ${A}\n", "a: x${A}\n", "a: \"${A}\"\n"} {
		out, err := ExpandYAML("f.yml", []byte(text), lookup)
		if err == nil || !strings.Contains(err.Error(), "f.yml:1: a: ${A}: its value is not valid UTF-8") {
			t.Errorf("%q: got %q, %v; want an error", text, out, err)
		}
	}
}

// TestExpandYAMLManyOnOneLine: k references on one line cost about the
// line, not k copies of it (each edit used to rebuild the whole line:
// quadratic: about 1 GB for this 90 KB line).
func TestExpandYAMLManyOnOneLine(t *testing.T) {
	const k = 10000
	text := "hosts: [" + strings.Repeat(`"x${A}", `, k) + "x]\n"
	lookup := func(string) (string, bool) { return "v", true }
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	before := ms.TotalAlloc
	out, err := ExpandYAML("f.yml", []byte(text), lookup)
	runtime.ReadMemStats(&ms)
	if err != nil {
		t.Fatal(err)
	}
	if want := "hosts: [" + strings.Repeat(`"xv", `, k) + "x]\n"; string(out) != want {
		t.Fatalf("got %.200q…", out)
	}
	// Parsing alone takes a few kilobytes a value; 64 MB is far above
	// that and far below k copies of the line.
	if alloc := ms.TotalAlloc - before; alloc > 64<<20 {
		t.Fatalf("%d bytes allocated for a %d-byte line", alloc, len(text))
	}
}
