package testpeer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// zooKeeperJar and zkCliPath are where Debian's `zookeeper` package puts the
// server classes and the CLI.
const (
	zooKeeperJar = "/usr/share/java/zookeeper.jar"
	zkCliPath    = "/usr/share/zookeeper/bin/zkCli.sh"
)

// ZooKeeper is a running Apache ZooKeeper 3.8 server.
type ZooKeeper struct {
	Addr    string // host:port of the client port
	Process *Process
}

// StartZooKeeper starts a standalone Apache ZooKeeper server on a free
// loopback port with its own data directory (deploy/zookeeper/run.sh), and
// stops it when the test ends.
func StartZooKeeper(tb testing.TB) *ZooKeeper {
	tb.Helper()
	return StartZooKeeperWith(tb, nil)
}

// StartZooKeeperWith starts a standalone Apache ZooKeeper server as
// StartZooKeeper does, with the lines of extra added to its zoo.cfg.
func StartZooKeeperWith(tb testing.TB, extra []string) *ZooKeeper {
	tb.Helper()
	for _, p := range []string{zooKeeperJar, zkCliPath} {
		if _, err := os.Stat(p); err != nil {
			Missing(tb, "zookeeper", err)
		}
	}
	e := zooKeeperEnsemble(tb, 1, extra)
	m := e.Members[0]
	Used(tb, "zookeeper", "3.8 (Debian) at "+m.ClientAddr)
	return &ZooKeeper{Addr: m.ClientAddr, Process: &Process{Process: m.Process}}
}

// ZkCli runs Apache ZooKeeper's zkCli.sh against addr with one command and
// returns what it printed (zkCli.sh writes some results, such as "Created
// /path", to standard error, so both streams are returned together), without
// its watcher thread's connection event (WithoutZkCliEvents), which can cut
// a line of the result in two; the test fails if it does not exit 0.
func ZkCli(tb testing.TB, addr string, args ...string) string {
	tb.Helper()
	return ZkCliWith(tb, addr, "", args...)
}

// ZkCliWith runs zkCli.sh as ZkCli does with CLIENT_JVMFLAGS set to
// jvmFlags (e.g. -Dzookeeper.client.secure=true and the ssl.* properties
// of a TLS client).
func ZkCliWith(tb testing.TB, addr, jvmFlags string, args ...string) string {
	tb.Helper()
	out, err := runZkCli(tb, addr, jvmFlags, "", args)
	if err != nil {
		tb.Fatalf("zkCli.sh %v: %v\noutput:\n%s", args, err, out)
	}
	Used(tb, "zkCli", "zkCli.sh "+args[0])
	return WithoutZkCliEvents(out)
}

// zkCliEventRE matches one message of zkCli.sh's watcher thread: it prints
// each as "\n" + message + "\n" in one println, which can land in the middle
// of a line of the command's own output.
var zkCliEventRE = regexp.MustCompile(`\n(WATCHER::|WatchedEvent state:\S+ type:\S+ path:\S*)\n`)

// WithoutZkCliEvents removes what zkCli.sh's watcher thread printed into
// out (the "WATCHER::" and "WatchedEvent …" messages), wherever they fell,
// putting back together a line they cut in two.
func WithoutZkCliEvents(out string) string {
	for {
		next := zkCliEventRE.ReplaceAllString(out, "")
		if next == out {
			return out
		}
		out = next
	}
}

// ZkCliScript runs zkCli.sh against addr as an interactive shell reading
// the lines of script from its standard input, and returns what it printed
// (both streams together, in order) and its exit status, which zkCli.sh
// takes from the last command.
func ZkCliScript(tb testing.TB, addr, script string) (string, int) {
	tb.Helper()
	out, err := runZkCli(tb, addr, "", script, nil)
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		tb.Fatalf("zkCli.sh: %v\noutput:\n%s", err, out)
	}
	Used(tb, "zkCli", "zkCli.sh script")
	if exit != nil {
		return out, exit.ExitCode()
	}
	return out, 0
}

