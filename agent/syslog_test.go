package agent_test

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicelogs/sluice/broker"
	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/testkit/testcluster"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// syslogYAML is a config with one syslog input on udp and tcp (either may
// be 0: left out).
func syslogYAML(regDir, addr, topic string, udp, tcp int) string {
	s := "inputs:\n  - id: net\n    type: syslog\n    format: auto\n"
	if udp > 0 {
		s += fmt.Sprintf("    protocol.udp:\n      host: 127.0.0.1:%d\n", udp)
	}
	if tcp > 0 {
		s += fmt.Sprintf("    protocol.tcp:\n      host: 127.0.0.1:%d\n      framing: rfc6587\n", tcp)
	}
	return s + fmt.Sprintf(`output.kafka:
  hosts: [%q]
  topic: %q
  backoff: {init: 10ms, max: 100ms}
queue.mem.events: 2048
registry:
  path: %q
  flush: 0s
`, addr, topic, regDir)
}

// logger sends lines (one message each) with util-linux logger.
func logger(t *testing.T, lines []string, args ...string) {
	t.Helper()
	path, err := exec.LookPath("logger")
	if err != nil {
		t.Fatalf("util-linux logger is needed (make peers installs it): %v", err)
	}
	cmd := exec.Command(path, args...)
	cmd.Stdin = strings.NewReader(strings.Join(lines, "\n") + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("logger %v: %v: %s", args, err, out)
	}
}

// TestSyslogLogger: util-linux logger sends RFC 5424 over TCP with octet
// counting and structured data, RFC 3164 over TCP with newlines and over
// UDP; every message arrives once, with Filebeat's log.syslog fields.
func TestSyslogLogger(t *testing.T) {
	const n = 300
	b := startBroker(t)
	udp, tcp := testpeer.FreePort(t), testpeer.FreePort(t)
	c := consume(t, b.Addr(), "syslog")
	c.raw = true
	startAgent(t, parseConfig(t, syslogYAML(t.TempDir(), b.Addr(), "syslog", udp, tcp)))
	await.Eventually(t, 30*time.Second, 20*time.Millisecond, func() error {
		conn, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", tcp))
		if err == nil {
			conn.Close()
		}
		return err
	})
	lines := func(name string) []string {
		var out []string
		for i := range n {
			out = append(out, lineText(name, i))
		}
		return out
	}
	port := func(p int) []string { return []string{"-n", "127.0.0.1", "-P", fmt.Sprint(p)} }
	logger(t, lines("tcp5424"), append(port(tcp), "--tcp", "--octet-count", "--rfc5424", "-t", "sl-test",
		"--msgid", "M1", "--sd-id", "test@1", "--sd-param", `k="v"`, "-p", "local3.warning")...)
	logger(t, lines("tcp3164"), append(port(tcp), "--tcp", "--rfc3164", "-t", "old-app")...)
	// UDP has no flow control: a burst larger than the socket's receive
	// buffer is dropped by the kernel before the agent sees it. Bursts of
	// 20, each once the one before arrived.
	udpLines := lines("udp3164")
	for i := 0; i < n; i += 20 {
		logger(t, udpLines[i:i+20], append(port(udp), "--udp", "--rfc3164", "-t", "udp-app", "-p", "user.err")...)
		awaitDelivered(t, c, map[string]int{"udp3164": i + 20})
	}
	files := map[string]int{"tcp5424": n, "tcp3164": n, "udp3164": n}
	awaitDelivered(t, c, files)
	if dups, err := tallyIDs(t, c, files); err != nil || dups != 0 {
		t.Fatalf("%d duplicates, %v", dups, err)
	}
	evs, _ := c.snapshot()
	seen := map[string]bool{}
	for _, e := range evs {
		name := strings.SplitN(e.Message, "-", 2)[0]
		if seen[name] {
			continue
		}
		seen[name] = true
		sl := e.Raw["log"].(map[string]any)["syslog"].(map[string]any)
		src := e.Raw["log"].(map[string]any)["source"].(map[string]any)["address"].(string)
		if !strings.HasPrefix(src, "127.0.0.1:") || e.Raw["input"].(map[string]any)["type"] != "syslog" {
			t.Errorf("%s: source %q, input %v", name, src, e.Raw["input"])
		}
		switch name {
		case "tcp5424":
			sd := sl["structured_data"].(map[string]any)["test@1"].(map[string]any)
			if sl["appname"] != "sl-test" || sl["msgid"] != "M1" || sd["k"] != "v" || sl["version"] != "1" ||
				sl["priority"] != float64(19*8+4) || sl["severity"].(map[string]any)["name"] != "Warning" {
				t.Errorf("rfc5424 over tcp: log.syslog %v", sl)
			}
		case "tcp3164":
			if sl["appname"] != "old-app" || sl["hostname"] == nil {
				t.Errorf("rfc3164 over tcp: log.syslog %v", sl)
			}
		case "udp3164":
			if sl["appname"] != "udp-app" || sl["priority"] != float64(8+3) {
				t.Errorf("rfc3164 over udp: log.syslog %v", sl)
			}
		}
	}
	if len(seen) != 3 {
		t.Fatalf("saw %v", seen)
	}
}

