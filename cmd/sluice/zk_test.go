package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/testkit/testcluster"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// zkScript exercises every command of `sluice zk` and its errors, under
// one root that it removes at the end, so that it can run again on the
// same server with the same output.
const zkScript = `create /zkcli
create /zkcli/a 120
create /zkcli/a 121
get /zkcli/a
get -s /zkcli/a
create /zkcli/b
get /zkcli/b
ls /zkcli
ls -s /zkcli
stat /zkcli/a
stat /zkcli/nope
get /zkcli/nope
set /zkcli/a 130
set -s /zkcli/a 131
set /zkcli/a 140 -v 0
set -v 2 /zkcli/a 140
get /zkcli/a
set /zkcli/nope 1
create -s /zkcli/b/q- x
create -s /zkcli/b/q- y
create -e /zkcli/eph e
create -e -s /zkcli/b/e-
create /zkcli/eph/kid
stat /zkcli/eph
create /zkcli/no/parent
create -c /zkcli/c
create /zkcli/c/k
create -c -e /zkcli/x
ls -R /zkcli
ls -R /zkcli/nope
delete /zkcli/b
delete -v 5 /zkcli/a
delete /zkcli/nope
delete -v 3 /zkcli/a
ls /zkcli
create /zkcli/sp "hello world"
get '/zkcli/sp'
ls zkcli
ls /zkcli/
get /zkcli//b
deleteall /zkcli/b
ls /zkcli
deleteall /zkcli/nope
deleteall /zkcli
ls /zkcli
ls /zookeeper
`

// TestZkShellMatchesZkCli runs the same commands through `sluice zk` and
// through Apache ZooKeeper's zkCli.sh, each against a real ZooKeeper 3.8
// and against a sluice coordinator: all four print the same, once zxids,
// times and session ids (which differ between servers and runs) are masked.
func TestZkShellMatchesZkCli(t *testing.T) {
	servers := []struct{ name, addr string }{
		{"zookeeper", testpeer.StartZooKeeper(t).Addr},
		{"sluice", testcluster.StartCoordinator(t, t.TempDir(), 200*time.Millisecond).Addr()},
	}
	var want string
	for _, srv := range servers {
		out, code := testpeer.ZkCliScript(t, srv.addr, zkScript)
		if code != 0 {
			t.Fatalf("zkCli.sh against %s exited %d:\n%s", srv.name, code, out)
		}
		got := normalizeZkCli(t, out)
		if want == "" {
			want = got
			t.Logf("zkCli.sh against ZooKeeper printed:\n%s", want)
		} else if got != want {
			t.Errorf("zkCli.sh printed differently against %s:\n%s", srv.name, lineDiff(want, got))
		}

		var buf bytes.Buffer
		e := &env{stdin: strings.NewReader(zkScript), stdout: &buf, stderr: &buf}
		if code := run(context.Background(), e, []string{"zk", "-server", srv.addr}); code != 0 {
			t.Fatalf("sluice zk against %s exited %d:\n%s", srv.name, code, buf.String())
		}
		if got := normalizeZkCli(t, buf.String()); got != want {
			t.Errorf("sluice zk against %s printed differently from zkCli.sh:\n%s", srv.name, lineDiff(want, got))
		}
	}
}

