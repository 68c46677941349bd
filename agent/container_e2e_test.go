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

const ctrID = "4f2c9d0e1b7a6c5d4f2c9d0e1b7a6c5d4f2c9d0e1b7a6c5d4f2c9d0e1b7a6c5d"

func dockerLine(stream, log string, sec int) string {
	return fmt.Sprintf(`{"log":%q,"stream":%q,"time":"2024-05-01T10:00:%02d.123456789Z"}`+"\n", log, stream, sec)
}

func criLine(stream, tag, text string, sec int) string {
	return fmt.Sprintf("2024-05-01T10:00:%02d.123456789Z %s %s %s\n", sec, stream, tag, text)
}

func appendFile(t *testing.T, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
}

// awaitEvents waits until the events whose message is in want have
// arrived, and returns the events that arrived by then, by message.
func awaitEvents(t *testing.T, c *consumer, want ...string) map[string][]event {
	t.Helper()
	var by map[string][]event
	await.Eventually(t, 20*time.Second, 20*time.Millisecond, func() error {
		evs, errs := c.snapshot()
		if len(errs) > 0 {
			t.Fatal(errs[0])
		}
		by = map[string][]event{}
		for _, e := range evs {
			by[e.Message] = append(by[e.Message], e)
		}
		for _, m := range want {
			if len(by[m]) == 0 {
				return fmt.Errorf("%q not delivered (%d events)", m, len(evs))
			}
		}
		return nil
	})
	return by
}

func field(e event, path string) any {
	var cur any = e.Raw
	for _, p := range strings.Split(path, ".") {
		m, _ := cur.(map[string]any)
		cur = m[p]
	}
	return cur
}

