package testpeer

import (
	"context"
	"os/exec"
	"testing"
	"time"
)

// Kcat returns the path of kcat (Debian package `kcat`, librdkafka's CLI).
func Kcat(tb testing.TB) string {
	tb.Helper()
	return lookTool(tb, "kcat", "kcat")
}

// Rsyslogd returns the path of rsyslogd (Debian packages `rsyslog` and
// `rsyslog-kafka`), the agent's benchmark anchor (imfile → omkafka).
func Rsyslogd(tb testing.TB) string {
	tb.Helper()
	return lookTool(tb, "rsyslog", "rsyslogd")
}

// Logrotate returns the path of logrotate (Debian package `logrotate`):
// the agent's rotation tests rotate with it.
func Logrotate(tb testing.TB) string {
	tb.Helper()
	return lookTool(tb, "logrotate", "logrotate")
}

func lookTool(tb testing.TB, peer, name string) string {
	tb.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		Missing(tb, peer, err)
	}
	return path
}

// Output runs a peer program with a timeout and returns its combined output;
// the test fails if it does not exit 0.
func Output(tb testing.TB, timeout time.Duration, name string, args ...string) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		tb.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}
