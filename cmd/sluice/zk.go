package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/sluicelogs/sluice/internal/zktls"
)

// runZk is `sluice zk -server host:port [command]`: a shell for any
// ZooKeeper-protocol server that prints what Apache ZooKeeper 3.8's zkCli.sh
// prints for the same commands (results to stdout; "Created …" and errors to
// stderr, as zkCli.sh does), so that operators' notes and scripts carry over.
// With a command it runs that one and exits 1 if it failed; without one it
// reads commands from stdin, showing zkCli's prompt.
func runZk(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("sluice zk", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	server := fs.String("server", "localhost:2181", "host:port of the server (several separated by commas)")
	timeout := fs.Int("timeout", 30000, "session timeout in milliseconds, as zkCli.sh's -timeout")
	clientConf := fs.String("client-configuration", "", "a properties file of ZooKeeper client settings, as zkCli.sh's -client-configuration: zookeeper.client.secure=true, zookeeper.ssl.keyStore.location, zookeeper.ssl.trustStore.location (PEM), zookeeper.ssl.hostnameVerification, zookeeper.ssl.protocol")
	logger := logFlags(fs, e)
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "Usage: sluice zk [-server host:port] [-client-configuration properties-file] [command args]\n\nFlags:\n")
		fs.PrintDefaults()
		fmt.Fprintln(e.stderr)
		zkUsage(e.stderr)
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	log, err := logger()
	if err != nil {
		return err
	}
	dial, err := zkClientConfiguration(*clientConf)
	if err != nil {
		return err
	}
	conn, err := zkConnect(ctx, strings.Split(*server, ","), time.Duration(*timeout)*time.Millisecond, log, dial)
	if err != nil {
		return err
	}
	defer conn.Close()
	sh := &zkShell{conn: conn, host: *server, out: e.stdout, errw: e.stderr}
	if fs.NArg() > 0 {
		_, code := sh.exec(fs.Args())
		if code != 0 {
			return exitCode(code)
		}
		return nil
	}
	return sh.interactive(ctx, e.stdin)
}

// zkConnect opens a session and waits until the server has granted it (or
// ctx ends, or the session timeout passes). dial is the TLS dialer of
// -client-configuration / --zk-tls-config-file, nil for plaintext.
//
// go-zookeeper retries for ever a server that fails the TLS handshake, or
// closes the connection before granting a session. A tool stops waiting
// when every server failed twice in a row (a bound on attempts, not on
// time) and the failure is one that retrying does not mend: a TLS
// handshake (a wrong CA, a plaintext port), or a plaintext client at a
// port that answers TLS. A refused connection, or a server not serving
// yet (an ensemble without a quorum), is waited for as before.
func zkConnect(ctx context.Context, servers []string, timeout time.Duration, log *slog.Logger, dial zk.Dialer) (*zk.Conn, error) {
	var lastErr atomicErr
	plaintext := dial == nil
	if plaintext {
		d := &net.Dialer{}
		dial = func(network, address string, timeout time.Duration) (net.Conn, error) {
			d.Timeout = timeout
			return d.Dial(network, address)
		}
	}
	recorded := func(network, address string, timeout time.Duration) (net.Conn, error) {
		c, err := dial(network, address, timeout)
		if err != nil {
			lastErr.set(err)
		}
		return c, err
	}
	conn, events, err := zk.Connect(servers, timeout, zk.WithLogger(zkLogger{log}), zk.WithLogInfo(false), zk.WithDialer(recorded))
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", strings.Join(servers, ","), err)
	}
	fail := func(err error) (*zk.Conn, error) {
		conn.Close()
		return nil, fmt.Errorf("connect to %s: %w", strings.Join(servers, ","), err)
	}
	wait := time.NewTimer(timeout)
	defer wait.Stop()
	attempts, probed := 0, false
	for conn.State() != zk.StateHasSession {
		select {
		case ev := <-events:
			if ev.State != zk.StateConnecting {
				continue
			}
			if attempts++; attempts <= 2*len(servers) {
				continue
			}
			var hs *zktls.HandshakeError
			if err := lastErr.get(); errors.As(err, &hs) {
				return fail(err)
			}
			if plaintext && !probed {
				probed = true
				for _, s := range servers {
					if zktls.SpeaksTLS(s, timeout) {
						return fail(fmt.Errorf("%s is a TLS port (secureClientPort) and closes plaintext connections: give the client's TLS settings (sluice zk -client-configuration, sluice topics --zk-tls-config-file)", s))
					}
				}
			}
		case <-wait.C:
			if err := lastErr.get(); err != nil {
				return fail(fmt.Errorf("no session within %v: %w", timeout, err))
			}
			return fail(fmt.Errorf("no session within %v", timeout))
		case <-ctx.Done():
			conn.Close()
			return nil, ctx.Err()
		}
	}
	return conn, nil
}

