package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluicelogs/sluice/testkit/geoiptest"
)

func runIn(stdin string, args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(context.Background(), &env{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb}, args)
	return code, out.String(), errb.String()
}

func TestPipelineTestExamples(t *testing.T) {
	files, _ := filepath.Glob("../../examples/pipelines/*.yml")
	if len(files) < 3 {
		t.Fatalf("examples: %v", files)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			code, out, errOut := runIn("", "pipeline", "test", f)
			if code != 0 || !strings.Contains(out, " passed, 0 failed") {
				t.Fatalf("exit %d\n%s%s", code, out, errOut)
			}
		})
	}
}

func TestPipelineTestFailing(t *testing.T) {
	dir := t.TempDir()
	def := `processors:
  - set: {field: status, value: ok}
tests:
  - name: passes
    input: {a: 1}
    output: {a: 1, status: ok}
  - name: expects the wrong value
    input: {a: 1}
    output: {a: 1, status: fine}
`
	file := filepath.Join(dir, "p.yml")
	if err := os.WriteFile(file, []byte(def), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runIn("", "pipeline", "test", file)
	if code == 0 {
		t.Fatalf("exit 0 for a failing test\n%s", out)
	}
	for _, want := range []string{"FAIL " + file + ":7: expects the wrong value", `-   "status": "fine"`, `+   "status": "ok"`, "1 passed, 1 failed"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "1 test(s) failed") {
		t.Errorf("stderr: %s", errOut)
	}
}

func TestPipelineTestBadDefinition(t *testing.T) {
	file := filepath.Join(t.TempDir(), "bad.yml")
	if err := os.WriteFile(file, []byte("processors:\n  - nope: {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ := runIn("", "pipeline", "test", file)
	if code != 1 || !strings.Contains(out, file+":2: processor nope#0: unknown processor") {
		t.Fatalf("exit %d\n%s", code, out)
	}
}

func TestPipelineRun(t *testing.T) {
	in := strings.Join([]string{
		`{"message":"{\"time\":\"2024-05-01T12:00:00Z\",\"level\":\"ERROR\",\"msg\":\"boom\",\"code\":500}","host":{"name":"a"}}`,
		`{"message":"{\"time\":1714564800000,\"level\":\"debug\",\"msg\":\"dropped\"}"}`,
		``,
		`plain words`,
	}, "\n")
	code, out, errOut := runIn(in, "pipeline", "run", "../../examples/pipelines/app-json.yml")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 events (one dropped):\n%s", out)
	}
	var first map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	if first["@timestamp"] != "2024-05-01T12:00:00.000Z" || first["message"] != "boom" ||
		first["log"].(map[string]any)["level"] != "error" || first["host"].(map[string]any)["name"] != "a" ||
		first["labels"].(map[string]any)["code"] != 500.0 {
		t.Errorf("first event: %s", lines[0])
	}
	if !strings.Contains(lines[1], `"message":"plain words"`) || !strings.Contains(lines[1], `"error":{`) {
		t.Errorf("a line that is not an event object is taken as the message: %s", lines[1])
	}
}

func TestPipelineRunErrors(t *testing.T) {
	code, out, errOut := runIn("not json\n", "pipeline", "run", "../../examples/pipelines/syslog.yml")
	if code != 1 || out != "" || !strings.Contains(errOut, "line 1: ") || !strings.Contains(errOut, "matches none of the grok patterns") {
		t.Fatalf("exit %d\nstdout %q\nstderr %q", code, out, errOut)
	}
	if code, _, errOut := runIn("", "pipeline", "frob"); code != 1 || !strings.Contains(errOut, "unknown subcommand") {
		t.Fatalf("exit %d %q", code, errOut)
	}
	if code, _, _ := runIn("", "pipeline", "run"); code != 1 {
		t.Fatalf("run without a file: exit %d", code)
	}
}

// TestPipelineRunFloats: floats a processor makes are written as the
// ingest node writes a Java double (2.0, not 2; 1.0E10), and -geoip
// names the directory of the geoip processors' databases.
func TestPipelineRunFloats(t *testing.T) {
	dir := t.TempDir()
	geoiptest.Write(t, filepath.Join(dir, "geo"))
	def := filepath.Join(dir, "p.yml")
	text := "processors:\n  - convert: {field: a, type: double}\n  - convert: {field: b, type: double}\n" +
		"  - set: {field: t, value: '{{a}} {{b}}'}\n  - geoip: {field: ip, properties: [location]}\n"
	if err := os.WriteFile(def, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runIn(`{"a":"2","b":"1e10","ip":"2001:480::1"}`+"\n", "pipeline", "run", "-geoip", filepath.Join(dir, "geo"), def)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	want := `{"a":2.0,"b":1.0E10,"geoip":{"location":{"lat":37.0,"lon":-97.0}},"ip":"2001:480::1","t":"2.0 1.0E10"}`
	if got := strings.TrimSpace(out); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