// TestZkShellOneCommand runs single commands given as arguments, as in the
// README's walk-through, against a coordinator with a broker registered.
func TestZkShellOneCommand(t *testing.T) {
	addr := testcluster.Coordinator(t)
	testcluster.StartBroker(t, 7, addr, "")
	await.Eventually(t, 20*time.Second, 50*time.Millisecond, func() error {
		code, out, errOut := runArgs("zk", "-server", addr, "ls", "/brokers/ids")
		if code != 0 || out != "[7]\n" {
			return fmt.Errorf("ls /brokers/ids: exit %d, stdout %q, stderr %q", code, out, errOut)
		}
		return nil
	})
	if got := testpeer.ZkCli(t, addr, "ls", "/brokers/ids"); normalizeZkCli(t, got) != "[7]" {
		t.Errorf("zkCli.sh ls /brokers/ids printed %q", got)
	}
	if code, _, errOut := runArgs("zk", "-server", addr, "create", "/one", "1"); code != 0 || errOut != "Created /one\n" {
		t.Errorf("create: exit %d, stderr %q", code, errOut)
	}
	// A failed command exits 1, as zkCli.sh does; an unknown one 127.
	if code, out, errOut := runArgs("zk", "-server", addr, "create", "/one"); code != 1 || out != "" || errOut != "Node already exists: /one\n" {
		t.Errorf("create again: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if code, _, errOut := runArgs("zk", "-server", addr, "ls"); code != 1 || errOut != "ls [-s] [-R] path\n" {
		t.Errorf("ls without a path: exit %d, stderr %q", code, errOut)
	}
	if code, _, errOut := runArgs("zk", "-server", addr, "rmr", "/one"); code != 127 || !strings.HasSuffix(errOut, "Command not found: Command not found rmr\n") {
		t.Errorf("unknown command: exit %d, stderr %q", code, errOut)
	}
	if code, out, _ := runArgs("zk", "-server", addr, "help"); code != 0 || !strings.Contains(out, "\tdeleteall path\n") {
		t.Errorf("help: exit %d, stdout %q", code, out)
	}
}

// TestZkShellPrompt checks the interactive prompt: zkCli's, numbered by
// the commands run, and that quit ends the shell.
func TestZkShellPrompt(t *testing.T) {
	addr := testcluster.Coordinator(t)
	var out, errOut bytes.Buffer
	e := &env{stdin: strings.NewReader("ls /\n\nstat /nope\nquit\nls /\n"), stdout: &out, stderr: &errOut}
	if code := run(context.Background(), e, []string{"zk", "-server", addr}); code != 1 {
		t.Errorf("exit %d, want 1 (the last command before quit failed)", code)
	}
	p := func(n int) string { return fmt.Sprintf("[zk: %s(CONNECTED) %d] ", addr, n) }
	want := p(0) + "[zookeeper]\n" + p(1) + p(1) + p(2)
	if out.String() != want {
		t.Errorf("stdout %q, want %q", out.String(), want)
	}
	if errOut.String() != "Node does not exist: /nope\n" {
		t.Errorf("stderr %q", errOut.String())
	}
}

// TestZkShellInterrupt: Ctrl-C (the end of ctx) ends a shell waiting for
// its next command, with the exit status of a shell killed by SIGINT.
func TestZkShellInterrupt(t *testing.T) {
	addr := testcluster.Coordinator(t)
	stdin, typed := io.Pipe()
	t.Cleanup(func() { typed.Close() })
	var out lockedBuffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, &env{stdin: stdin, stdout: &out, stderr: &out}, []string{"zk", "-server", addr})
	}()
	if _, err := io.WriteString(typed, "ls /\n"); err != nil {
		t.Fatal(err)
	}
	await.Eventually(t, 10*time.Second, 10*time.Millisecond, func() error {
		if !strings.Contains(out.String(), "[zookeeper]\n[zk: ") {
			return fmt.Errorf("output so far %q", out.String())
		}
		return nil
	})
	cancel()
	select {
	case code := <-done:
		if code != 130 {
			t.Errorf("exit %d, want 130", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the shell did not end when its context did")
	}
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestZkSplit(t *testing.T) {
	for line, want := range map[string][]string{
		`create /a "hello world"`: {"create", "/a", "hello world"},
		"  ls\t-R   / ":           {"ls", "-R", "/"},
		`set /a 'x y' -v 1`:       {"set", "/a", "x y", "-v", "1"},
		`get "/a`:                 {"get", "/a"},
		"":                        nil,
	} {
		if got := zkSplit(line); fmt.Sprint(got) != fmt.Sprint(want) || len(got) != len(want) {
			t.Errorf("zkSplit(%q) = %q, want %q", line, got, want)
		}
	}
}

func TestCheckZkPath(t *testing.T) {
	for _, c := range []struct {
		path string
		seq  bool
		want string
	}{
		{"/", false, ""},
		{"/a/b", false, ""},
		{"/a/", true, ""},
		{"", false, "Path length must be > 0"},
		{"a", false, "Path must start with / character"},
		{"/a/", false, "Path must not end with / character"},
		{"/a//b", false, `Invalid path string "/a//b" caused by empty node name specified @3`},
		{"/a/./b", false, `Invalid path string "/a/./b" caused by relative paths not allowed @3`},
		{"/a/..", false, `Invalid path string "/a/.." caused by relative paths not allowed @4`},
		{"/a/b\x01", false, `Invalid path string "/a/b` + "\x01" + `" caused by invalid character @4`},
	} {
		err := checkZkPath(c.path, c.seq)
		if got := fmt.Sprint(err); (err == nil && c.want != "") || (err != nil && got != c.want) {
			t.Errorf("checkZkPath(%q, %v) = %v, want %q", c.path, c.seq, err, c.want)
		}
	}
}

var (
	zkPromptRE = regexp.MustCompile(`\[zk: [^\]]*\] `)
	zkZxidRE   = regexp.MustCompile(`^([cmp]Zxid) = 0x[0-9a-f]+$`)
	zkTimeRE   = regexp.MustCompile(`^([cm]time) = [A-Z][a-z]{2} [A-Z][a-z]{2} [0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} [A-Za-z+0-9:-]+ [0-9]{4}$`)
	zkOwnerRE  = regexp.MustCompile(`^ephemeralOwner = 0x[1-9a-f][0-9a-f]*$`)
)

// normalizeZkCli removes what zkCli.sh prints besides its commands' output
// (JVM logging, the banner, connection events, which it prints from another
// thread, and blank lines around them), the prompts, and masks zxids, times
// and session ids, which differ between servers and runs. Times must still
// be in Java's Date format.
func normalizeZkCli(t *testing.T, out string) string {
	t.Helper()
	out = zkPromptRE.ReplaceAllString(testpeer.WithoutZkCliEvents(out), "")
	var kept []string
	for _, line := range strings.Split(out, "\n") {
		switch {
		case line == "", strings.HasPrefix(line, "SLF4J:"), strings.HasPrefix(line, "Connecting to "),
			line == "Welcome to ZooKeeper!", strings.HasPrefix(line, "JLine support is "):
			continue
		case zkZxidRE.MatchString(line):
			line = zkZxidRE.ReplaceAllString(line, "$1 = <zxid>")
		case zkTimeRE.MatchString(line):
			line = zkTimeRE.ReplaceAllString(line, "$1 = <time>")
		case zkOwnerRE.MatchString(line):
			line = "ephemeralOwner = <session>"
		}
		kept = append(kept, line)
	}
	return strings.Join(kept, "\n")
}

// lineDiff shows two outputs side by side, marking the lines that differ.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for i := 0; i < max(len(w), len(g)); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		mark := "  "
		if wl != gl {
			mark = "!="
		}
		fmt.Fprintf(&b, "%s %-50q %q\n", mark, wl, gl)
	}
	return b.String()
}