// atomicErr is the last dial error, set by go-zookeeper's goroutine and
// read by zkConnect.
type atomicErr struct {
	mu  sync.Mutex
	err error
}

func (a *atomicErr) set(err error) { a.mu.Lock(); a.err = err; a.mu.Unlock() }
func (a *atomicErr) get() error    { a.mu.Lock(); defer a.mu.Unlock(); return a.err }

// zkLogger sends go-zookeeper's connection chatter to slog at debug level,
// so that it stays out of the shell's output unless asked for.
type zkLogger struct{ l *slog.Logger }

func (z zkLogger) Printf(format string, args ...any) { z.l.Debug(fmt.Sprintf(format, args...)) }

// exitCode is an error that only sets the process exit code: the message
// was printed already.
type exitCode int

func (c exitCode) Error() string { return fmt.Sprintf("exit status %d", int(c)) }

// zkShell runs zkCli-style commands on one session.
type zkShell struct {
	conn      *zk.Conn
	host      string
	out, errw io.Writer
	count     int // commands run, shown in the prompt
	lastCode  int // exit code of the last command: zkCli exits with it
}

// interactive reads commands from r until EOF, quit or the end of ctx
// (Ctrl-C), printing zkCli's prompt before each; it returns the exit code
// of the last command.
func (sh *zkShell) interactive(ctx context.Context, r io.Reader) error {
	if r == nil {
		r = strings.NewReader("")
	}
	// A read from a terminal cannot be interrupted, so lines are read by a
	// goroutine of their own: the shell waits for a line or for ctx. The
	// reader ends at EOF, or at the line after the shell stops asking (the
	// process is exiting then).
	lines := make(chan string)
	readErr := make(chan error, 1)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64<<10), 2<<20) // room for a znode's data (1 MiB) on one line
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-stop:
				return
			}
		}
		readErr <- sc.Err()
	}()
	for {
		fmt.Fprint(sh.out, sh.prompt())
		var line string
		var ok bool
		select {
		case line, ok = <-lines:
		case <-ctx.Done(): // Ctrl-C: exit as a shell does on SIGINT
			fmt.Fprintln(sh.out)
			return exitCode(130)
		}
		if !ok {
			break
		}
		args := zkSplit(line)
		if len(args) == 0 {
			continue
		}
		sh.count++
		quit, code := sh.exec(args)
		if quit { // zkCli exits with the code of the command before quit
			break
		}
		sh.lastCode = code
	}
	select {
	case err := <-readErr:
		if err != nil {
			return fmt.Errorf("read commands: %w", err)
		}
	default: // quit before the end of the input
	}
	if sh.lastCode != 0 {
		return exitCode(sh.lastCode)
	}
	return nil
}

// prompt is zkCli's: [zk: host:port(STATE) n].
func (sh *zkShell) prompt() string {
	state := "CONNECTING"
	switch sh.conn.State() {
	case zk.StateHasSession, zk.StateConnected:
		state = "CONNECTED"
	case zk.StateExpired:
		state = "CLOSED"
	case zk.StateAuthFailed:
		state = "AUTH_FAILED"
	}
	return fmt.Sprintf("[zk: %s(%s) %d] ", sh.host, state, sh.count)
}

// zkSplit splits a command line as zkCli does: words separated by white
// space, or quoted with ' or " (the quotes removed).
func zkSplit(line string) []string {
	var args []string
	for i := 0; i < len(line); {
		c := line[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v':
			i++
			continue
		case c == '"' || c == '\'':
			if end := strings.IndexByte(line[i+1:], c); end >= 0 {
				args = append(args, line[i+1:i+1+end])
				i += end + 2
				continue
			}
			i++ // an unmatched quote is skipped, as zkCli's pattern does
			continue
		}
		end := strings.IndexAny(line[i:], " \t\r\n\f\v")
		if end < 0 {
			end = len(line) - i
		}
		args = append(args, line[i:i+end])
		i += end
	}
	return args
}

// zkCommand is one shell command: its usage (after its name), its options
// (a trailing ':' marks one that takes a value) and what it does.
type zkCommand struct {
	usage string
	opts  string
	run   func(sh *zkShell, o zkOpts, args []string) error
}

