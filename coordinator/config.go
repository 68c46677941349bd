package coordinator

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sluicelogs/sluice/internal/config"
)

// Config is a coordinator member's configuration, read from a zoo.cfg with
// ZooKeeper's keys and, for an ensemble member, dataDir/myid.
type Config struct {
	File string // the zoo.cfg it came from, for messages

	TickTime          time.Duration // tickTime (ms): the unit of session timeouts and Raft ticks
	InitLimit         int           // initLimit: ticks a follower may take to catch up at start
	SyncLimit         int           // syncLimit: ticks a follower may lag before it is dropped
	DataDir           string        // dataDir: snapshots (and the log unless DataLogDir is set)
	DataLogDir        string        // dataLogDir: the Raft log, when set
	ClientAddr        string        // clientPortAddress:clientPort
	MaxClientCnxns    int           // maxClientCnxns per client IP, 0 = no limit
	SnapRetainCount   int           // autopurge.snapRetainCount (minimum 3)
	SnapCount         int           // snapCount: log entries between snapshots
	PurgeInterval     time.Duration // autopurge.purgeInterval (hours), 0 = no purge
	FourLetterWords   map[string]bool
	MinSessionTimeout time.Duration // minSessionTimeout, default 2 × tickTime
	MaxSessionTimeout time.Duration // maxSessionTimeout, default 20 × tickTime

	MetricsAddr string // metricsProvider.httpHost:httpPort, "" when off

	MyID    uint64            // from dataDir/myid; 0 when standalone
	Servers map[uint64]Member // server.N lines; empty when standalone
}

// Member is one server.N line: host:peerPort:electionPort[:observer|:participant][;[clientHost:]clientPort].
type Member struct {
	ID           uint64
	Host         string
	PeerPort     int
	ElectionPort int // accepted for compatibility; Raft elects over the peer port
	Observer     bool
	ClientAddr   string // the member's client address when the line gives one
	Line         int
}

// PeerAddr is the member's host:peerPort.
func (m Member) PeerAddr() string { return net.JoinHostPort(m.Host, strconv.Itoa(m.PeerPort)) }

// Standalone reports whether the configuration names no ensemble.
func (c *Config) Standalone() bool { return len(c.Servers) == 0 }

