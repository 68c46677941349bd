package conformance

import (
	"strings"

	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// testZkCli runs Apache ZooKeeper's zkCli.sh against the target, as an
// operator would.
func testZkCli(e *env) {
	t := e.t
	// The paths are the ones from the operators' notes this replaces; the
	// tree is removed before and after.
	e.removeTree("/magedu")
	t.Cleanup(func() { e.removeTree("/magedu") })

	addr := e.target.Addrs[0]
	steps := []struct {
		args []string
		want string // what zkCli.sh prints after connecting
	}{
		{[]string{"create", "/magedu"}, "Created /magedu"},
		{[]string{"create", "/magedu/linux"}, "Created /magedu/linux"},
		{[]string{"create", "/magedu/linux/m100", "120"}, "Created /magedu/linux/m100"},
		{[]string{"get", "/magedu/linux/m100"}, "120"},
		{[]string{"ls", "/magedu/linux"}, "[m100]"},
		// ZooKeeper: a node created without data reads back as null.
		{[]string{"get", "/magedu/linux"}, "null"},
		{[]string{"delete", "/magedu/linux/m100"}, ""},
		{[]string{"ls", "/magedu/linux"}, "[]"},
	}
	for _, s := range steps {
		out := testpeer.ZkCli(t, addr, s.args...)
		if got := zkCliResult(out); got != s.want {
			t.Fatalf("zkCli.sh %s printed %q; want %q\nfull output:\n%s", strings.Join(s.args, " "), got, s.want, out)
		}
	}
}

// zkCliResult returns what zkCli.sh printed for its command, trimmed:
// everything but the JVM's logging noise, the "Connecting to" line and the
// connection event, which zkCli.sh prints from another thread, before,
// after or in the middle of the command's own output, or not at all when
// the command finishes first. (ZkCli already failed the test if zkCli.sh
// exited non-zero.)
func zkCliResult(out string) string {
	var kept []string
	for _, line := range strings.Split(testpeer.WithoutZkCliEvents(out), "\n") {
		switch {
		case strings.HasPrefix(line, "SLF4J:"), strings.HasPrefix(line, "Connecting to "):
		default:
			kept = append(kept, line)
		}
	}
	return strings.TrimSpace(strings.Join(kept, "\n"))
}
