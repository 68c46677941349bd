package coordinator

import (
	"fmt"
	"maps"
	"math"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sluicelogs/sluice/internal/config"
)

// Config is a coordinator member's configuration: read from a zoo.cfg with
// ZooKeeper's keys and, for an ensemble member, dataDir/myid by
// LoadConfig, or built in code from Defaults; either way checked by
// Validate.
type Config struct {
	File string // the zoo.cfg it came from, for messages

	TickTime          time.Duration // tickTime (ms): the unit of session timeouts and Raft ticks
	InitLimit         int           // initLimit: ticks a follower may take to catch up at start
	SyncLimit         int           // syncLimit: ticks a follower may lag before it is dropped
	DataDir           string        // dataDir: snapshots (and the log unless DataLogDir is set)
	DataLogDir        string        // dataLogDir: the Raft log, when set
	ClientAddr        string        // clientPortAddress:clientPort; port 0 listens on a free port; "" only with SecureClientAddr (no plaintext port)
	MaxClientCnxns    int           // maxClientCnxns per client IP, 0 = no limit
	MaxCnxns          int           // maxCnxns: client connections in all, 0 = no limit (ZooKeeper's default)
	SnapRetainCount   int           // autopurge.snapRetainCount (minimum 3)
	SnapCount         int           // snapCount: log entries between snapshots
	PurgeInterval     time.Duration // autopurge.purgeInterval (hours), 0 = no purge
	FourLetterWords   map[string]bool
	MinSessionTimeout time.Duration // minSessionTimeout, default 2 × tickTime
	MaxSessionTimeout time.Duration // maxSessionTimeout, default 20 × tickTime

	// The client port's request memory (ZooKeeper 3.6+'s keys): the
	// requests longer than LargeRequestThreshold bytes being read or
	// handled may come to LargeRequestMaxBytes in all; a request that
	// would exceed it closes its connection (see the package doc).
	LargeRequestMaxBytes  int // largeRequestMaxBytes, default 100 MiB
	LargeRequestThreshold int // largeRequestThreshold: -1 = no request counts (ZooKeeper's default); ours is 64 KiB

	// The client port's connection throttle (ZooKeeper 3.6+'s
	// connection_throttle_* keys; throttle.go): a token bucket on connect
	// requests, with BLUE's random drops when ConnThrottleFreezeTime is
	// not negative. 0 tokens, the default, turns it off.
	ConnThrottleTokens        int           // connection_throttle_tokens
	ConnThrottleFillTime      time.Duration // connection_throttle_fill_time (ms), default 1
	ConnThrottleFillCount     int           // connection_throttle_fill_count, default 1
	ConnThrottleFreezeTime    time.Duration // connection_throttle_freeze_time (ms), default -1: no random drops
	ConnThrottleDropIncrease  float64       // connection_throttle_drop_increase, default 0.02
	ConnThrottleDropDecrease  float64       // connection_throttle_drop_decrease, default 0.002
	ConnThrottleDecreaseRatio float64       // connection_throttle_decrease_ratio, default 0

	MetricsAddr string // metricsProvider.httpHost:httpPort, "" when off
	PeerType    string // peerType: participant, or observer (then server.MyID says :observer)

	// Quorum TLS (ZooKeeper's keys): mutual TLS on the peer port when
	// SSLQuorum is set. Only PEM stores are read (see quorumtls.go).
	SSLQuorum                  bool   // sslQuorum
	QuorumKeyStore             string // ssl.quorum.keyStore.location: PEM, this member's certificate and key
	QuorumKeyStorePassword     string // ssl.quorum.keyStore.password: only "" (unencrypted keys)
	QuorumKeyStoreType         string // ssl.quorum.keyStore.type: PEM, or "" to go by the file's extension
	QuorumTrustStore           string // ssl.quorum.trustStore.location: PEM, the CA certificates peers must chain to
	QuorumTrustStorePassword   string // ssl.quorum.trustStore.password: ignored for PEM, as ZooKeeper does
	QuorumTrustStoreType       string // ssl.quorum.trustStore.type: PEM, or ""
	QuorumHostnameVerification bool   // ssl.quorum.hostnameVerification: a peer's certificate names its server.N host

	// The secure client port (clienttls.go): TLS clients on
	// secureClientPortAddress:secureClientPort, "" when off, with
	// ZooKeeper's ssl.* keys; SuperDigest is ZooKeeper's
	// DigestAuthenticationProvider.superDigest (super:<hash>): a client
	// that authenticates as super with its password passes every ACL, as
	// does a TLS client whose certificate subject is X509SuperUser.
	SecureClientAddr string
	ClientTLS        ClientTLS
	SuperDigest      string
	X509SuperUser    string // X509AuthenticationProvider.superUser: the certificate subject that passes every ACL

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
var allFourLetterWords = []string{"ruok", "srvr", "stat", "mntr", "conf", "cons", "crst", "srst", "dirs", "envi", "isro", "wchs", "wchc", "wchp", "dump"}

// Defaults returns a Config with ZooKeeper's default for every key;
// dataDir, which has none, is left empty (Validate requires it).
func Defaults() Config {
	c := Config{
		TickTime:          2 * time.Second,
		InitLimit:         10,
		SyncLimit:         5,
		ClientAddr:        "0.0.0.0:2181",
		MaxClientCnxns:    60,
		SnapRetainCount:   3,
		SnapCount:         100000,
		FourLetterWords:   map[string]bool{},
		MinSessionTimeout: 4 * time.Second,
		MaxSessionTimeout: 40 * time.Second,
		PeerType:          "participant",

		LargeRequestMaxBytes: 100 << 20,
		// ZooKeeper's default, -1, turns the budget off. Ours charges
		// the requests larger than a connection's write buffer; see the
		// package doc.
		LargeRequestThreshold: 64 << 10,

		ConnThrottleFillTime:     time.Millisecond,
		ConnThrottleFillCount:    1,
		ConnThrottleFreezeTime:   -time.Millisecond,
		ConnThrottleDropIncrease: 0.02,
		ConnThrottleDropDecrease: 0.002,

		QuorumHostnameVerification: true,
		ClientTLS:                  ClientTLS{HostnameVerification: true},
	}
	for _, w := range defaultFourLetterWords {
		c.FourLetterWords[w] = true
	}
	return c
}

// AllFourLetterWords returns every four-letter word this coordinator
// answers, as 4lw.commands.whitelist=* enables them.
func AllFourLetterWords() map[string]bool {
	words := map[string]bool{}
	for _, w := range allFourLetterWords {
		words[w] = true
	}
	return words
}

// LoadConfig reads a zoo.cfg over the defaults and, for an ensemble,
// dataDir/myid, and validates them. Unknown keys are returned as
// warnings; bad values are errors naming line and key.
func LoadConfig(path string) (*Config, []*config.Error, error) {
	return config.LoadPropertiesConfig[Config](path, Defaults)
}

// ReadProperties sets the fields of the keys p holds (see
// config.PropertiesConfig) and, when p names an ensemble, reads MyID from
// dataDir/myid; ranges and the checks across keys are Validate's.
func (c *Config) ReadProperties(p *config.Properties) error {
	c.File = p.File
	var errs config.Errors
	add := func(err error) {
		if err != nil {
			errs = append(errs, p.Locate(err)...)
		}
	}
	readInt := func(key string, dst *int) {
		n, err := p.Int(key, *dst)
		add(err)
		*dst = n
	}
	tick := int(c.TickTime.Milliseconds())
	readInt("tickTime", &tick)
	c.TickTime = time.Duration(tick) * time.Millisecond
	readInt("initLimit", &c.InitLimit)
	readInt("syncLimit", &c.SyncLimit)
	c.DataDir = p.String("dataDir", c.DataDir)
	c.DataLogDir = p.String("dataLogDir", c.DataLogDir)
	host, port, _ := net.SplitHostPort(c.ClientAddr)
	clientPort, _ := strconv.Atoi(port)
	readInt("clientPort", &clientPort)
	c.ClientAddr = net.JoinHostPort(p.String("clientPortAddress", host), strconv.Itoa(clientPort))
	readInt("maxClientCnxns", &c.MaxClientCnxns)
	readInt("maxCnxns", &c.MaxCnxns)
	readInt("autopurge.snapRetainCount", &c.SnapRetainCount)
	c.SnapRetainCount = max(c.SnapRetainCount, 3) // ZooKeeper raises values below 3 to 3
	readInt("snapCount", &c.SnapCount)
	purge := int(c.PurgeInterval / time.Hour)
	readInt("autopurge.purgeInterval", &purge)
	c.PurgeInterval = time.Duration(purge) * time.Hour
	// The session bounds follow tickTime unless given.
	minT, maxT := 2*tick, 20*tick
	readInt("minSessionTimeout", &minT)
	readInt("maxSessionTimeout", &maxT)
	c.MinSessionTimeout = time.Duration(minT) * time.Millisecond
	c.MaxSessionTimeout = time.Duration(maxT) * time.Millisecond
	readInt("largeRequestMaxBytes", &c.LargeRequestMaxBytes)
	readInt("largeRequestThreshold", &c.LargeRequestThreshold)
	// ZooKeeper reads these as the system properties
	// zookeeper.connection_throttle_*, which a zoo.cfg key it does not
	// know becomes: connection_throttle_tokens=… in zoo.cfg sets one.
	readInt("connection_throttle_tokens", &c.ConnThrottleTokens)
	for _, k := range []struct {
		key string
		d   *time.Duration
	}{{"connection_throttle_fill_time", &c.ConnThrottleFillTime}, {"connection_throttle_freeze_time", &c.ConnThrottleFreezeTime}} {
		ms := int(k.d.Milliseconds())
		readInt(k.key, &ms)
		*k.d = time.Duration(ms) * time.Millisecond
	}
	readInt("connection_throttle_fill_count", &c.ConnThrottleFillCount)
	for _, k := range []struct {
		key string
		f   *float64
	}{{"connection_throttle_drop_increase", &c.ConnThrottleDropIncrease}, {"connection_throttle_drop_decrease", &c.ConnThrottleDropDecrease},
		{"connection_throttle_decrease_ratio", &c.ConnThrottleDecreaseRatio}} {
		if v, ok := p.Lookup(k.key); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				add(p.Errorf(k.key, "%q is not a number", v))
				continue
			}
			*k.f = f
		}
	}
	if wl, ok := p.Lookup("4lw.commands.whitelist"); ok {
		c.FourLetterWords = map[string]bool{}
		for _, w := range strings.Split(wl, ",") {
			switch w = strings.TrimSpace(w); w {
			case "*":
				maps.Copy(c.FourLetterWords, AllFourLetterWords())
			case "":
			default:
				c.FourLetterWords[w] = true // Validate checks the length
			}
		}
	}
	c.PeerType = p.String("peerType", c.PeerType)
	ssl, err := p.Bool("sslQuorum", c.SSLQuorum)
	add(err)
	c.SSLQuorum = ssl
	c.QuorumKeyStore = p.String("ssl.quorum.keyStore.location", c.QuorumKeyStore)
	c.QuorumKeyStorePassword = p.String("ssl.quorum.keyStore.password", c.QuorumKeyStorePassword)
	c.QuorumKeyStoreType = p.String("ssl.quorum.keyStore.type", c.QuorumKeyStoreType)
	c.QuorumTrustStore = p.String("ssl.quorum.trustStore.location", c.QuorumTrustStore)
	c.QuorumTrustStorePassword = p.String("ssl.quorum.trustStore.password", c.QuorumTrustStorePassword)
	c.QuorumTrustStoreType = p.String("ssl.quorum.trustStore.type", c.QuorumTrustStoreType)
	verify, err := p.Bool("ssl.quorum.hostnameVerification", c.QuorumHostnameVerification)
	add(err)
	c.QuorumHostnameVerification = verify
	c.readClientTLS(p, add)
	// ZooKeeper's Prometheus metrics provider keys: /metrics on that port.
	if port, ok := p.Lookup("metricsProvider.httpPort"); ok {
		c.MetricsAddr = net.JoinHostPort(p.String("metricsProvider.httpHost", "0.0.0.0"), port)
	}
	// Keys ZooKeeper accepts that change nothing here.
	for _, k := range []string{"admin.enableServer", "admin.serverPort", "standaloneEnabled", "reconfigEnabled", "quorumListenOnAllIPs", "electionAlg", "preAllocSize", "forceSync", "globalOutstandingLimit", "metricsProvider.className"} {
		p.Lookup(k)
	}
	if keys := p.Prefixed("server."); len(keys) > 0 {
		c.Servers = map[uint64]Member{}
		for _, key := range keys {
			m, err := parseMember(p, key)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			c.Servers[m.ID] = m
		}
	}
	if len(errs) == 0 && !c.Standalone() && c.DataDir != "" { // else Validate does not run
		add(c.readMyID())
	}
	return errs.Err()
}

