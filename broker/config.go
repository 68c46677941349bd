package broker

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sluicelogs/sluice/internal/config"
)

// Config is a broker's configuration, read from a server.properties with
// Kafka's keys.
type Config struct {
	File string

	BrokerID               int32
	Listener               string // host:port to bind (from listeners=PLAINTEXT://host:port)
	AdvertisedHost         string // what Metadata tells clients (advertised.listeners)
	AdvertisedPort         int32
	LogDirs                []string
	NumPartitions          int32
	DefaultReplication     int16
	MinInsyncReplicas      int
	RetentionMs            int64 // log.retention.hours/minutes/ms; -1 = forever
	RetentionBytes         int64 // -1 = no limit
	SegmentBytes           int64
	RetentionCheckInterval time.Duration
	IndexIntervalBytes     int
	ZooKeeperConnect       []string // host:port of each server
	ZooKeeperChroot        string   // "" or "/path"
	ZooKeeperTimeout       time.Duration
	AutoCreateTopics       bool
	MaxRequestBytes        int32 // socket.request.max.bytes
	MessageMaxBytes        int32 // message.max.bytes
	OffsetsPartitions      int32 // offsets.topic.num.partitions
	OffsetsReplication     int16 // offsets.topic.replication.factor (capped at the live brokers)

	ZooKeeperSessionTimeout time.Duration // zookeeper.session.timeout.ms
	ReplicaLagTimeMax       time.Duration // replica.lag.time.max.ms: a follower this far behind leaves the ISR
	ReplicaFetchWaitMax     time.Duration // replica.fetch.wait.max.ms: a follower's long poll
	ReplicaFetchMaxBytes    int32         // replica.fetch.max.bytes: per partition and fetch
	UncleanLeaderElection   bool          // unclean.leader.election.enable
	RequestTimeout          time.Duration // how long acks=all waits at most when the request gives no timeout
}

