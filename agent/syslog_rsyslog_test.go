package agent_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// TestSyslogFromRsyslog: rsyslog reads two files (imfile) and forwards
// their lines with omfwd, one over TCP with octet counting in RFC 5424,
// the other over UDP in the traditional (RFC 3164) format: every line
// arrives once, with the sender's program name.
func TestSyslogFromRsyslog(t *testing.T) {
	const n = 500
	rsyslogd := testpeer.Rsyslogd(t)
	b := startBroker(t)
	udp, tcp := testpeer.FreePort(t), testpeer.FreePort(t)
	c := consume(t, b.Addr(), "fwd")
	c.raw = true
	startAgent(t, parseConfig(t, syslogYAML(t.TempDir(), b.Addr(), "fwd", udp, tcp)))
	await.Eventually(t, 30*time.Second, 20*time.Millisecond, func() error {
		conn, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", tcp))
		if err == nil {
			conn.Close()
		}
		return err
	})

	dir := t.TempDir()
	work := filepath.Join(dir, "work")
	if err := os.MkdirAll(work, 0o755); err != nil {
		t.Fatal(err)
	}
	tcpFile, udpFile := filepath.Join(dir, "tcp.log"), filepath.Join(dir, "udp.log")
	conf := filepath.Join(dir, "rsyslog.conf")
	text := fmt.Sprintf(`global(workDirectory=%q)
module(load="imfile")
ruleset(name="viatcp") {
  action(type="omfwd" target="127.0.0.1" port="%d" protocol="tcp" TCP_Framing="octet-counted"
         template="RSYSLOG_SyslogProtocol23Format")
}
ruleset(name="viaudp") {
  action(type="omfwd" target="127.0.0.1" port="%d" protocol="udp" template="RSYSLOG_TraditionalForwardFormat")
}
input(type="imfile" file=%q tag="fwd-tcp:" ruleset="viatcp")
input(type="imfile" file=%q tag="fwd-udp:" ruleset="viaudp")
`, work, tcp, udp, tcpFile, udpFile)
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(rsyslogd, "-N1", "-f", conf).CombinedOutput(); err != nil {
		t.Fatalf("rsyslogd -N1: %v\n%s", err, out)
	}
	testpeer.Start(t, "rsyslogd", exec.Command(rsyslogd, "-n", "-f", conf, "-i", filepath.Join(work, "rsyslogd.pid")), 30*time.Second,
		func(context.Context) error { _, err := os.Stat(filepath.Join(work, "rsyslogd.pid")); return err })

	appendLines := func(path, name string, from, to int) {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		var sb strings.Builder
		for i := from; i < to; i++ {
			sb.WriteString(lineText(name, i) + "\n")
		}
		if _, err := f.WriteString(sb.String()); err != nil {
			t.Fatal(err)
		}
	}
	appendLines(tcpFile, "viatcp", 0, n)
	awaitDelivered(t, c, map[string]int{"viatcp": n})
	// UDP has no flow control (TestSyslogLogger): bursts of 50, each once
	// the one before arrived.
	for i := 0; i < n; i += 50 {
		appendLines(udpFile, "viaudp", i, i+50)
		awaitDelivered(t, c, map[string]int{"viaudp": i + 50})
	}
	files := map[string]int{"viatcp": n, "viaudp": n}
	awaitDelivered(t, c, files)
	if dups, err := tallyIDs(t, c, files); err != nil || dups != 0 {
		t.Fatalf("%d duplicates, %v", dups, err)
	}
	evs, _ := c.snapshot()
	apps := map[string]string{}
	for _, e := range evs {
		name := strings.SplitN(e.Message, "-", 2)[0]
		sl := e.Raw["log"].(map[string]any)["syslog"].(map[string]any)
		apps[name], _ = sl["appname"].(string)
	}
	if apps["viatcp"] != "fwd-tcp" || apps["viaudp"] != "fwd-udp" {
		t.Fatalf("appnames %v", apps)
	}
}
