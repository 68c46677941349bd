package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// feedContainer pushes lines through a container parser (and the parsers
// after it), as the file reader would, and returns the messages sent and
// the ends of the dropped records acknowledged.
func feedContainer(t *testing.T, cfg ContainerConfig, maxBytes int, after []parser, lines ...string) (msgs []*message, skipped []int64) {
	t.Helper()
	var cp *containerParser
	var stages []parser
	skip := func(m *message) {
		for _, p := range stages[1:] {
			if h, ok := p.(interface{ holding() bool }); ok && h.holding() {
				return
			}
		}
		skipped = append(skipped, m.end)
	}
	cp = newContainerParser(&cfg, maxBytes, "/var/log/containers/web_shop_app-"+strings.Repeat("ab", 32)+".log", skip)
	stages = append([]parser{cp}, after...)
	next := make([]emitFunc, len(stages))
	for i := range stages {
		if i+1 == len(stages) {
			next[i] = func(_ context.Context, m *message) error { msgs = append(msgs, m); return nil }
			continue
		}
		p, n := stages[i+1], i+1
		next[i] = func(ctx context.Context, m *message) error { return p.push(ctx, m, next[n]) }
	}
	var off int64
	for _, l := range lines {
		m := &message{text: []byte(l), offset: off, end: off + int64(len(l)) + 1}
		off = m.end
		if err := cp.push(context.Background(), m, next[0]); err != nil {
			t.Fatal(err)
		}
	}
	for i, p := range stages {
		if err := p.flush(context.Background(), next[i]); err != nil {
			t.Fatal(err)
		}
	}
	return msgs, skipped
}

func cri(stream, tag, text string) string {
	return "2024-05-01T10:00:00.5Z " + stream + " " + tag + " " + text
}

func docker(stream, text string) string {
	return fmt.Sprintf(`{"log":%q,"stream":%q,"time":"2024-05-01T10:00:00.5Z"}`, text, stream)
}

func describe(msgs []*message) string {
	var out []string
	for _, m := range msgs {
		s := fmt.Sprintf("%s@%d-%d", m.text, m.offset, m.end)
		if st, ok := m.fields["stream"]; ok {
			s += " " + unwrap(st).(string)
		}
		if len(m.flags) > 0 {
			s += fmt.Sprint(m.flags)
		}
		if m.fields["error"] != nil {
			s += " error"
		}
		out = append(out, s)
	}
	return strings.Join(out, " | ")
}

func TestContainerParserJoins(t *testing.T) {
	all := ContainerConfig{Stream: streamAll, Format: formatAuto}
	a, b, c := cri("stdout", "P", "aa"), cri("stdout", "P", "bb"), cri("stdout", "F", "cc")
	e := cri("stderr", "F", "err")
	n := int64(len(a) + 1) // every CRI line here has the same length
	for _, tc := range []struct {
		name  string
		cfg   ContainerConfig
		max   int
		lines []string
		want  string
		skips []int64
	}{
		{"cri partials", all, 100, []string{a, b, c, cri("stdout", "F", "next")},
			fmt.Sprintf("aabbcc@0-%d stdout | next@%d-%d stdout", 3*n, 3*n, 3*n+n+2), nil},
		{"docker partials", all, 100, []string{docker("stdout", "aa"), docker("stdout", "bb"), docker("stdout", "cc\n")},
			fmt.Sprintf("aabbcc@0-%d stdout", 3*len(docker("stdout", "aa"))+3+2), nil},
		{"auto mixes formats line by line", all, 100, []string{docker("stderr", "x\n"), cri("stdout", "F", "y")},
			fmt.Sprintf("x@0-%[1]d stderr | y@%[1]d-%[2]d stdout", len(docker("stderr", "x\n"))+1, len(docker("stderr", "x\n"))+len(cri("stdout", "F", "y"))+2), nil},
		{"cut at max_bytes, the rest of the sequence read", all, 3, []string{a, b, c},
			fmt.Sprintf("aab@0-%d stdout[truncated]", 3*n), nil},
		{"another stream ends a sequence", all, 100, []string{a, e, c},
			fmt.Sprintf("aa@0-%d stdout | err@%d-%d stderr | cc@%d-%d stdout", n, n, 2*n+1, 2*n+1, 3*n+1), nil},
		{"a left out stream does not", ContainerConfig{Stream: "stdout", Format: formatCRI}, 100, []string{a, e, c},
			fmt.Sprintf("aacc@0-%d stdout", 3*n+1), nil},
		{"a left out record alone is acknowledged", ContainerConfig{Stream: "stderr", Format: formatCRI}, 100, []string{c, e},
			fmt.Sprintf("err@%d-%d stderr", n, 2*n+1), []int64{n}},
		{"a sequence never finished is sent at the end", all, 100, []string{a, b},
			fmt.Sprintf("aabb@0-%d stdout", 2*n), nil},
		{"a bad line is sent as it is", all, 100, []string{a, "garbage", c},
			fmt.Sprintf("aa@0-%d stdout | garbage@%d-%d error | cc@%d-%d stdout", n, n, n+8, n+8, 2*n+8), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msgs, skips := feedContainer(t, tc.cfg, tc.max, nil, tc.lines...)
			if got := describe(msgs); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
			if fmt.Sprint(skips) != fmt.Sprint(tc.skips) {
				t.Errorf("acknowledged dropped records ending at %v, want %v", skips, tc.skips)
			}
		})
	}
}