// RunZkCli runs zkCli.sh against addr with CLIENT_JVMFLAGS jvmFlags and
// one command, and returns what it printed and how it exited, for tests
// of a failure.
func RunZkCli(tb testing.TB, addr, jvmFlags string, args ...string) (string, error) {
	tb.Helper()
	out, err := runZkCli(tb, addr, jvmFlags, "", args)
	Used(tb, "zkCli", "zkCli.sh "+args[0])
	return WithoutZkCliEvents(out), err
}

func runZkCli(tb testing.TB, addr, jvmFlags, stdin string, args []string) (string, error) {
	tb.Helper()
	if _, err := os.Stat(zkCliPath); err != nil {
		Missing(tb, "zookeeper", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, zkCliPath, append([]string{"-server", addr}, args...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.Stdin = strings.NewReader(stdin)
	if jvmFlags != "" {
		cmd.Env = append(os.Environ(), "CLIENT_JVMFLAGS="+jvmFlags)
	}
	err := cmd.Run()
	return out.String(), err
}

// StartZooKeeperEnsemble starts n Apache ZooKeeper servers on loopback as
// one ensemble and returns their client addresses once each answers ruok
// and one of them leads. They stop when the test ends.
func StartZooKeeperEnsemble(tb testing.TB, n int) []string {
	tb.Helper()
	if _, err := os.Stat(zooKeeperJar); err != nil {
		Missing(tb, "zookeeper", err)
	}
	addrs := zooKeeperEnsemble(tb, n, nil).Addrs()
	Used(tb, "zookeeper", fmt.Sprintf("3.8 (Debian) ensemble of %d at %s", n, strings.Join(addrs, ",")))
	return addrs
}

// zooKeeperEnsemble starts n Apache ZooKeeper members (StartEnsemble) for
// the test.
func zooKeeperEnsemble(tb testing.TB, n int, extra []string) *Ensemble {
	tb.Helper()
	root, err := RepoRoot()
	if err != nil {
		tb.Fatal(err)
	}
	return EnsembleFor(tb, EnsembleSpec{Kind: KindZooKeeper, Members: n, ZooKeeper: filepath.Join(root, "deploy/zookeeper/run.sh"), StartLimit: 60 * time.Second, ZooKeeperConfig: extra})
}

// nettyClassPath is what Debian's zookeeper.jar lacks for its Netty
// client and server (the TLS ones): its manifest's Class-Path names
// netty-buffer, -common, -handler and -transport but not netty-codec and
// netty-resolver, which they need.
const nettyClassPath = "/usr/share/java/netty-codec.jar:/usr/share/java/netty-resolver.jar"

// ZkCliNettyFlags returns zkCli.sh's CLIENT_JVMFLAGS that only put the
// Netty jars on the class path: for a TLS client whose settings come from
// zkCli.sh's -client-configuration file.
func ZkCliNettyFlags() string {
	return "-cp /etc/zookeeper/conf:" + zooKeeperJar + ":" + nettyClassPath
}

// ZkCliTLSFlags returns zkCli.sh's CLIENT_JVMFLAGS for a TLS client
// (ZooKeeper's Netty client socket, zookeeper.client.secure=true) with
// the PEM key store keyStore (none when "") and trust store trustStore;
// they also put the Netty jars Debian's package leaves out on the class
// path (a later -cp replaces zkCli.sh's own).
func ZkCliTLSFlags(keyStore, trustStore string) string {
	flags := []string{
		ZkCliNettyFlags(),
		"-Dzookeeper.client.secure=true",
		"-Dzookeeper.clientCnxnSocket=org.apache.zookeeper.ClientCnxnSocketNetty",
		"-Dzookeeper.ssl.trustStore.location=" + trustStore, "-Dzookeeper.ssl.trustStore.type=PEM",
	}
	if keyStore != "" {
		flags = append(flags, "-Dzookeeper.ssl.keyStore.location="+keyStore, "-Dzookeeper.ssl.keyStore.type=PEM")
	}
	return strings.Join(flags, " ")
}
