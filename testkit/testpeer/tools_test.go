package testpeer

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"
)

func TestKcatPeer(t *testing.T) {
	out := Output(t, 30*time.Second, Kcat(t), "-V")
	m := regexp.MustCompile(`Version ([0-9.]+) .*librdkafka ([0-9.]+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("kcat -V does not name its librdkafka version:\n%s", out)
	}
	Used(t, "kcat", "kcat "+m[1]+", librdkafka "+m[2])
}

func TestRsyslogPeer(t *testing.T) {
	rsyslogd := Rsyslogd(t)
	out := Output(t, 30*time.Second, rsyslogd, "-v")
	m := regexp.MustCompile(`rsyslogd\s+([0-9.]+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("rsyslogd -v does not name its version:\n%s", out)
	}
	// The benchmark anchor is imfile → omkafka: check that rsyslogd accepts
	// such a configuration, which loads both modules (-N1: validate only).
	dir := t.TempDir()
	conf := filepath.Join(dir, "rsyslog.conf")
	err := os.WriteFile(conf, []byte(`
global(workDirectory="`+dir+`")
module(load="imfile")
module(load="omkafka")
input(type="imfile" file="`+dir+`/app.log" tag="app")
action(type="omkafka" broker=["127.0.0.1:1"] topic="logs")
`), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	Output(t, 30*time.Second, rsyslogd, "-N1", "-f", conf)
	Used(t, "rsyslog", "rsyslogd "+m[1]+" with imfile and omkafka")
}