func zkCommands() map[string]zkCommand {
	return map[string]zkCommand{
		"ls":        {"[-s] [-R] path", "sR", (*zkShell).ls},
		"get":       {"[-s] path", "s", (*zkShell).get},
		"stat":      {"path", "", (*zkShell).stat},
		"getAcl":    {"[-s] path", "s", (*zkShell).getACL},
		"create":    {"[-s] [-e] [-c] path [data]", "sec", (*zkShell).create},
		"set":       {"[-s] [-v version] path data", "sv:", (*zkShell).set},
		"delete":    {"[-v version] path", "v:", (*zkShell).delete},
		"deleteall": {"path", "", (*zkShell).deleteAll},
		"help":      {"", "", func(sh *zkShell, _ zkOpts, _ []string) error { zkUsage(sh.out); return nil }},
		"quit":      {"", "", nil},
	}
}

func zkUsage(w io.Writer) {
	cmds := zkCommands()
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	slices.Sort(names)
	fmt.Fprintln(w, "ZooKeeper -server host:port -client-configuration properties-file cmd args")
	for _, n := range names {
		fmt.Fprintf(w, "\t%s %s\n", n, cmds[n].usage)
	}
}

// zkError is a failed command: zkCli prints its message to stderr and
// exits with its code.
type zkError struct {
	msg  string
	code int
}

func (e *zkError) Error() string { return e.msg }

// exec runs one command line (args[0] is the command) and returns whether
// the shell should end and the command's exit code.
func (sh *zkShell) exec(args []string) (quit bool, code int) {
	cmd, ok := zkCommands()[args[0]]
	if !ok {
		zkUsage(sh.errw)
		fmt.Fprintf(sh.errw, "Command not found: Command not found %s\n", args[0])
		return false, 127
	}
	if cmd.run == nil { // quit
		return true, 0
	}
	o, rest, err := parseZkOpts(cmd.opts, args[1:])
	if err == nil {
		err = cmd.run(sh, o, rest)
	}
	if err == nil {
		return false, 0
	}
	var ze *zkError
	if !errors.As(err, &ze) {
		ze = &zkError{msg: err.Error(), code: 1}
	}
	if ze.msg == "" { // a usage error
		ze.msg = args[0] + " " + cmd.usage
	}
	fmt.Fprintln(sh.errw, ze.msg)
	return false, ze.code
}

// zkOpts are the options given to a command: flag letter → value ("" for
// options without one).
type zkOpts map[byte]string

func (o zkOpts) has(c byte) bool { _, ok := o[c]; return ok }

// parseZkOpts separates options from arguments as zkCli's option parser
// does: options may come anywhere, letters may be combined (-es), and a
// value follows its letter or is the next argument.
func parseZkOpts(spec string, args []string) (zkOpts, []string, error) {
	o := zkOpts{}
	var rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			rest = append(rest, args[i+1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' {
			rest = append(rest, a)
			continue
		}
		for j := 1; j < len(a); j++ {
			k := strings.IndexByte(spec, a[j])
			if k < 0 || a[j] == ':' {
				return nil, nil, &zkError{msg: "Unrecognized option: " + a, code: 1}
			}
			if k+1 < len(spec) && spec[k+1] == ':' {
				switch {
				case j+1 < len(a):
					o[a[j]] = a[j+1:]
				case i+1 < len(args):
					i++
					o[a[j]] = args[i]
				default:
					return nil, nil, &zkError{msg: "Missing argument for option: " + string(a[j]), code: 1}
				}
				break
			}
			o[a[j]] = ""
		}
	}
	return o, rest, nil
}

// needArgs returns a usage error unless there are at least n arguments.
func needArgs(args []string, n int) error {
	if len(args) < n {
		return &zkError{code: 1}
	}
	return nil
}

func (sh *zkShell) ls(o zkOpts, args []string) error {
	path, err := pathArg(args, 1, false)
	if err != nil {
		return err
	}
	if o.has('R') {
		// zkCli: the path, then depth first the sorted children of each
		// node before the subtrees below them.
		if _, _, err := sh.conn.Get(path); err != nil {
			return zkFailed(err, path)
		}
		fmt.Fprintln(sh.out, path)
		return sh.lsTree(path)
	}
	kids, st, err := sh.conn.Children(path)
	if err != nil {
		return zkFailed(err, path)
	}
	slices.Sort(kids)
	fmt.Fprintf(sh.out, "[%s]\n", strings.Join(kids, ", "))
	if o.has('s') {
		printZkStat(sh.out, st)
	}
	return nil
}

func (sh *zkShell) lsTree(path string) error {
	kids, _, err := sh.conn.Children(path)
	if errors.Is(err, zk.ErrNoNode) {
		return nil // deleted meanwhile
	}
	if err != nil {
		return zkFailed(err, path)
	}
	slices.Sort(kids)
	for i, k := range kids {
		kids[i] = zkJoin(path, k)
		fmt.Fprintln(sh.out, kids[i])
	}
	for _, k := range kids {
		if err := sh.lsTree(k); err != nil {
			return err
		}
	}
	return nil
}