// Validate checks c, read from a file or built in code: the ranges of
// the numbers and ports, dataDir given, the session bounds in order, the
// four-letter words, and for an ensemble member that its id and role
// agree with the server list. Errors name the zoo.cfg key.
func (c *Config) Validate() error {
	var errs config.Errors
	for _, k := range []struct {
		key string
		n   int
	}{{"tickTime", int(c.TickTime.Milliseconds())}, {"initLimit", c.InitLimit}, {"syncLimit", c.SyncLimit}} {
		if k.n <= 0 {
			errs.Addf(k.key, "must be positive, got %d", k.n)
		}
	}
	if c.DataDir == "" {
		errs.Addf("dataDir", "is required")
	}
	if c.ClientAddr == "" {
		// No plaintext client port: validateClientTLS requires the secure one.
	} else if _, port, err := net.SplitHostPort(c.ClientAddr); err != nil {
		errs.Addf("clientPort", "%q is not host:port: %v", c.ClientAddr, err)
	} else if n, err := strconv.Atoi(port); err != nil || n < 0 {
		errs.Addf("clientPort", "must be positive, got %s (or 0 for a free port)", port)
	} else if n > 65535 {
		errs.Addf("clientPort", "must be at most 65535, got %d", n)
	}
	for _, k := range []struct {
		key string
		n   int
	}{{"maxClientCnxns", c.MaxClientCnxns}, {"maxCnxns", c.MaxCnxns}, {"autopurge.purgeInterval", int(c.PurgeInterval / time.Hour)}} {
		if k.n < 0 {
			errs.Addf(k.key, "must not be negative, got %d", k.n)
		}
	}
	if c.SnapRetainCount < 3 {
		errs.Addf("autopurge.snapRetainCount", "must be at least 3, got %d", c.SnapRetainCount)
	}
	if c.SnapCount < 2 {
		errs.Addf("snapCount", "must be at least 2, got %d", c.SnapCount)
	}
	if minT, maxT := c.MinSessionTimeout.Milliseconds(), c.MaxSessionTimeout.Milliseconds(); minT > maxT {
		errs.Addf("minSessionTimeout", "%d is above maxSessionTimeout %d", minT, maxT)
	}
	// ZooKeeper ignores these two with a warning; here they are errors.
	if c.LargeRequestMaxBytes <= 0 || c.LargeRequestMaxBytes > math.MaxInt32 {
		errs.Addf("largeRequestMaxBytes", "must be from 1 to %d, got %d", math.MaxInt32, c.LargeRequestMaxBytes)
	}
	if t := c.LargeRequestThreshold; t != -1 && (t <= 0 || t > math.MaxInt32) {
		errs.Addf("largeRequestThreshold", "must be -1 (no request is large) or from 1 to %d, got %d", math.MaxInt32, t)
	}
	errs = append(errs, c.validateConnThrottle()...)
	for _, w := range slices.Sorted(maps.Keys(c.FourLetterWords)) {
		if len(w) != 4 {
			errs.Addf("4lw.commands.whitelist", "%q is not a four-letter word", w)
		}
	}
	if c.PeerType != "participant" && c.PeerType != "observer" {
		errs.Addf("peerType", "%q is not participant or observer", c.PeerType)
	}
	if c.MetricsAddr != "" {
		_, port, err := net.SplitHostPort(c.MetricsAddr)
		if n, perr := strconv.Atoi(port); err != nil || perr != nil || n < 0 || n > 65535 {
			errs.Addf("metricsProvider.httpPort", "%q is not a port number", port)
		}
	}
	if c.SSLQuorum {
		errs = append(errs, c.validateQuorumTLS()...)
	}
	errs = append(errs, c.validateClientTLS()...)
	for _, id := range c.MemberIDs() {
		errs = append(errs, c.Servers[id].validate(id)...)
	}
	if c.Standalone() || len(errs) > 0 {
		return errs.Err()
	}
	if _, ok := c.Servers[c.MyID]; !ok {
		if c.File == "" {
			errs.Addf("myid", "id %d has no server.%d line", c.MyID, c.MyID)
		} else { // the id came from dataDir/myid
			errs = append(errs, &config.Error{File: filepath.Join(c.DataDir, "myid"), Line: 1, Err: fmt.Errorf("id %d has no server.%d line in %s", c.MyID, c.MyID, c.File)})
		}
	} else if c.PeerType == "observer" && !c.Servers[c.MyID].Observer {
		errs.Addf("peerType", "observer, but server.%d does not say :observer", c.MyID)
	}
	return errs.Err()
}