// MemberIDs returns the ids of the ensemble's members in order.
func (c *Config) MemberIDs() []uint64 {
	ids := make([]uint64, 0, len(c.Servers))
	for id := range c.Servers {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}

// DefaultFourLetterWords are enabled when 4lw.commands.whitelist is not set
// (ZooKeeper 3.5+ enables only srvr by default; we add ruok, which health
// checks use, and mntr, which monitoring uses).
var defaultFourLetterWords = []string{"srvr", "ruok", "mntr"}

// allFourLetterWords are the words this coordinator answers.
var allFourLetterWords = []string{"ruok", "srvr", "stat", "mntr", "conf", "cons", "envi", "isro", "wchs", "dump"}

// LoadConfig reads a zoo.cfg and, for an ensemble, dataDir/myid. Unknown
// keys are returned as warnings; bad values are errors naming line and key.
func LoadConfig(path string) (*Config, []*config.Error, error) {
	p, err := config.LoadProperties(path)
	if err != nil {
		return nil, nil, err
	}
	c, err := configFromProperties(p)
	if err != nil {
		return nil, nil, err
	}
	return c, p.Unknown(), nil
}

func configFromProperties(p *config.Properties) (*Config, error) {
	c := &Config{File: p.File, FourLetterWords: map[string]bool{}}
	var errs config.Errors
	fail := func(err error) {
		if ce, ok := err.(*config.Error); ok {
			errs = append(errs, ce)
		} else if err != nil {
			errs = append(errs, &config.Error{File: p.File, Err: err})
		}
	}
	positive := func(key string, def int) int {
		n, err := p.Int(key, def)
		if err == nil && n <= 0 {
			err = p.Errorf(key, "must be positive, got %d", n)
		}
		fail(err)
		return n
	}

	tick := positive("tickTime", 2000)
	c.TickTime = time.Duration(tick) * time.Millisecond
	c.InitLimit = positive("initLimit", 10)
	c.SyncLimit = positive("syncLimit", 5)
	c.DataDir = p.String("dataDir", "")
	if c.DataDir == "" {
		errs = append(errs, &config.Error{File: p.File, Key: "dataDir", Err: fmt.Errorf("is required")})
	}
	c.DataLogDir = p.String("dataLogDir", "")
	port := positive("clientPort", 2181)
	c.ClientAddr = net.JoinHostPort(p.String("clientPortAddress", "0.0.0.0"), strconv.Itoa(port))
	n, err := p.Int("maxClientCnxns", 60)
	if err == nil && n < 0 {
		err = p.Errorf("maxClientCnxns", "must not be negative, got %d", n)
	}
	fail(err)
	c.MaxClientCnxns = n
	n, err = p.Int("autopurge.snapRetainCount", 3)
	fail(err)
	c.SnapRetainCount = max(n, 3) // ZooKeeper raises values below 3 to 3
	n, err = p.Int("snapCount", 100000)
	if err == nil && n < 2 {
		err = p.Errorf("snapCount", "must be at least 2, got %d", n)
	}
	fail(err)
	c.SnapCount = n
	n, err = p.Int("autopurge.purgeInterval", 0)
	if err == nil && n < 0 {
		err = p.Errorf("autopurge.purgeInterval", "must not be negative, got %d", n)
	}
	fail(err)
	c.PurgeInterval = time.Duration(n) * time.Hour
	minT, err := p.Int("minSessionTimeout", 2*tick)
	fail(err)
	maxT, err := p.Int("maxSessionTimeout", 20*tick)
	fail(err)
	if minT > maxT {
		errs = append(errs, p.Errorf("minSessionTimeout", "%d is above maxSessionTimeout %d", minT, maxT))
	}
	c.MinSessionTimeout = time.Duration(minT) * time.Millisecond
	c.MaxSessionTimeout = time.Duration(maxT) * time.Millisecond
	if wl, ok := p.Lookup("4lw.commands.whitelist"); ok {
		for _, w := range strings.Split(wl, ",") {
			w = strings.TrimSpace(w)
			switch {
			case w == "*":
				for _, a := range allFourLetterWords {
					c.FourLetterWords[a] = true
				}
			case len(w) == 4:
				c.FourLetterWords[w] = true
			case w != "":
				errs = append(errs, p.Errorf("4lw.commands.whitelist", "%q is not a four-letter word", w))
			}
		}
	} else {
		for _, w := range defaultFourLetterWords {
			c.FourLetterWords[w] = true
		}
	}
	peerType := p.String("peerType", "participant")
	if peerType != "participant" && peerType != "observer" {
		errs = append(errs, p.Errorf("peerType", "%q is not participant or observer", peerType))
	}
	// ZooKeeper's Prometheus metrics provider keys: /metrics on that port.
	if port, ok := p.Lookup("metricsProvider.httpPort"); ok {
		n, err := strconv.Atoi(port)
		if err != nil || n < 0 || n > 65535 {
			errs = append(errs, p.Errorf("metricsProvider.httpPort", "%q is not a port number", port))
		}
		c.MetricsAddr = net.JoinHostPort(p.String("metricsProvider.httpHost", "0.0.0.0"), port)
	}
	// Keys ZooKeeper accepts that change nothing here.
	for _, k := range []string{"admin.enableServer", "admin.serverPort", "standaloneEnabled", "reconfigEnabled", "quorumListenOnAllIPs", "electionAlg", "preAllocSize", "forceSync", "globalOutstandingLimit", "metricsProvider.className"} {
		p.Lookup(k)
	}

	c.Servers = map[uint64]Member{}
	for _, key := range p.Prefixed("server.") {
		m, err := parseMember(p, key)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		c.Servers[m.ID] = m
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	if !c.Standalone() {
		if err := c.readMyID(); err != nil {
			return nil, err
		}
		me := c.Servers[c.MyID]
		if peerType == "observer" && !me.Observer {
			return nil, p.Errorf("peerType", "observer, but server.%d does not say :observer", c.MyID)
		}
	}
	return c, nil
}

func parseMember(p *config.Properties, key string) (Member, *config.Error) {
	id, err := strconv.ParseUint(strings.TrimPrefix(key, "server."), 10, 64)
	if err != nil || id == 0 || id > 255 {
		return Member{}, p.Errorf(key, "the member id must be a number from 1 to 255")
	}
	v, _ := p.Lookup(key)
	m := Member{ID: id, Line: p.Line(key)}
	addr, client, hasClient := strings.Cut(v, ";")
	parts := strings.Split(addr, ":")
	if len(parts) < 3 || len(parts) > 4 {
		return Member{}, p.Errorf(key, "%q is not host:peerPort:electionPort[:observer|:participant]", v)
	}
	m.Host = parts[0]
	if m.PeerPort, err = strconv.Atoi(parts[1]); err != nil || m.PeerPort <= 0 || m.PeerPort > 65535 {
		return Member{}, p.Errorf(key, "peer port %q is not a port number", parts[1])
	}
	if m.ElectionPort, err = strconv.Atoi(parts[2]); err != nil || m.ElectionPort <= 0 || m.ElectionPort > 65535 {
		return Member{}, p.Errorf(key, "election port %q is not a port number", parts[2])
	}
	if len(parts) == 4 {
		switch parts[3] {
		case "observer":
			m.Observer = true
		case "participant":
		default:
			return Member{}, p.Errorf(key, "role %q is not observer or participant", parts[3])
		}
	}
	if hasClient {
		host, port, found := strings.Cut(client, ":")
		if !found {
			host, port = "0.0.0.0", client
		}
		if n, err := strconv.Atoi(port); err != nil || n <= 0 || n > 65535 {
			return Member{}, p.Errorf(key, "client port %q is not a port number", port)
		}
		m.ClientAddr = net.JoinHostPort(host, port)
	}
	return m, nil
}

func (c *Config) readMyID() error {
	path := filepath.Join(c.DataDir, "myid")
	b, err := os.ReadFile(path)
	if err != nil {
		return &config.Error{File: path, Err: fmt.Errorf("an ensemble member needs its id here: %w", err)}
	}
	id, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return &config.Error{File: path, Line: 1, Err: fmt.Errorf("%q is not a member id", strings.TrimSpace(string(b)))}
	}
	if _, ok := c.Servers[id]; !ok {
		return &config.Error{File: path, Line: 1, Err: fmt.Errorf("id %d has no server.%d line in %s", id, id, c.File)}
	}
	c.MyID = id
	return nil
}