func zkJoin(parent, child string) string {
	if parent == "/" {
		return "/" + child
	}
	return parent + "/" + child
}

func (sh *zkShell) get(o zkOpts, args []string) error {
	path, err := pathArg(args, 1, false)
	if err != nil {
		return err
	}
	data, st, err := sh.conn.Get(path)
	if err != nil {
		return zkFailed(err, path)
	}
	if data == nil {
		fmt.Fprintln(sh.out, "null")
	} else {
		fmt.Fprintln(sh.out, strings.ToValidUTF8(string(data), "\uFFFD"))
	}
	if o.has('s') {
		printZkStat(sh.out, st)
	}
	return nil
}

// pathArg checks that a command has at least n arguments, the first a
// valid path (sequential: a create -s path, which may end in "/").
func pathArg(args []string, n int, sequential bool) (string, error) {
	if err := needArgs(args, n); err != nil {
		return "", err
	}
	if err := checkZkPath(args[0], sequential); err != nil {
		return "", err
	}
	return args[0], nil
}

func (sh *zkShell) stat(_ zkOpts, args []string) error {
	path, err := pathArg(args, 1, false)
	if err != nil {
		return err
	}
	ok, st, err := sh.conn.Exists(path)
	if err == nil && !ok {
		err = zk.ErrNoNode
	}
	if err != nil {
		return zkFailed(err, path)
	}
	printZkStat(sh.out, st)
	return nil
}

func (sh *zkShell) create(o zkOpts, args []string) error {
	if err := needArgs(args, 1); err != nil {
		return err
	}
	eph, seq, container := o.has('e'), o.has('s'), o.has('c')
	if container && (eph || seq) {
		return &zkError{msg: "-c cannot be combined with -s or -e. Containers cannot be ephemeral or sequential.", code: 1}
	}
	if len(args) > 2 {
		return &zkError{msg: "ACLs are not supported by sluice zk: nodes are created with world:anyone:cdrwa", code: 1}
	}
	path := args[0]
	if err := checkZkPath(path, seq); err != nil {
		return err
	}
	var data []byte // no data argument: the node holds null, as with zkCli
	if len(args) > 1 {
		data = []byte(args[1])
	}
	var flags int32
	if eph {
		flags |= zk.FlagEphemeral
	}
	if seq {
		flags |= zk.FlagSequence
	}
	acl := zk.WorldACL(zk.PermAll)
	var created string
	var err error
	if container {
		created, err = sh.conn.CreateContainer(path, data, zk.FlagContainer, acl)
	} else {
		created, err = sh.conn.Create(path, data, flags, acl)
	}
	if err != nil {
		return zkFailed(err, path)
	}
	fmt.Fprintf(sh.errw, "Created %s\n", created)
	return nil
}

// version reads -v: any version (-1) when absent.
func (o zkOpts) version() (int32, error) {
	v, ok := o['v']
	if !ok {
		return -1, nil
	}
	n, err := strconv.ParseInt(v, 10, 32)
	if err != nil {
		return 0, &zkError{msg: fmt.Sprintf("-v %q: the version must be an integer", v), code: 1}
	}
	return int32(n), nil
}

func (sh *zkShell) set(o zkOpts, args []string) error {
	path, err := pathArg(args, 2, false)
	if err != nil {
		return err
	}
	version, err := o.version()
	if err != nil {
		return err
	}
	st, err := sh.conn.Set(path, []byte(args[1]), version)
	if err != nil {
		return zkFailed(err, path)
	}
	if o.has('s') {
		printZkStat(sh.out, st)
	}
	return nil
}

func (sh *zkShell) delete(o zkOpts, args []string) error {
	path, err := pathArg(args, 1, false)
	if err != nil {
		return err
	}
	version, err := o.version()
	if err != nil {
		return err
	}
	if err := sh.conn.Delete(path, version); err != nil {
		return zkFailed(err, path)
	}
	return nil
}

