package pipelines

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// TestDefinitionErrors: each bad definition is reported with file, line
// and processor.
func TestDefinitionErrors(t *testing.T) {
	cases := []struct {
		name, def, want string
	}{
		{"unknown processor", "processors:\n  - set: {field: a, value: 1}\n  - frobnicate: {}\n",
			"bad.yml:3: processor frobnicate#1: unknown processor"},
		{"unknown option", "processors:\n  - set:\n      field: a\n      value: 1\n      colour: red\n",
			"bad.yml:5: processor set#0: unknown option colour"},
		{"bad grok pattern name", "processors:\n  - grok:\n      field: message\n      patterns:\n        - '%{NOSUCH:x}'\n",
			"bad.yml:5: processor grok#0: patterns[0]: unknown grok pattern %{NOSUCH}"},
		{"bad grok regexp", "processors:\n  - grok: {field: message, patterns: ['(unclosed']}\n",
			"bad.yml:2: processor grok#0: patterns[0]: grok expression"},
		{"recursive grok definition", "processors:\n  - grok: {field: m, patterns: ['%{A}'], pattern_definitions: {A: 'x%{B}', B: '%{A}'}}\n",
			"refers to itself"},
		{"bad grok type", "processors:\n  - grok: {field: m, patterns: ['%{INT:n:short}']}\n", "unknown type \"short\""},
		{"bad if", "processors:\n  - set:\n      field: a\n      value: 1\n      if: 'a ==== 1'\n",
			"bad.yml:5: processor set#0: if: "},
		{"bad gsub regexp", "processors:\n  - gsub: {field: a, pattern: '[', replacement: x}\n", "bad.yml:2: processor gsub#0: pattern: error parsing regexp"},
		{"missing required", "processors:\n  - rename: {field: a}\n", "bad.yml:2: processor rename#0: missing required option target_field"},
		{"bad date format", "processors:\n  - date:\n      field: t\n      formats: [ISO8601, 'yyyy QQ']\n", "bad.yml:4: processor date#0: formats[1]: date pattern \"yyyy QQ\": symbol QQ is not supported"},
		{"bad timezone", "processors:\n  - date: {field: t, formats: [UNIX], timezone: Mars/Olympus}\n", "bad.yml:2: processor date#0: timezone:"},
		{"bad convert type", "processors:\n  - convert: {field: a, type: short}\n", "processor convert#0: type: want integer"},
		{"bad bool", "processors:\n  - set: {field: a, value: 1, ignore_failure: maybe}\n", "ignore_failure: want true or false"},
		{"nested on_failure error", "processors:\n  - set:\n      field: a\n      value: 1\n      on_failure:\n        - nope: {}\n",
			"bad.yml:6: processor set#0.on_failure.processor nope#0: unknown processor"},
		{"unknown top-level key", "processor:\n  - set: {field: a, value: 1}\n", "bad.yml:1: processor: unknown key"},
		{"two errors", "processors:\n  - set: {field: a}\n  - rename: {field: a, target_field: b, x: 1}\n", "bad.yml:3: processor rename#1: unknown option x"},
		{"missing pipeline", "processors:\n  - pipeline: {name: nosuch}\n", "bad.yml:2: processor pipeline#0: name:"},
		{"negative grok max_bytes", "processors:\n  - grok:\n      field: m\n      patterns: ['%{INT:n}']\n      max_bytes: -1\n",
			"bad.yml:5: processor grok#0: max_bytes: must be at least 1, not -1"},
		{"zero grok max_bytes", "processors:\n  - grok: {field: m, patterns: ['%{INT:n}'], max_bytes: 0}\n",
			"bad.yml:2: processor grok#0: max_bytes: must be at least 1, not 0"},
		{"grok max_bytes not a number", "processors:\n  - grok:\n      patterns: ['%{INT:n}']\n      max_bytes: 64KiB\n",
			"bad.yml:4: processor grok#0: max_bytes: want a whole number of bytes, not \"64KiB\""},
		{"negative user_agent max_bytes", "processors:\n  - user_agent:\n      field: ua\n      max_bytes: -1024\n",
			"bad.yml:4: processor user_agent#0: max_bytes: must be at least 1, not -1024"},
		{"user_agent max_bytes not a number", "processors:\n  - user_agent: {field: ua, max_bytes: 1.5}\n",
			"bad.yml:2: processor user_agent#0: max_bytes: want a whole number of bytes, not \"1.5\""},
		{"test without input", "processors: []\ntests:\n  - name: x\n    output: {}\n", "bad.yml:3: tests[0]: a test needs an input"},
		{"bad yaml", "processors: [\n", "bad.yml: yaml:"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			file := filepath.Join(dir, "bad.yml")
			if err := os.WriteFile(file, []byte(c.def), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Load(file, Options{})
			if err == nil {
				t.Fatal("no error")
			}
			msg := strings.ReplaceAll(err.Error(), dir+string(filepath.Separator), "")
			if !strings.Contains(msg, c.want) {
				t.Fatalf("error:\n%s\nwant it to contain:\n%s", msg, c.want)
			}
		})
	}
}

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestPipelineCalls(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"main.yml": `processors:
  - set: {field: step, value: main}
  - pipeline: {name: common}
  - pipeline: {name: other.yml, if: 'kind == "other"'}
`,
		"common.yml": `processors:
  - append: {field: seen, value: common}
  - drop: {if: 'kind == "junk"'}
`,
		"other.yml": `processors:
  - append: {field: seen, value: other}
  - pipeline: {name: common}
  - fail: {message: 'other failed', if: 'kind == "other" && fail == true'}
`,
	})
	ps, err := LoadDir(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 3 || ps["main"] == nil || ps["common"] == nil || ps["other"] == nil {
		t.Fatalf("LoadDir: %v", ps)
	}
	main := ps["main"]
	cases := []struct {
		in      Event
		want    Event
		dropped bool
		err     string
	}{
		{Event{"kind": "a"}, Event{"kind": "a", "step": "main", "seen": []any{"common"}}, false, ""},
		{Event{"kind": "other"}, Event{"kind": "other", "step": "main", "seen": []any{"common", "other", "common"}}, false, ""},
		{Event{"kind": "junk"}, nil, true, ""},
		{Event{"kind": "other", "fail": true}, nil, false, "other.yml: processor fail#2: other failed"},
	}
	for i, c := range cases {
		out, dropped, err := main.Run(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("case %d: error %v, want %q", i, err, c.err)
			}
			continue
		}
		if err != nil || dropped != c.dropped || (!dropped && !reflect.DeepEqual(out, c.want)) {
			t.Errorf("case %d: %v %v %v, want %v dropped=%v", i, out, dropped, err, c.want, c.dropped)
		}
	}
}