// LoadConfig reads a server.properties. Unknown keys come back as warnings;
// bad values are errors naming line and key.
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
	c := &Config{File: p.File}
	var errs config.Errors
	add := func(err error) {
		if ce, ok := err.(*config.Error); ok {
			errs = append(errs, ce)
		} else if err != nil {
			errs = append(errs, &config.Error{File: p.File, Err: err})
		}
	}
	intIn := func(key string, def, lo, hi int64) int64 {
		n, err := p.Int64(key, def)
		if err == nil && (n < lo || n > hi) {
			err = p.Errorf(key, "%d is outside [%d, %d]", n, lo, hi)
		}
		add(err)
		return n
	}
	c.BrokerID = int32(intIn("broker.id", 0, 0, 1<<31-1))

	listener := p.String("listeners", "PLAINTEXT://:9092")
	host, port, err := parseListener(listener)
	if err != nil {
		errs = append(errs, p.Errorf("listeners", "%v", err))
	}
	c.Listener = net.JoinHostPort(host, strconv.Itoa(port))
	c.AdvertisedHost, c.AdvertisedPort = host, int32(port)
	if adv, ok := p.Lookup("advertised.listeners"); ok {
		ah, ap, err := parseListener(adv)
		if err != nil {
			errs = append(errs, p.Errorf("advertised.listeners", "%v", err))
		}
		c.AdvertisedHost, c.AdvertisedPort = ah, int32(ap)
	}
	if c.AdvertisedHost == "" || c.AdvertisedHost == "0.0.0.0" {
		c.AdvertisedHost = "127.0.0.1"
	}

	dirs := p.String("log.dirs", p.String("log.dir", "/tmp/kafka-logs"))
	for _, d := range strings.Split(dirs, ",") {
		if d = strings.TrimSpace(d); d != "" {
			c.LogDirs = append(c.LogDirs, d)
		}
	}
	if len(c.LogDirs) == 0 {
		errs = append(errs, p.Errorf("log.dirs", "names no directory"))
	}
	c.NumPartitions = int32(intIn("num.partitions", 1, 1, 1<<20))
	c.DefaultReplication = int16(intIn("default.replication.factor", 1, 1, 1<<15-1))
	c.MinInsyncReplicas = int(intIn("min.insync.replicas", 1, 1, 1<<15-1))

	// Kafka's precedence: ms over minutes over hours; -1 keeps forever.
	c.RetentionMs = intIn("log.retention.hours", 168, -1, 1<<40) * int64(time.Hour/time.Millisecond)
	if _, ok := p.Lookup("log.retention.hours"); ok && c.RetentionMs < 0 {
		c.RetentionMs = -1
	}
	if _, ok := p.Lookup("log.retention.minutes"); ok {
		if m := intIn("log.retention.minutes", 0, -1, 1<<40); m < 0 {
			c.RetentionMs = -1
		} else {
			c.RetentionMs = m * 60_000
		}
	}
	if _, ok := p.Lookup("log.retention.ms"); ok {
		c.RetentionMs = intIn("log.retention.ms", 0, -1, 1<<62)
	}
	c.RetentionBytes = intIn("log.retention.bytes", -1, -1, 1<<62)
	c.SegmentBytes = intIn("log.segment.bytes", 1<<30, 14, 1<<31-1)
	c.RetentionCheckInterval = time.Duration(intIn("log.retention.check.interval.ms", 300_000, 1, 1<<40)) * time.Millisecond
	c.IndexIntervalBytes = int(intIn("log.index.interval.bytes", 4096, 0, 1<<31-1))
	c.MaxRequestBytes = int32(intIn("socket.request.max.bytes", 100<<20, 1024, 1<<31-1))
	c.MessageMaxBytes = int32(intIn("message.max.bytes", 1048588, 0, 1<<31-1))
	c.OffsetsPartitions = int32(intIn("offsets.topic.num.partitions", 50, 1, 1<<16))

	zkc, ok := p.Lookup("zookeeper.connect")
	if !ok || strings.TrimSpace(zkc) == "" {
		errs = append(errs, &config.Error{File: p.File, Key: "zookeeper.connect", Err: fmt.Errorf("is required (host:port[,host:port…][/chroot])")})
	} else {
		servers, chroot, err := parseZooKeeperConnect(zkc)
		if err != nil {
			errs = append(errs, p.Errorf("zookeeper.connect", "%v", err))
		}
		c.ZooKeeperConnect, c.ZooKeeperChroot = servers, chroot
	}
	c.ZooKeeperTimeout = time.Duration(intIn("zookeeper.connection.timeout.ms", 18000, 1, 1<<31-1)) * time.Millisecond
	// Without zookeeper.session.timeout.ms the session lasts as long as a
	// connection may take (both 18 s by default in Kafka).
	c.ZooKeeperSessionTimeout = c.ZooKeeperTimeout
	if _, ok := p.Lookup("zookeeper.session.timeout.ms"); ok {
		c.ZooKeeperSessionTimeout = time.Duration(intIn("zookeeper.session.timeout.ms", 18000, 1, 1<<31-1)) * time.Millisecond
	}
	c.ReplicaLagTimeMax = time.Duration(intIn("replica.lag.time.max.ms", 30000, 1, 1<<31-1)) * time.Millisecond
	c.ReplicaFetchWaitMax = time.Duration(intIn("replica.fetch.wait.max.ms", 500, 1, 1<<31-1)) * time.Millisecond
	c.ReplicaFetchMaxBytes = int32(intIn("replica.fetch.max.bytes", 1<<20, 1, 1<<31-1))
	c.OffsetsReplication = int16(intIn("offsets.topic.replication.factor", 3, 1, 1<<15-1))
	c.RequestTimeout = time.Duration(intIn("request.timeout.ms", 30000, 1, 1<<31-1)) * time.Millisecond
	unclean, err := p.Bool("unclean.leader.election.enable", false)
	add(err)
	c.UncleanLeaderElection = unclean
	auto, err := p.Bool("auto.create.topics.enable", true)
	add(err)
	c.AutoCreateTopics = auto
	// Keys Kafka's sample server.properties carries that change nothing here.
	for _, k := range []string{"num.network.threads", "num.io.threads", "socket.send.buffer.bytes", "socket.receive.buffer.bytes",
		"num.recovery.threads.per.data.dir", "transaction.state.log.replication.factor",
		"transaction.state.log.min.isr", "group.initial.rebalance.delay.ms", "listener.security.protocol.map", "inter.broker.listener.name",
		"log.flush.interval.messages", "log.flush.interval.ms", "delete.topic.enable", "log.cleaner.enable"} {
		p.Lookup(k)
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return c, nil
}

// parseListener takes the first PLAINTEXT://host:port of a listeners value.
func parseListener(v string) (string, int, error) {
	first := strings.TrimSpace(strings.Split(v, ",")[0])
	u, err := url.Parse(first)
	if err != nil || u.Host == "" {
		return "", 0, fmt.Errorf("%q is not NAME://host:port", first)
	}
	if !strings.EqualFold(u.Scheme, "PLAINTEXT") {
		return "", 0, fmt.Errorf("listener %q: only PLAINTEXT is supported", first)
	}
	host, ps, err := net.SplitHostPort(u.Host)
	if err != nil {
		return "", 0, fmt.Errorf("%q: %v", first, err)
	}
	port, err := strconv.Atoi(ps)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("%q: bad port", first)
	}
	return host, port, nil
}

// parseZooKeeperConnect splits "h1:2181,h2:2181/chroot".
func parseZooKeeperConnect(v string) ([]string, string, error) {
	hosts, chroot := v, ""
	if i := strings.IndexByte(v, '/'); i >= 0 {
		hosts, chroot = v[:i], strings.TrimRight(v[i:], "/")
	}
	var out []string
	for _, h := range strings.Split(hosts, ",") {
		h = strings.TrimSpace(h)
		if h == "" {
			continue
		}
		if _, _, err := net.SplitHostPort(h); err != nil {
			h = net.JoinHostPort(h, "2181")
		}
		out = append(out, h)
	}
	if len(out) == 0 {
		return nil, "", fmt.Errorf("%q names no server", v)
	}
	return out, chroot, nil
}