// deleteAll deletes path and everything below it as zkCli's deleteall
// does: list the subtree breadth first, then delete it deepest first in
// multi requests of up to 1000 deletes.
func (sh *zkShell) deleteAll(_ zkOpts, args []string) error {
	if err := needArgs(args, 1); err != nil {
		return err
	}
	root := args[0]
	if err := checkZkPath(root, false); err != nil {
		return err
	}
	tree := []string{root}
	for i := 0; i < len(tree); i++ {
		kids, _, err := sh.conn.Children(tree[i])
		if err != nil {
			return zkFailed(err, tree[i])
		}
		for _, k := range kids {
			tree = append(tree, zkJoin(tree[i], k))
		}
	}
	const batch = 1000
	failed := false
	ops := make([]any, 0, batch)
	for i := len(tree) - 1; i >= 0; i-- {
		ops = append(ops, &zk.DeleteRequest{Path: tree[i], Version: -1})
		if len(ops) == batch || i == 0 {
			if _, err := sh.conn.Multi(ops...); err != nil {
				failed = true
			}
			ops = ops[:0]
		}
	}
	if failed {
		fmt.Fprintln(sh.errw, "Failed to delete some node(s) in the subtree!")
	}
	return nil
}

// printZkStat prints a Stat as zkCli's StatPrinter does (Java's
// Date.toString for times, Long.toHexString for zxids and the owner).
func printZkStat(w io.Writer, st *zk.Stat) {
	javaTime := func(ms int64) string {
		return time.UnixMilli(ms).Format("Mon Jan 02 15:04:05 MST 2006")
	}
	fmt.Fprintf(w, "cZxid = 0x%x\nctime = %s\nmZxid = 0x%x\nmtime = %s\npZxid = 0x%x\n",
		uint64(st.Czxid), javaTime(st.Ctime), uint64(st.Mzxid), javaTime(st.Mtime), uint64(st.Pzxid))
	fmt.Fprintf(w, "cversion = %d\ndataVersion = %d\naclVersion = %d\nephemeralOwner = 0x%x\ndataLength = %d\nnumChildren = %d\n",
		st.Cversion, st.Version, st.Aversion, uint64(st.EphemeralOwner), st.DataLength, st.NumChildren)
}

// zkFailed turns a client error into zkCli's message for it.
func zkFailed(err error, path string) error {
	msgs := []struct {
		err error
		msg string
	}{
		{zk.ErrNoNode, "Node does not exist: "},
		{zk.ErrNoChildrenForEphemerals, "Ephemerals cannot have children: "},
		{zk.ErrNodeExists, "Node already exists: "},
		{zk.ErrNotEmpty, "Node not empty: "},
		{zk.ErrInvalidACL, "Acl is not valid : "},
		{zk.ErrNoAuth, "Authentication is not valid : "},
		{zk.ErrBadArguments, "Arguments are not valid : "},
		{zk.ErrBadVersion, "version No is not valid : "},
		// The rest as Java's KeeperException.getMessage() words them.
		{zk.ErrConnectionClosed, "KeeperErrorCode = ConnectionLoss for "},
		{zk.ErrSessionExpired, "KeeperErrorCode = Session expired for "},
		{zk.ErrAPIError, "KeeperErrorCode = APIError for "},
	}
	for _, m := range msgs {
		if errors.Is(err, m.err) {
			return &zkError{msg: m.msg + path, code: 1}
		}
	}
	return &zkError{msg: fmt.Sprintf("%s: %v", path, err), code: 1}
}

// checkZkPath validates a path with the rules and messages of ZooKeeper's
// PathUtils.validatePath; a sequential node's path may end in '/'.
func checkZkPath(path string, sequential bool) error {
	if sequential {
		path += "1"
	}
	bad := func(msg string) error { return &zkError{msg: msg, code: 1} }
	switch {
	case path == "":
		return bad("Path length must be > 0")
	case path[0] != '/':
		return bad("Path must start with / character")
	case path == "/":
		return nil
	case path[len(path)-1] == '/':
		return bad("Path must not end with / character")
	}
	segments := strings.Split(path[1:], "/")
	at := 1
	for _, s := range segments {
		reason := ""
		switch {
		case s == "":
			reason = "empty node name specified"
		case s == "." || s == "..":
			reason = "relative paths not allowed"
			at += len(s) - 1
		case strings.ContainsRune(s, 0):
			reason = "null character not allowed"
			at += strings.IndexRune(s, 0)
		default:
			if i := strings.IndexFunc(s, zkInvalidRune); i >= 0 {
				reason = "invalid character"
				at += len([]rune(s[:i]))
			}
		}
		if reason != "" {
			return bad(fmt.Sprintf("Invalid path string \"%s\" caused by %s @%d", path, reason, at))
		}
		at += len([]rune(s)) + 1
	}
	return nil
}

// zkInvalidRune reports the characters ZooKeeper refuses in node names.
func zkInvalidRune(r rune) bool {
	return r > 0 && r <= 0x1f || r >= 0x7f && r <= 0x9f || r >= 0xd800 && r <= 0xf8ff || r >= 0xfff0 && r <= 0xffff
}