// validateConnThrottle checks the connection_throttle_* keys. ZooKeeper
// checks none of them (a fill time of 0 fails its first connect request);
// here a value that would break the throttle or make no sense is an
// error, whether the throttle is on or not.
func (c *Config) validateConnThrottle() config.Errors {
	var errs config.Errors
	if c.ConnThrottleTokens < 0 {
		errs.Addf("connection_throttle_tokens", "must not be negative (0 turns the throttle off), got %d", c.ConnThrottleTokens)
	}
	if ms := c.ConnThrottleFillTime.Milliseconds(); ms < 1 {
		errs.Addf("connection_throttle_fill_time", "must be at least 1 (ms), got %d", ms)
	}
	if c.ConnThrottleFillCount < 1 {
		errs.Addf("connection_throttle_fill_count", "must be at least 1, got %d", c.ConnThrottleFillCount)
	}
	if ms := c.ConnThrottleFreezeTime.Milliseconds(); ms < -1 {
		errs.Addf("connection_throttle_freeze_time", "must be -1 (no random drops) or at least 0 (ms), got %d", ms)
	}
	for _, k := range []struct {
		key string
		f   float64
	}{{"connection_throttle_drop_increase", c.ConnThrottleDropIncrease}, {"connection_throttle_drop_decrease", c.ConnThrottleDropDecrease},
		{"connection_throttle_decrease_ratio", c.ConnThrottleDecreaseRatio}} {
		if !(k.f >= 0 && k.f <= 1) {
			errs.Addf(k.key, "must be from 0 to 1, got %v", k.f)
		}
	}
	return errs
}

