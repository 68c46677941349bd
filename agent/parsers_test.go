package agent_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicelogs/sluice/internal/await"
)

const javaTrace = `2024-05-01 10:00:00 ERROR request failed
java.lang.IllegalStateException: boom
	at com.example.Service.handle(Service.java:42)
	at com.example.Server.run(Server.java:7)
Caused by: java.io.IOException: disk
	at com.example.Disk.write(Disk.java:3)
	... 2 more
2024-05-01 10:00:01 INFO next request
`

// TestParsersAndLines: a Java stack trace joined by multiline, an NDJSON
// file decoded into fields, a 5 MiB line cut and flagged, invalid UTF-8
// replaced, exclude_lines honoured, fields and tags set.
func TestParsersAndLines(t *testing.T) {
	b := startBroker(t)
	dir, reg := t.TempDir(), t.TempDir()
	text := fmt.Sprintf(`inputs:
  - id: java
    paths: [%[1]q]
    scan_frequency: 100ms
    fields: {service: java}
    tags: [jvm]
    parsers:
      - multiline:
          pattern: '^\d{4}-\d{2}-\d{2} '
          negate: true
          match: after
          timeout: 200ms
  - id: json
    paths: [%[2]q]
    scan_frequency: 100ms
    fields: {service: api}
    fields_under_root: true
    parsers:
      - ndjson: {message_key: msg, add_error_key: true}
  - id: plain
    paths: [%[3]q]
    scan_frequency: 100ms
    max_bytes: 65536
    exclude_lines: ['^DEBUG']
output.kafka:
  hosts: [%[4]q]
  topic: 'parsed'
registry.path: %[5]q
`, filepath.Join(dir, "*.java.log"), filepath.Join(dir, "*.ndjson"), filepath.Join(dir, "*.txt"), b.Addr(), reg)
	c := consume(t, b.Addr(), "parsed")
	c.raw = true
	startAgent(t, parseConfig(t, text))

	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("app.java.log", javaTrace)
	write("api.ndjson", `{"msg":"hello","level":"info","user":{"id":7}}`+"\nnot json\n")
	huge := strings.Repeat("y", 5<<20)
	write("misc.txt", "DEBUG skipped\nbad \xff\xfe bytes\n"+huge+"\nafter huge\n")

	await.Eventually(t, 20*time.Second, 50*time.Millisecond, func() error {
		if n := c.count(); n != 7 {
			return fmt.Errorf("%d events, want 7", n)
		}
		return nil
	})
	evs, errs := c.snapshot()
	if len(errs) > 0 {
		t.Fatal(errs[0])
	}
	byMsg := map[string]event{} // by the first 20 bytes of the message
	for _, e := range evs {
		byMsg[e.Message[:min(len(e.Message), 20)]] = e
	}
	trace := byMsg["2024-05-01 10:00:00 "]
	if !strings.Contains(trace.Message, "Caused by: java.io.IOException: disk\n\tat com.example.Disk") || !strings.HasSuffix(trace.Message, "... 2 more") ||
		!contains(trace.Log.Flags, "multiline") || trace.Fields["service"] != "java" || fmt.Sprint(trace.Raw["tags"]) != "[jvm]" {
		t.Errorf("java trace event: %+v", trace)
	}
	if last, ok := byMsg["2024-05-01 10:00:01 "]; !ok || contains(last.Log.Flags, "multiline") {
		t.Errorf("last java line (flushed by multiline.timeout): %+v %v", last, ok)
	}
	hello := byMsg["hello"]
	if hello.Raw["level"] != "info" || fmt.Sprint(hello.Raw["user"]) != "map[id:7]" || hello.Raw["service"] != "api" {
		t.Errorf("ndjson event: %+v", hello.Raw)
	}
	if bad := byMsg["not json"]; bad.Raw["error"] == nil {
		t.Errorf("undecodable ndjson line: %+v", bad.Raw)
	}
	if e := byMsg["bad \ufffd\ufffd bytes"]; e.Message != "bad \ufffd\ufffd bytes" {
		t.Errorf("invalid UTF-8: %q", e.Message)
	}
	long := byMsg[strings.Repeat("y", 20)]
	if len(long.Message) != 65536 || !contains(long.Log.Flags, "truncated") {
		t.Errorf("5 MiB line: %d bytes, flags %v", len(long.Message), long.Log.Flags)
	}
	after := byMsg["after huge"]
	if after.Log.Offset != int64(len("DEBUG skipped\nbad \xff\xfe bytes\n")+len(huge)+1) {
		t.Errorf("offset after the long line: %d", after.Log.Offset)
	}
	if _, ok := byMsg["DEBUG skipped"]; ok {
		t.Error("exclude_lines ignored")
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