func TestPipelineCycles(t *testing.T) {
	cases := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"self", map[string]string{"a.yml": "processors:\n  - pipeline: {name: a}\n"}, "a.yml:2: processor pipeline#0: name: pipeline cycle: a.yml → a.yml"},
		{"three", map[string]string{
			"a.yml": "processors:\n  - pipeline: {name: b}\n",
			"b.yml": "processors:\n  - set: {field: x, value: 1}\n  - pipeline: {name: c}\n",
			"c.yml": "processors:\n  - pipeline: {name: a.yml}\n",
		}, "c.yml:2: processor pipeline#0: name: pipeline cycle: a.yml → b.yml → c.yml → a.yml"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := writeFiles(t, c.files)
			_, err := Load(filepath.Join(dir, "a.yml"), Options{})
			if err == nil {
				t.Fatal("no error")
			}
			if msg := strings.ReplaceAll(err.Error(), dir+"/", ""); !strings.Contains(msg, c.want) {
				t.Fatalf("error %q, want %q", msg, c.want)
			}
		})
	}
}

func TestPipelineOnFailure(t *testing.T) {
	p := mustParse(t, `processors:
  - set: {field: a, value: 1}
  - fail: {message: 'broken {{a}}', tag: breaker}
  - set: {field: never, value: 1}
on_failure:
  - set: {field: error.message, value: '{{_ingest.on_failure_message}}'}
  - set: {field: error.where, value: '{{_ingest.on_failure_pipeline}} {{_ingest.on_failure_processor_type}} {{_ingest.on_failure_processor_tag}}'}
`)
	out, dropped, err := p.Run(Event{})
	want := Event{"a": int64(1), "error": map[string]any{"message": "broken 1", "where": "test.yml fail breaker"}}
	if err != nil || dropped || !reflect.DeepEqual(out, want) {
		t.Fatalf("%v %v %v", out, dropped, err)
	}
}

// TestConcurrentRun runs one pipeline from many goroutines; with -race it
// checks that Run shares no mutable state.
func TestConcurrentRun(t *testing.T) {
	p, err := Load("../examples/pipelines/nginx.yml", Options{})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				out, _, err := p.Run(Event{"message": nginxLine})
				if err != nil {
					errs <- err
					return
				}
				if out["@timestamp"] != "2015-05-17T08:05:32.000Z" {
					errs <- &ProcessorError{Err: os.ErrInvalid}
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// TestExamples runs the tests declared by every example definition.
func TestExamples(t *testing.T) {
	files, _ := filepath.Glob("../examples/pipelines/*.yml")
	if len(files) < 3 {
		t.Fatalf("examples: %v", files)
	}
	for _, f := range files {
		p, err := Load(f, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if p.Tests() == 0 {
			t.Errorf("%s declares no tests", f)
		}
		for _, r := range p.RunTests() {
			if !r.Passed {
				t.Errorf("%s:%d %s:\n%s", f, r.Line, r.Name, r.Diff)
			}
		}
	}
}

func TestRunTestsReportsDiff(t *testing.T) {
	p := mustParse(t, `processors:
  - set: {field: a, value: 2}
tests:
  - name: wrong value
    input: {b: 1}
    output: {a: 3, b: 1}
  - name: expected error missing
    input: {b: 1}
    error: boom
  - name: right
    input: [{b: 1}, {b: 2}]
    output: [{a: 2, b: 1}, {a: 2, b: 2}]
`)
	rs := p.RunTests()
	if len(rs) != 3 || rs[0].Passed || rs[1].Passed || !rs[2].Passed {
		t.Fatalf("%+v", rs)
	}
	if !strings.Contains(rs[0].Diff, "-   \"a\": 3,\n+   \"a\": 2,") {
		t.Errorf("diff:\n%s", rs[0].Diff)
	}
	if !strings.Contains(rs[1].Diff, `expected an error containing "boom"`) {
		t.Errorf("diff: %s", rs[1].Diff)
	}
}

// TestPipelineNotARegularFile: a pipeline processor naming a FIFO fails
// to load instead of blocking on it.
func TestPipelineNotARegularFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.yml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatalf("mkfifo (a FIFO in a temporary directory is always possible on Linux): %v", err)
	}
	main := filepath.Join(dir, "main.yml")
	if err := os.WriteFile(main, []byte("processors:\n  - pipeline: {name: fifo}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(main, Options{})
	if err == nil || !strings.Contains(err.Error(), "fifo.yml is not a regular file") {
		t.Fatalf("err %v", err)
	}
}