// validate checks the member listed as server.id.
func (m Member) validate(id uint64) config.Errors {
	var errs config.Errors
	key := fmt.Sprintf("server.%d", id)
	if id == 0 || id > 255 || m.ID != id {
		errs.Addf(key, "the member id must be a number from 1 to 255")
	}
	for _, p := range []struct {
		name string
		n    int
	}{{"peer", m.PeerPort}, {"election", m.ElectionPort}} {
		if p.n <= 0 || p.n > 65535 {
			errs.Addf(key, "%s port %q is not a port number", p.name, strconv.Itoa(p.n))
		}
	}
	if m.ClientAddr != "" {
		_, port, err := net.SplitHostPort(m.ClientAddr)
		if n, perr := strconv.Atoi(port); err != nil || perr != nil || n <= 0 || n > 65535 {
			errs.Addf(key, "client port %q is not a port number", port)
		}
	}
	return errs
}

// Render returns c as zoo.cfg text that LoadConfig reads back into an
// equal Config (with MyID in dataDir/myid, which it does not write):
// tickTime, dataDir and clientPort always, the other keys when they
// differ from Defaults (the session bounds: from 2 and 20 ticks), then
// the server.N lines. It is what sluice up writes for operators to read
// and what test launchers hand to a coordinator process.
func (c *Config) Render() []byte {
	var b strings.Builder
	def := Defaults()
	line := func(key string, v any) { fmt.Fprintf(&b, "%s=%v\n", key, v) }
	tick := c.TickTime.Milliseconds()
	line("tickTime", tick)
	line("dataDir", c.DataDir)
	if c.DataLogDir != "" {
		line("dataLogDir", c.DataLogDir)
	}
	if c.ClientAddr != "" { // else secure only: secureClientPort below
		host, port, _ := net.SplitHostPort(c.ClientAddr)
		line("clientPort", port)
		if defHost, _, _ := net.SplitHostPort(def.ClientAddr); host != defHost {
			line("clientPortAddress", host)
		}
	}
	for _, k := range []struct {
		key    string
		n, def int64
	}{
		{"initLimit", int64(c.InitLimit), int64(def.InitLimit)},
		{"syncLimit", int64(c.SyncLimit), int64(def.SyncLimit)},
		{"maxClientCnxns", int64(c.MaxClientCnxns), int64(def.MaxClientCnxns)},
		{"maxCnxns", int64(c.MaxCnxns), int64(def.MaxCnxns)},
		{"autopurge.snapRetainCount", int64(c.SnapRetainCount), int64(def.SnapRetainCount)},
		{"snapCount", int64(c.SnapCount), int64(def.SnapCount)},
		{"autopurge.purgeInterval", int64(c.PurgeInterval / time.Hour), int64(def.PurgeInterval / time.Hour)},
		{"minSessionTimeout", c.MinSessionTimeout.Milliseconds(), 2 * tick},
		{"maxSessionTimeout", c.MaxSessionTimeout.Milliseconds(), 20 * tick},
		{"largeRequestMaxBytes", int64(c.LargeRequestMaxBytes), int64(def.LargeRequestMaxBytes)},
		{"largeRequestThreshold", int64(c.LargeRequestThreshold), int64(def.LargeRequestThreshold)},
		{"connection_throttle_tokens", int64(c.ConnThrottleTokens), int64(def.ConnThrottleTokens)},
		{"connection_throttle_fill_time", c.ConnThrottleFillTime.Milliseconds(), def.ConnThrottleFillTime.Milliseconds()},
		{"connection_throttle_fill_count", int64(c.ConnThrottleFillCount), int64(def.ConnThrottleFillCount)},
		{"connection_throttle_freeze_time", c.ConnThrottleFreezeTime.Milliseconds(), def.ConnThrottleFreezeTime.Milliseconds()},
	} {
		if k.n != k.def {
			line(k.key, k.n)
		}
	}
	for _, k := range []struct {
		key    string
		f, def float64
	}{
		{"connection_throttle_drop_increase", c.ConnThrottleDropIncrease, def.ConnThrottleDropIncrease},
		{"connection_throttle_drop_decrease", c.ConnThrottleDropDecrease, def.ConnThrottleDropDecrease},
		{"connection_throttle_decrease_ratio", c.ConnThrottleDecreaseRatio, def.ConnThrottleDecreaseRatio},
	} {
		if k.f != k.def {
			line(k.key, strconv.FormatFloat(k.f, 'g', -1, 64))
		}
	}
	if !maps.Equal(c.FourLetterWords, def.FourLetterWords) {
		line("4lw.commands.whitelist", strings.Join(slices.Sorted(maps.Keys(c.FourLetterWords)), ","))
	}
	if c.PeerType != def.PeerType {
		line("peerType", c.PeerType)
	}
	if c.MetricsAddr != "" {
		host, port, _ := net.SplitHostPort(c.MetricsAddr)
		line("metricsProvider.httpHost", host)
		line("metricsProvider.httpPort", port)
	}
	if c.SSLQuorum {
		line("sslQuorum", true)
	}
	for _, k := range []struct{ key, v string }{
		{"ssl.quorum.keyStore.location", c.QuorumKeyStore},
		{"ssl.quorum.keyStore.password", c.QuorumKeyStorePassword},
		{"ssl.quorum.keyStore.type", c.QuorumKeyStoreType},
		{"ssl.quorum.trustStore.location", c.QuorumTrustStore},
		{"ssl.quorum.trustStore.password", c.QuorumTrustStorePassword},
		{"ssl.quorum.trustStore.type", c.QuorumTrustStoreType},
	} {
		if k.v != "" {
			line(k.key, k.v)
		}
	}
	if !c.QuorumHostnameVerification {
		line("ssl.quorum.hostnameVerification", false)
	}
	c.renderClientTLS(line)
	for _, id := range c.MemberIDs() {
		m := c.Servers[id]
		v := fmt.Sprintf("%s:%d:%d", m.Host, m.PeerPort, m.ElectionPort)
		if m.Observer {
			v += ":observer"
		}
		if m.ClientAddr != "" {
			v += ";" + m.ClientAddr
		}
		line(fmt.Sprintf("server.%d", id), v)
	}
	return []byte(b.String())
}

func parseMember(p *config.Properties, key string) (Member, *config.Error) {
	id, err := strconv.ParseUint(strings.TrimPrefix(key, "server."), 10, 64)
	if err != nil {
		return Member{}, p.Errorf(key, "the member id must be a number from 1 to 255")
	}
	v, _ := p.Lookup(key)
	m := Member{ID: id}
	addr, client, hasClient := strings.Cut(v, ";")
	parts := strings.Split(addr, ":")
	if len(parts) < 3 || len(parts) > 4 {
		return Member{}, p.Errorf(key, "%q is not host:peerPort:electionPort[:observer|:participant]", v)
	}
	m.Host = parts[0]
	if m.PeerPort, err = strconv.Atoi(parts[1]); err != nil {
		return Member{}, p.Errorf(key, "peer port %q is not a port number", parts[1])
	}
	if m.ElectionPort, err = strconv.Atoi(parts[2]); err != nil {
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
		m.ClientAddr = net.JoinHostPort(host, port) // Validate checks the port
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
	c.MyID = id // Validate checks it is a member's
	return nil
}
