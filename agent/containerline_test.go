package agent

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestParseContainerLine(t *testing.T) {
	ts := time.Date(2024, 5, 1, 10, 0, 0, 123456789, time.UTC)
	for _, c := range []struct {
		format, line string
		want         containerRecord
		err          string
	}{
		{"auto", `{"log":"hello\n","stream":"stdout","time":"2024-05-01T10:00:00.123456789Z"}`, containerRecord{text: []byte("hello"), stream: "stdout", time: ts}, ""},
		{"docker", `{"log":"part","stream":"stderr","time":"2024-05-01T10:00:00.123456789Z"}`, containerRecord{text: []byte("part"), stream: "stderr", time: ts, partial: true}, ""},
		{"auto", `{"log":"\n","stream":"stdout","time":"2024-05-01T10:00:00.123456789Z"}`, containerRecord{text: []byte{}, stream: "stdout", time: ts}, ""},
		{"auto", "2024-05-01T10:00:00.123456789Z stdout F hello world", containerRecord{text: []byte("hello world"), stream: "stdout", time: ts}, ""},
		{"cri", "2024-05-01T12:00:00.123456789+02:00 stderr P part ", containerRecord{text: []byte("part "), stream: "stderr", time: ts, partial: true}, ""},
		{"cri", "2024-05-01T10:00:00.123456789Z stdout F", containerRecord{stream: "stdout", time: ts}, ""},
		{"cri", "2024-05-01T10:00:00.123456789Z stdout F:x y", containerRecord{text: []byte("y"), stream: "stdout", time: ts}, ""},
		{"cri", `{"log":"x"}`, containerRecord{}, "cri line"},
		{"docker", "2024-05-01T10:00:00Z stdout F x", containerRecord{}, "docker json-file line"},
		{"auto", `{"stream":"stdout"}`, containerRecord{}, `no "log" key`},
		{"auto", `{"log":"x\n"}`, containerRecord{}, `"stream"`},
		{"auto", `{"log":"x\n","stream":"` + strings.Repeat("s", 17) + `"}`, containerRecord{}, `"stream"`},
		{"auto", "2024-05-01T10:00:00Z stdout X hello", containerRecord{}, "want P or F"},
		{"auto", "yesterday stdout F hello", containerRecord{}, "time"},
		{"auto", "2024-05-01T10:00:00Z stdout", containerRecord{}, "want a stream name"},
		{"auto", "2024-05-01T10:00:00Z", containerRecord{}, "no stream"},
		{"auto", "", containerRecord{}, "no stream"},
	} {
		var r containerRecord
		err := parseContainerLine(c.format, []byte(c.line), &r)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s %q: error %v, want %q", c.format, c.line, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s %q: %v", c.format, c.line, err)
			continue
		}
		if !bytes.Equal(r.text, c.want.text) || r.stream != c.want.stream || !r.time.Equal(c.want.time) || r.partial != c.want.partial {
			t.Errorf("%s %q: %+v, want %+v", c.format, c.line, r, c.want)
		}
	}
}

// FuzzContainerLine: any line decodes to a record or an error, never a
// panic; a record's text is at most the line's length plus what JSON
// escapes expand to, and a CRI record's text is a suffix of its line.
func FuzzContainerLine(f *testing.F) {
	for _, s := range []string{
		`{"log":"hello\n","stream":"stdout","time":"2024-05-01T10:00:00.123456789Z"}`,
		`{"log":"\u00e9\ud800x","stream":"stderr","time":"2024-05-01T10:00:00Z","attrs":{"a":"b"}}`,
		"2024-05-01T10:00:00.123456789Z stdout F hello world",
		"2024-05-01T10:00:00.123456789+02:00 stderr P:x part",
		"2024-05-01T10:00:00Z stdout F",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		for _, format := range []string{formatAuto, formatDocker, formatCRI} {
			var r containerRecord
			if err := parseContainerLine(format, []byte(line), &r); err != nil {
				continue
			}
			if r.stream == "" || len(r.stream) > maxStreamName {
				t.Fatalf("%s %q: stream %q", format, line, r.stream)
			}
			if format == formatCRI && !strings.HasSuffix(line, string(r.text)) {
				t.Fatalf("cri %q: text %q is not the end of the line", line, r.text)
			}
			if format == formatDocker && !utf8.Valid(r.text) {
				t.Fatalf("docker %q: invalid UTF-8 text %q", line, r.text)
			}
		}
	})
}