// TestContainerInput: a Docker json-file log and a CRI log, each with a
// partial sequence written in two writes (the agent reads between them)
// and a raw line cut across the writes, go through type: container into
// the broker: one event per message, joined, with @timestamp, stream,
// log.offset of the first part and the path's container and kubernetes
// fields; a filestream input with a container parser keeping stderr only
// gets the stderr line alone.
func TestContainerInput(t *testing.T) {
	b := startBroker(t)
	dir, reg := t.TempDir(), t.TempDir()
	dockerDir := filepath.Join(dir, "containers", ctrID)
	k8sDir := filepath.Join(dir, "containers-k8s")
	for _, d := range []string{dockerDir, k8sDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	dockerLog := filepath.Join(dockerDir, ctrID+"-json.log")
	criLog := filepath.Join(k8sDir, "web-7d9f_shop_nginx-"+ctrID+".log")
	text := fmt.Sprintf(`inputs:
  - id: all
    type: container
    paths: [%[1]q, %[2]q]
    scan_frequency: 100ms
    backoff: {init: 10ms, max: 50ms}
  - id: errors
    paths: [%[2]q]
    scan_frequency: 100ms
    backoff: {init: 10ms, max: 50ms}
    parsers:
      - container: {stream: stderr, format: cri}
output.kafka:
  hosts: [%[3]q]
  topic: containers
registry: {path: %[4]q, flush: 0s}
`, filepath.Join(dir, "containers", "*", "*-json.log"), filepath.Join(k8sDir, "*.log"), b.Addr(), reg)
	c := consume(t, b.Addr(), "containers")
	c.raw = true
	startAgent(t, parseConfig(t, text))

	// First writes: a whole message, then the first part of a sequence
	// and half of the second part's line.
	d1, d2, d3 := dockerLine("stdout", "docker one\n", 1), dockerLine("stdout", "docker two-a ", 2), dockerLine("stdout", "docker two-b ", 2)
	d4 := dockerLine("stdout", "docker two-c\n", 2)
	c1, c2 := criLine("stdout", "F", "cri one", 3), criLine("stdout", "P", "cri two-a ", 4)
	c3, c4, c5 := criLine("stdout", "P", "cri two-b ", 4), criLine("stdout", "F", "cri two-c", 4), criLine("stderr", "F", "cri oops", 5)
	appendFile(t, dockerLog, d1+d2+d3[:20])
	appendFile(t, criLog, c1+c2+c3[:20])
	awaitEvents(t, c, "docker one", "cri one")
	appendFile(t, dockerLog, d3[20:]+d4)
	appendFile(t, criLog, c3[20:]+c4+c5)
	awaitEvents(t, c, "docker two-a docker two-b docker two-c", "cri two-a cri two-b cri two-c", "cri oops")
	await.Eventually(t, 20*time.Second, 20*time.Millisecond, func() error {
		if n := c.count(); n < 6 {
			return fmt.Errorf("%d events, want 6", n)
		}
		return nil
	})
	by := awaitEvents(t, c)
	evs, _ := c.snapshot()
	if len(evs) != 6 {
		t.Errorf("%d events, want 6: %+v", len(evs), evs)
	}
	if len(by["cri oops"]) != 2 {
		t.Errorf("stderr line delivered %d times, want 2 (once per input)", len(by["cri oops"]))
	}
	for _, e := range by["cri oops"] {
		if field(e, "stream") != "stderr" {
			t.Errorf("stream: %v", e.Raw)
		}
	}

	dj := by["docker two-a docker two-b docker two-c"][0]
	if dj.Log.Offset != int64(len(d1)) || dj.At != "2024-05-01T10:00:02.123Z" || field(dj, "stream") != "stdout" ||
		field(dj, "container.id") != ctrID || field(dj, "input.type") != "container" || field(dj, "kubernetes") != nil {
		t.Errorf("docker joined event: offset %d, %v", dj.Log.Offset, dj.Raw)
	}
	cj := by["cri two-a cri two-b cri two-c"][0]
	if cj.Log.Offset != int64(len(c1)) || cj.At != "2024-05-01T10:00:04.123Z" || field(cj, "stream") != "stdout" ||
		field(cj, "container.id") != ctrID || field(cj, "kubernetes.pod.name") != "web-7d9f" ||
		field(cj, "kubernetes.namespace") != "shop" || field(cj, "kubernetes.container.name") != "nginx" {
		t.Errorf("cri joined event: offset %d, %v", cj.Log.Offset, cj.Raw)
	}
	for _, e := range evs {
		if strings.Contains(e.Message, "\n") || strings.HasPrefix(e.Message, "{") || strings.HasPrefix(e.Message, "2024") {
			t.Errorf("message not decoded: %q", e.Message)
		}
	}
}

// TestContainerRestartMidPartial: the agent is stopped after it read the
// first part of a partial sequence: the registry stays before that part,
// and the restarted agent sends the joined message once, with the first
// part, and the message before it is not sent again.
func TestContainerRestartMidPartial(t *testing.T) {
	b := startBroker(t)
	dir, reg := t.TempDir(), t.TempDir()
	text := agentYAML(dir, reg, b.Addr(), "restart", "    type: container\n    format: cri")
	c := consume(t, b.Addr(), "restart")
	path := filepath.Join(dir, "app.log")
	l1, l2 := criLine("stdout", "F", "one", 1), criLine("stdout", "P", "two-a ", 2)
	a := startAgent(t, parseConfig(t, text))
	appendFile(t, path, l1+l2)
	awaitEvents(t, c, "one")
	a.stop()
	var offset int64 = -1
	for _, e := range registryEntries(t, reg) {
		if e.Path == path {
			offset = e.Offset
		}
	}
	if offset != int64(len(l1)) {
		t.Fatalf("registry offset %d after a stop in a partial sequence, want %d (the end of the last whole message)", offset, len(l1))
	}

	startAgent(t, parseConfig(t, text))
	appendFile(t, path, criLine("stdout", "F", "two-b", 3)+criLine("stdout", "F", "three", 4))
	by := awaitEvents(t, c, "two-a two-b", "three")
	evs, _ := c.snapshot() // a second "one" could still be on its way: the registry offset above rules it out

	if len(evs) != 3 || len(by["one"]) != 1 || len(by["two-a two-b"]) != 1 {
		t.Fatalf("events %+v, want one, two-a two-b, three once each", evs)
	}
	if e := by["two-a two-b"][0]; e.Log.Offset != int64(len(l1)) || e.At != "2024-05-01T10:00:02.123Z" {
		t.Errorf("joined after the restart: offset %d @timestamp %s", e.Log.Offset, e.At)
	}
}

// TestContainerMultiline: multiline on a type: container input joins the
// messages the container parser joined (a Java trace whose first line
// came in two CRI parts), and its timeout sends the last one.
func TestContainerMultiline(t *testing.T) {
	b := startBroker(t)
	dir, reg := t.TempDir(), t.TempDir()
	text := agentYAML(dir, reg, b.Addr(), "trace", `    type: container
    parsers:
      - multiline: {pattern: '^\d', negate: true, match: after, timeout: 200ms}`)
	c := consume(t, b.Addr(), "trace")
	startAgent(t, parseConfig(t, text))
	appendFile(t, filepath.Join(dir, "app.log"), criLine("stderr", "P", "2024 ERROR req", 1)+criLine("stderr", "F", "uest failed", 1)+
		criLine("stderr", "F", "  at a", 2)+criLine("stderr", "F", "  at b", 2)+criLine("stdout", "F", "2025 INFO next", 3))
	by := awaitEvents(t, c, "2024 ERROR request failed\n  at a\n  at b", "2025 INFO next")
	if e := by["2024 ERROR request failed\n  at a\n  at b"][0]; e.At != "2024-05-01T10:00:01.123Z" || e.Log.Offset != 0 || fmt.Sprint(e.Log.Flags) != "[multiline]" {
		t.Errorf("trace event: %+v", e)
	}
}

// TestContainerStreamSkipped: the records stream: leaves out at the end
// of a file are acknowledged: the registry reaches the end of the file
// (so the file is not read again and again for them).
func TestContainerStreamSkipped(t *testing.T) {
	b := startBroker(t)
	dir, reg := t.TempDir(), t.TempDir()
	text := agentYAML(dir, reg, b.Addr(), "skipped", "    type: container\n    stream: stdout")
	c := consume(t, b.Addr(), "skipped")
	startAgent(t, parseConfig(t, text))
	path := filepath.Join(dir, "app.log")
	content := criLine("stdout", "F", "out", 1) + criLine("stderr", "P", "err-a", 2) + criLine("stderr", "F", "err-b", 2)
	appendFile(t, path, content)
	awaitEvents(t, c, "out")
	await.Eventually(t, 20*time.Second, 20*time.Millisecond, func() error {
		for _, e := range registryEntries(t, reg) {
			if e.Path == path && e.Offset == int64(len(content)) {
				return nil
			}
		}
		return fmt.Errorf("registry %+v: want %s at offset %d", registryEntries(t, reg), path, len(content))
	})
	if evs, _ := c.snapshot(); len(evs) != 1 {
		t.Errorf("events %+v, want only out", evs)
	}
}