// TestContainerThenMultiline: multiline joins the joined messages, and a
// record dropped while multiline holds lines is not acknowledged (the
// message multiline sends later covers it).
func TestContainerThenMultiline(t *testing.T) {
	ml := &multiline{cfg: &MultilineConfig{Match: "after", Negate: true, MaxLines: 10}, maxBytes: 1000}
	var err error
	if ml.cfg.re, err = compileForTest(`^\d`); err != nil {
		t.Fatal(err)
	}
	cfg := ContainerConfig{Stream: "stdout", Format: formatCRI}
	msgs, skips := feedContainer(t, cfg, 100, []parser{ml},
		cri("stdout", "P", "1 java"), cri("stdout", "F", ".lang.Error"), cri("stderr", "F", "noise"),
		cri("stdout", "F", "  at x"), cri("stdout", "F", "2 next"))
	if got := describe(msgs); !strings.HasPrefix(got, "1 java.lang.Error\n  at x@0-") || !strings.Contains(got, "| 2 next@") {
		t.Errorf("got %s", got)
	}
	if len(skips) != 0 {
		t.Errorf("acknowledged %v while multiline held lines", skips)
	}
	if msgs[0].ts.IsZero() {
		t.Error("no @timestamp from the record")
	}
	if msgs[0].fields["kubernetes"] == nil || msgs[0].fields["container"] == nil {
		t.Errorf("path fields: %v", msgs[0].fields)
	}
}

func compileForTest(s string) (*regexp.Regexp, error) { return regexp.Compile(s) }

// TestContainerHugeSequence: a partial sequence of 64 MiB in 16 KiB
// parts (Docker's split) holds at most max_bytes: the message is cut
// there and flagged, and it ends after the last part.
func TestContainerHugeSequence(t *testing.T) {
	const maxBytes, parts = 1 << 20, 4096
	part := docker("stdout", strings.Repeat("x", 16<<10))
	lines := make([]string, parts)
	for i := range lines {
		lines[i] = part
	}
	lines[parts-1] = docker("stdout", "end\n")
	msgs, _ := feedContainer(t, ContainerConfig{Stream: streamAll, Format: formatDocker}, maxBytes, nil, lines...)
	if len(msgs) != 1 {
		t.Fatalf("%d messages", len(msgs))
	}
	m := msgs[0]
	if len(m.text) != maxBytes || cap(m.text) > 2*maxBytes || fmt.Sprint(m.flags) != "[truncated]" || m.end != int64(parts-1)*int64(len(part)+1)+int64(len(lines[parts-1])+1) {
		t.Fatalf("len %d cap %d flags %v end %d", len(m.text), cap(m.text), m.flags, m.end)
	}
}