func TestContainerPathFields(t *testing.T) {
	id := strings.Repeat("0123abcd", 8)
	for _, c := range []struct {
		path, want string
	}{
		{"/var/lib/docker/containers/" + id + "/" + id + "-json.log", "map[container:map[id:" + id + "]]"},
		{"/var/lib/docker/containers/" + id + "/" + id + "-json.log.3", "map[container:map[id:" + id + "]]"},
		{"/var/log/containers/web-7d9f_shop_nginx-proxy-" + id + ".log", "map[container:map[id:" + id + "] kubernetes:map[container:map[name:nginx-proxy] namespace:shop pod:map[name:web-7d9f]]]"},
		{"/var/log/pods/shop_web-7d9f_5f1c-11/nginx/0.log", "map[kubernetes:map[container:map[name:nginx] namespace:shop pod:map[name:web-7d9f uid:5f1c-11]]]"},
		{"/var/log/containers/web_shop_nginx-notanid.log", "map[]"},
		{"/var/lib/docker/containers/" + id + "/other.log", "map[]"},
		{"/var/log/app.log", "map[]"},
		{"app.log", "map[]"},
	} {
		if got := fmt.Sprint(containerPathFields(c.path)); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.path, got, c.want)
		}
	}
}

// FuzzDockerFast: whenever decodeDockerFast takes a line, encoding/json
// decodes it to the same record.
func FuzzDockerFast(f *testing.F) {
	for _, s := range []string{
		`{"log":"hello\n","stream":"stdout","time":"2024-05-01T10:00:00.123456789Z"}`,
		`{"log":"tab\there \"q\" \\ \/ \u00e9\u20ac\n","stream":"stderr","time":"2024-05-01T10:00:00Z"}`,
		` { "time" : "2024-05-01T10:00:00+02:00" , "stream":"stdout", "log":"late" } `,
		`{"log":"a","log":"b\n","stream":"stdout"}`,
		`{"Log":"x","stream":"stdout"}`,
		`{"log":"\ud83d\ude00","stream":"stdout"}`,
		`{"log":"x\n","stream":"stdout","attrs":{"k":"v"}}`,
		`{"log":"é\n","stream":"stdout","time":"2024-05-01T10:00:00.5Z"}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		var fast containerRecord
		if !decodeDockerFast([]byte(line), &fast) {
			return
		}
		var d dockerLine
		if err := json.Unmarshal([]byte(line), &d); err != nil {
			t.Fatalf("%q: fast decoder took it, encoding/json: %v", line, err)
		}
		want := *d.Log
		partial := !strings.HasSuffix(want, "\n")
		want = strings.TrimSuffix(want, "\n")
		if string(fast.text) != want || fast.stream != d.Stream || !fast.time.Equal(d.Time) || fast.partial != partial {
			t.Fatalf("%q: fast %q %q %v %v; encoding/json %q %q %v %v", line, fast.text, fast.stream, fast.time, fast.partial, want, d.Stream, d.Time, partial)
		}
	})
}

// TestDockerFastTakesDockerLines: the lines Docker writes take the fast
// way (the benchmark's speed depends on it).
func TestDockerFastTakesDockerLines(t *testing.T) {
	for _, l := range []string{
		`{"log":"GET /index.html 200 \"-\" \u003cb\u003e\n","stream":"stdout","time":"2024-05-01T10:00:00.123456789Z"}`,
		`{"log":"part","stream":"stderr","time":"2024-05-01T10:00:00.123456789Z"}`,
	} {
		var r containerRecord
		if !decodeDockerFast([]byte(l), &r) {
			t.Errorf("%s: not taken", l)
		}
	}
}
