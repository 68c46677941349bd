package coordinator

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"strings"
	"time"
)

// Version is what srvr and stat report, in ZooKeeper's format so that
// tools parsing it keep working.
const Version = "3.8.0-sluice"

// fourLetter answers a four-letter command and closes the connection, as
// ZooKeeper does. Words not in 4lw.commands.whitelist are refused with
// ZooKeeper's message.
func (c *conn) fourLetter(word string) {
	_ = c.nc.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if !c.s.cfg.FourLetterWords[word] {
		fmt.Fprintf(c.nc, "%s is not executed because it is not in the whitelist.\n", word)
		return
	}
	c.s.writeFourLetter(c.nc, word)
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

func (s *Server) writeFourLetter(w io.Writer, word string) {
	s.mu.Lock()
	nconns := len(s.conns)
	s.mu.Unlock()
	switch word {
	case "ruok":
		io.WriteString(w, "imok")
	case "isro":
		io.WriteString(w, "rw")
	case "srvr", "stat":
		fmt.Fprintf(w, "Zookeeper version: %s, built on sluice\n", Version)
		if word == "stat" {
			fmt.Fprintf(w, "Clients:\n")
			s.mu.Lock()
			for c := range s.conns {
				fmt.Fprintf(w, " /%s[1](session=%#x)\n", c.nc.RemoteAddr(), c.sessionID())
			}
			s.mu.Unlock()
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "Latency min/avg/max: 0/0.0/0\nReceived: 0\nSent: 0\nConnections: %d\nOutstanding: 0\n", nconns)
		fmt.Fprintf(w, "Zxid: %#x\nMode: %s\nNode count: %d\n", s.tree.LastZxid(), s.Mode(), s.tree.Len())
	case "mntr":
		paths, watches := s.watches.count()
		rows := [][2]string{
			{"zk_version", Version},
			{"zk_server_state", s.Mode()},
			{"zk_znode_count", fmt.Sprint(s.tree.Len())},
			{"zk_watch_count", fmt.Sprint(watches)},
			{"zk_watched_paths", fmt.Sprint(paths)},
			{"zk_ephemerals_count", fmt.Sprint(s.ephemeralCount())},
			{"zk_num_alive_connections", fmt.Sprint(nconns)},
			{"zk_global_sessions", fmt.Sprint(len(s.tree.Sessions()))},
			{"zk_last_zxid", fmt.Sprintf("%#x", s.tree.LastZxid())},
			{"zk_uptime", fmt.Sprint(time.Since(s.started).Milliseconds())},
		}
		for _, r := range rows {
			fmt.Fprintf(w, "%s\t%s\n", r[0], r[1])
		}
	case "conf":
		c := s.cfg
		fmt.Fprintf(w, "clientPort=%s\ndataDir=%s\ndataLogDir=%s\ntickTime=%d\nmaxClientCnxns=%d\nminSessionTimeout=%d\nmaxSessionTimeout=%d\nserverId=%d\ninitLimit=%d\nsyncLimit=%d\n",
			s.Addr(), c.DataDir, c.DataLogDir, c.TickTime.Milliseconds(), c.MaxClientCnxns,
			c.MinSessionTimeout.Milliseconds(), c.MaxSessionTimeout.Milliseconds(), s.id, c.InitLimit, c.SyncLimit)
		for _, id := range c.MemberIDs() {
			m := c.Servers[id]
			role := "participant"
			if m.Observer {
				role = "observer"
			}
			fmt.Fprintf(w, "server.%d=%s:%d:%d:%s\n", id, m.Host, m.PeerPort, m.ElectionPort, role)
		}
	case "cons":
		s.mu.Lock()
		for c := range s.conns {
			fmt.Fprintf(w, " /%s[1](sid=%#x,to=%d)\n", c.nc.RemoteAddr(), c.sessionID(), c.timeout.Milliseconds())
		}
		s.mu.Unlock()
		fmt.Fprintln(w)
	case "envi":
		host, _ := os.Hostname()
		fmt.Fprintf(w, "Environment:\nzookeeper.version=%s\nhost.name=%s\ngo.version=%s\nos.name=%s\nos.arch=%s\n",
			Version, host, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	case "wchs":
		paths, watches := s.watches.count()
		fmt.Fprintf(w, "%d connections watching %d paths\nTotal watches:%d\n", nconns, paths, watches)
	case "dump":
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
}

func (s *Server) ephemeralCount() int {
	n := 0
	for id := range s.tree.Sessions() {
		n += len(s.tree.Ephemerals(id, "/"))
	}
	return n
}