// TestSyslogKillNine: what the agent accepted over TCP while no broker
// was there (its disk queue holds it) survives a kill -9 and arrives once
// the broker is up; a kill -9 while it ships loses nothing either, and
// the copies sent again carry the same _id.
func TestSyslogKillNine(t *testing.T) {
	const n = 2000
	bin := testpeer.SluiceBinary(t)
	kafkaPort, tcp := testpeer.FreePort(t), testpeer.FreePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", kafkaPort)
	reg := t.TempDir()
	a := startAgentProcess(t, bin, syslogYAML(reg, addr, "killed", 0, tcp), reg)

	send := func(name string, from, to int) int64 {
		var conn net.Conn
		await.Eventually(t, 30*time.Second, 20*time.Millisecond, func() (err error) {
			conn, err = net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", tcp))
			return err
		})
		defer conn.Close()
		local := conn.LocalAddr().String()
		var queued int64
		var buf []byte
		for i := from; i < to; i++ {
			msg := fmt.Sprintf("<14>1 2024-01-02T03:04:05Z h app - - - %s", lineText(name, i))
			buf = fmt.Appendf(buf, "%d %s", len(msg), msg)
			queued += int64(8 + 10 + len(local) + len(msg)) // spool framing + the queue's header
		}
		if _, err := conn.Write(buf); err != nil {
			t.Fatal(err)
		}
		return queued
	}
	spoolBytes := func() (int64, error) {
		segs, err := filepath.Glob(filepath.Join(reg, "diskqueue", "net", "*.seg"))
		if err != nil {
			return 0, err
		}
		var sum int64
		for _, s := range segs {
			if st, err := os.Stat(s); err == nil {
				sum += st.Size()
			}
		}
		return sum, nil
	}

	// No broker: the messages wait in the disk queue, then a kill -9.
	want := send("queued", 0, n)
	await.Progress(t, deliveryStall, deliveryCap, 20*time.Millisecond, func() (int64, error) {
		got, err := spoolBytes()
		if err == nil && got < want {
			err = fmt.Errorf("%d of %d bytes in the disk queue", got, want)
		}
		return got, err
	})
	a.kill9()
	zk := testcluster.Coordinator(t)
	b := testcluster.StartBroker(t, 1, zk, "", func(c *broker.Config) { c.SetListener("127.0.0.1", kafkaPort); c.NumPartitions = 3 })
	c := consumeLight(t, b.Addr(), "killed")
	awaitDelivered(t, c, map[string]int{"queued": n})

	// Shipping: kill -9 halfway.
	send("shipped", 0, n)
	await.Progress(t, deliveryStall, deliveryCap, 5*time.Millisecond, func() (int64, error) {
		if got := c.countPrefix("shipped"); got < n/2 {
			return int64(got), fmt.Errorf("%d of %d", got, n/2)
		}
		return int64(n / 2), nil
	})
	a.kill9()
	files := map[string]int{"queued": n, "shipped": n}
	awaitDelivered(t, c, files)
	dups, err := tallyIDs(t, c, files)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d lines sent twice (acknowledged after the disk queue's last commit), each with its _id", dups)
}

// TestSyslogInvalidUTF8: bytes that are not UTF-8 in a syslog message
// (a Latin-1 sender, garbage) become U+FFFD in the event, as in a file
// line's, so the event stays valid JSON in UTF-8; the rest of the text
// is kept.
func TestSyslogInvalidUTF8(t *testing.T) {
	b := startBroker(t)
	udp, tcp := testpeer.FreePort(t), testpeer.FreePort(t)
	c := consume(t, b.Addr(), "syslog")
	c.raw = true
	startAgent(t, parseConfig(t, syslogYAML(t.TempDir(), b.Addr(), "syslog", udp, tcp)))
	var conn net.Conn
	await.Eventually(t, 30*time.Second, 20*time.Millisecond, func() error {
		var err error
		conn, err = net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", tcp))
		return err
	})
	defer conn.Close()
	msgs := []string{
		"<13>Dec  4 05:00:00 host app[1]: tcp3164-0 caf\xe9 \xff\xfe end",
		"<13>1 2024-12-04T05:00:00Z host app 1 - - tcp5424-0 \xc3\x28 end",
	}
	for _, m := range msgs {
		if _, err := fmt.Fprintf(conn, "%d %s", len(m), m); err != nil {
			t.Fatal(err)
		}
	}
	u, err := net.Dial("udp", fmt.Sprintf("127.0.0.1:%d", udp))
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	if _, err := u.Write([]byte("<13>Dec  4 05:00:00 host app[1]: udp3164-0 \x80 end")); err != nil {
		t.Fatal(err)
	}
	awaitDelivered(t, c, map[string]int{"tcp3164": 1, "tcp5424": 1, "udp3164": 1})
	want := map[string]string{"tcp3164": "tcp3164-0 caf\uFFFD \uFFFD\uFFFD end", "tcp5424": "tcp5424-0 \uFFFD( end",
		"udp3164": "udp3164-0 \uFFFD end"}
	evs, _ := c.snapshot()
	for _, e := range evs {
		name := strings.SplitN(e.Message, "-", 2)[0]
		if e.Message != want[name] {
			t.Errorf("message %q, want %q", e.Message, want[name])
		}
	}
}