// FuzzContainerParser: lines in any formats and orders give messages of
// at most max_bytes, in file order, each ending where a line ends.
func FuzzContainerParser(f *testing.F) {
	f.Add(cri("stdout", "P", "a") + "\n" + cri("stderr", "F", "b") + "\n" + cri("stdout", "F", "c"))
	f.Add(docker("stdout", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa") + "\n" + docker("stdout", "b\n") + "\ngarbage")
	f.Fuzz(func(t *testing.T, text string) {
		lines := strings.Split(text, "\n")
		for _, stream := range []string{streamAll, "stdout"} {
			msgs, skips := feedContainer(t, ContainerConfig{Stream: stream, Format: formatAuto}, 16, nil, lines...)
			var last int64
			for _, m := range msgs {
				if len(m.text) > 16 && m.fields["error"] == nil {
					t.Fatalf("%d bytes joined, max 16", len(m.text))
				}
				if m.offset < last || m.end <= m.offset || m.end > int64(len(text)+1) {
					t.Fatalf("message %d-%d after %d", m.offset, m.end, last)
				}
				last = m.end
			}
			if stream == streamAll && len(skips) > 0 {
				t.Fatalf("stream: all dropped records %v", skips)
			}
		}
	})
}

// TestContainerThenNDJSON: an application logging JSON in a container:
// ndjson decodes the joined text; the container's stream and path fields
// stay unless overwrite_keys lets the application's keys replace them.
func TestContainerThenNDJSON(t *testing.T) {
	for _, overwrite := range []bool{false, true} {
		nd := ndjson{cfg: &NDJSONConfig{MessageKey: "msg", OverwriteKeys: overwrite}}
		msgs, _ := feedContainer(t, ContainerConfig{Stream: streamAll, Format: formatAuto}, 100, []parser{nd},
			docker("stderr", `{"msg":"hi","lev`), docker("stderr", `el":"warn","stream":"app"}`+"\n"), docker("stderr", "not json\n"))
		if len(msgs) != 2 {
			t.Fatalf("%d messages", len(msgs))
		}
		// The fields the container parser shares between messages are
		// copied before ndjson changes them.
		if st := unwrap(msgs[1].fields["stream"]); st != "stderr" || msgs[1].fields["level"] != nil {
			t.Errorf("the next message's fields: %v", msgs[1].fields)
		}
		m := msgs[0]
		want := "stderr"
		if overwrite {
			want = "app"
		}
		if string(m.text) != "hi" || m.fields["level"] != "warn" || unwrap(m.fields["stream"]) != want || m.fields["container"] == nil {
			t.Errorf("overwrite_keys %v: %q %v", overwrite, m.text, m.fields)
		}
		in := &input{cfg: &InputConfig{ID: "x", Type: inputContainer}}
		in.tailJSON, _, _ = in.eventTail()
		enc := newEncoder(in, "/x")
		var ev map[string]any
		if err := json.Unmarshal(enc.encode(m, 1<<20), &ev); err != nil || ev["stream"] != want || ev["kubernetes"] == nil || fmt.Sprint(ev["input"]) != "map[id:x type:container]" {
			t.Errorf("encoded: %v %v", err, ev)
		}
	}
}

// TestContainerFieldsInTopic: output.kafka.topic can name the fields the
// container parser adds (they are pre-encoded values).
func TestContainerFieldsInTopic(t *testing.T) {
	msgs, _ := feedContainer(t, ContainerConfig{Stream: streamAll, Format: formatAuto}, 100, nil, cri("stderr", "F", "x"))
	in := &input{cfg: &InputConfig{ID: "x"}}
	look := in.lookup(msgs[0], "/x")
	for path, want := range map[string]any{"kubernetes.namespace": "shop", "stream": "stderr", "kubernetes.container.name": "app", "container.id": strings.Repeat("ab", 32)} {
		if v, ok := look(strings.Split(path, ".")); !ok || v != want {
			t.Errorf("%s: %v %v, want %v", path, v, ok, want)
		}
	}
}
