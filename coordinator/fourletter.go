package coordinator

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"go.etcd.io/raft/v3/tracker"
	"golang.org/x/sys/unix"
)

// Version is what srvr and stat report, in ZooKeeper's format so that
// tools parsing it keep working.
const Version = "3.8.0-sluice"

// versionLine is srvr's and mntr's version, as ZooKeeper's reads
// "<version>, built on <date>".
const versionLine = Version + ", built on sluice"

// fourLetter answers a four-letter command and closes the connection, as
// ZooKeeper does. Words not in 4lw.commands.whitelist are refused with
// ZooKeeper's message. The reply leaves in one write: clients such as
// kazoo's command() read once and take what came.
func (c *conn) fourLetter(word string) {
	_ = c.nc.SetWriteDeadline(time.Now().Add(10 * time.Second))
	var b bytes.Buffer
	if !c.s.cfg.FourLetterWords[word] {
		fmt.Fprintf(&b, "%s is not executed because it is not in the whitelist.\n", word)
	} else {
		c.s.writeFourLetter(&b, word)
	}
	_, _ = c.nc.Write(b.Bytes())
}

// Mode is the member's role as zkServer.sh status prints it.
func (s *Server) Mode() string {
	switch {
	case s.cfg.Standalone():
		return "standalone"
	case s.cfg.Servers[s.id].Observer:
		return "observer"
	case s.raft.isLeader.Load():
		return "leader"
	}
	return "follower"
}

// clientConns returns the client connections, sorted by remote address so
// that stat and cons list them in a stable order.
func (s *Server) clientConns() []*conn {
	s.mu.Lock()
	cs := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		cs = append(cs, c)
	}
	s.mu.Unlock()
	sort.Slice(cs, func(i, j int) bool { return cs[i].nc.RemoteAddr().String() < cs[j].nc.RemoteAddr().String() })
	return cs
}

func (s *Server) outstanding(cs []*conn) int64 {
	var n int64
	for _, c := range cs {
		n += int64(c.pending.Load())
	}
	return n
}

func (s *Server) writeFourLetter(w io.Writer, word string) {
	switch word {
	case "ruok":
		io.WriteString(w, "imok")
	case "isro":
		io.WriteString(w, "rw")
	case "srvr", "stat":
		s.writeSrvr(w, word == "stat")
	case "mntr":
		s.writeMntr(w)
	case "srst":
		s.stats.reset()
		io.WriteString(w, "Server stats reset.\n")
	case "crst":
		for _, c := range s.clientConns() {
			c.stats.reset()
		}
		io.WriteString(w, "Connection stats reset.\n")
	case "conf":
		s.writeConf(w)
	case "cons":
		for _, c := range s.clientConns() {
			fmt.Fprintln(w, c.consLine())
		}
		fmt.Fprintln(w)
	case "dirs":
		fmt.Fprintf(w, "datadir_size: %d\nlogdir_size: %d\n", dirSize(s.cfg.DataDir), dirSize(s.logDir()))
	case "envi":
		host, _ := os.Hostname()
		wd, _ := os.Getwd()
		var uname unix.Utsname
		_ = unix.Uname(&uname)
		name, home := "", ""
		if u, err := user.Current(); err == nil {
			name, home = u.Username, u.HomeDir
		}
		fmt.Fprintf(w, "Environment:\nzookeeper.version=%s\nhost.name=%s\ngo.version=%s\nos.name=%s\nos.arch=%s\nos.version=%s\nuser.name=%s\nuser.home=%s\nuser.dir=%s\n",
			versionLine, host, runtime.Version(), unix.ByteSliceToString(uname.Sysname[:]), runtime.GOARCH, unix.ByteSliceToString(uname.Release[:]), name, home, wd)
	case "wchs":
		paths, watches := s.watches.count()
		fmt.Fprintf(w, "%d connections watching %d paths\nTotal watches:%d\n", s.watchingConns(), paths, watches)
	case "wchc":
		s.writeWchc(w)
	case "wchp":
		s.writeWchp(w)
	case "dump":
		s.writeDump(w)
	}
}

func (s *Server) writeSrvr(w io.Writer, withClients bool) {
	cs := s.clientConns()
	fmt.Fprintf(w, "Zookeeper version: %s\n", versionLine)
	if withClients {
		fmt.Fprintf(w, "Clients:\n")
		for _, c := range cs {
			fmt.Fprintf(w, " /%s[1](queued=%d,recved=%d,sent=%d)\n", c.nc.RemoteAddr(), c.queued(), c.stats.recv.Load(), c.stats.sent.Load())
		}
		fmt.Fprintln(w)
	}
	lo, avg, hi := s.stats.minAvgMax()
	fmt.Fprintf(w, "Latency min/avg/max: %d/%s/%d\nReceived: %d\nSent: %d\nConnections: %d\nOutstanding: %d\n",
		lo, avg, hi, s.stats.recv.Load(), s.stats.sent.Load(), len(cs), s.outstanding(cs))
	fmt.Fprintf(w, "Zxid: %#x\nMode: %s\nNode count: %d\n", s.tree.LastZxid(), s.Mode(), s.tree.Len())
}

func (s *Server) writeConf(w io.Writer) {
	c := s.cfg
	port, securePort := "-1", "-1" // -1: that port is off, as ZooKeeper prints it
	if s.ln != nil {
		_, port, _ = net.SplitHostPort(s.Addr())
	}
	if s.tlsLn != nil {
		_, securePort, _ = net.SplitHostPort(s.SecureAddr())
	}
	fmt.Fprintf(w, "clientPort=%s\nsecureClientPort=%s\ndataDir=%s\ndataDirSize=%d\ndataLogDir=%s\ndataLogSize=%d\ntickTime=%d\nmaxClientCnxns=%d\nminSessionTimeout=%d\nmaxSessionTimeout=%d\nclientPortListenBacklog=-1\nserverId=%d\n",
		port, securePort, c.DataDir, dirSize(c.DataDir), s.logDir(), dirSize(s.logDir()), c.TickTime.Milliseconds(), c.MaxClientCnxns,
		c.MinSessionTimeout.Milliseconds(), c.MaxSessionTimeout.Milliseconds(), s.id)
	if c.Standalone() {
		return
	}
	fmt.Fprintf(w, "initLimit=%d\nsyncLimit=%d\nmembership: \n", c.InitLimit, c.SyncLimit)
	for _, id := range c.MemberIDs() {
		m := c.Servers[id]
		role := "participant"
		if m.Observer {
			role = "observer"
		}
		fmt.Fprintf(w, "server.%d=%s:%d:%d:%s\n", id, m.Host, m.PeerPort, m.ElectionPort, role)
	}
}

// logDir is where the member's log is: dataLogDir, else dataDir.
func (s *Server) logDir() string {
	if s.cfg.DataLogDir != "" {
		return s.cfg.DataLogDir
	}
	return s.cfg.DataDir
}

// dirSize is the bytes of the regular files under dir (0 if unreadable).
func dirSize(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

// watchingConns counts the connections with at least one watch.
func (s *Server) watchingConns() int {
	seen := map[watcher]struct{}{}
	for _, ws := range s.watches.byPath() {
		for _, w := range ws {
			seen[w] = struct{}{}
		}
	}
	return len(seen)
}

func sessionOf(w watcher) int64 {
	if c, ok := w.(*conn); ok {
		return c.sessionID()
	}
	return 0
}

// writeWchc lists the watched paths of each session.
func (s *Server) writeWchc(w io.Writer) {
	bySession := map[int64][]string{}
	for p, ws := range s.watches.byPath() {
		for _, wt := range ws {
			id := sessionOf(wt)
			if !containsString(bySession[id], p) {
				bySession[id] = append(bySession[id], p)
			}
		}
	}
	ids := make([]int64, 0, len(bySession))
	for id := range bySession {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		ps := bySession[id]
		sort.Strings(ps)
		fmt.Fprintf(w, "%#x\n\t%s\n\n", id, strings.Join(ps, "\n\t"))
	}
}

// writeWchp lists the sessions watching each path.
func (s *Server) writeWchp(w io.Writer) {
	byPath := s.watches.byPath()
	paths := make([]string, 0, len(byPath))
	for p := range byPath {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		var ids []string
		for _, wt := range byPath[p] {
			if id := fmt.Sprintf("%#x", sessionOf(wt)); !containsString(ids, id) {
				ids = append(ids, id)
			}
		}
		sort.Strings(ids)
		fmt.Fprintf(w, "%s\n\t%s\n", p, strings.Join(ids, "\n\t"))
	}
	fmt.Fprintln(w)
}

func containsString(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func (s *Server) writeDump(w io.Writer) {
	fmt.Fprintf(w, "SessionTracker dump:\nGlobal Sessions(%d):\n", len(s.tree.Sessions()))
	ids := make([]int64, 0)
	for id := range s.tree.Sessions() {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		fmt.Fprintf(w, "%#x\n", id)
		eph := s.tree.Ephemerals(id, "/")
		if len(eph) > 0 {
			fmt.Fprintf(w, "\t%s\n", strings.Join(eph, "\n\t"))
		}
	}
}

func (s *Server) ephemeralCount() int {
	n := 0
	for id := range s.tree.Sessions() {
		n += len(s.tree.Ephemerals(id, "/"))
	}
	return n
}

// openFDs counts this process's open file descriptors (-1 if unknown).
func openFDs() int {
	es, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(es)
}

// maxFDs is the process's file descriptor limit (-1 if unknown).
func maxFDs() int64 {
	var r unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &r); err != nil {
		return -1
	}
	return int64(r.Cur)
}

// leaderStats are the followers a leader sees, for mntr.
func (s *Server) leaderStats() (learners, syncedFollowers, syncedObservers int) {
	st := s.raft.node.Status()
	for id, pr := range st.Progress {
		if id == s.id {
			continue
		}
		learners++
		if pr.State == tracker.StateReplicate && pr.Match == st.Progress[s.id].Match {
			if pr.IsLearner {
				syncedObservers++
			} else {
				syncedFollowers++
			}
		}
	}
	return learners, syncedFollowers, syncedObservers
}
