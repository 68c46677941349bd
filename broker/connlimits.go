package broker

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync"
)

// connCounts counts the open client connections, in all and by remote IP,
// for max.connections, max.connections.per.ip and its overrides.
type connCounts struct {
	max, maxPerIP int32
	overrides     map[string]int32 // by remoteIP's form of the address

	mu    sync.Mutex
	total int
	perIP map[string]int
}

// newConnCounts takes the limits of cfg. As Kafka, it resolves the host
// names of max.connections.per.ip.overrides once, here: an override
// applies to every address its name has when the broker starts (Kafka's
// takes the first only), and a name that does not resolve fails the
// start. An IP address given as itself takes precedence over a name that
// resolves to it.
func newConnCounts(ctx context.Context, cfg *Config) (*connCounts, error) {
	c := &connCounts{max: cfg.MaxConnections, maxPerIP: cfg.MaxConnectionsPerIP, overrides: map[string]int32{}}
	literal := map[netip.Addr]int32{}
	for host, n := range cfg.MaxConnectionsPerIPOverrides {
		if a, err := netip.ParseAddr(host); err == nil {
			literal[a] = n
			continue
		}
		addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		if err != nil {
			return nil, fmt.Errorf("broker: %s: %w", connOverridesKey, err)
		}
		for _, a := range addrs {
			c.overrides[addrKey(a)] = n
		}
	}
	for a, n := range literal {
		c.overrides[addrKey(a)] = n
	}
	return c, nil
}

// addrKey is a as remoteIP writes a connection's address: an IPv4
// address in dotted form even when mapped into IPv6, no zone.
func addrKey(a netip.Addr) string { return a.Unmap().WithZone("").String() }

// admit counts a new connection from ip, or refuses it, naming the limit
// it would pass ("max_connections", "max_connections_per_ip").
func (c *connCounts) admit(ip string) string {
	maxPerIP, ok := c.overrides[ip]
	if !ok {
		maxPerIP = c.maxPerIP
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.total >= int(c.max):
		return "max_connections"
	case c.perIP[ip] >= int(maxPerIP):
		return "max_connections_per_ip"
	}
	if c.perIP == nil {
		c.perIP = map[string]int{}
	}
	c.total++
	c.perIP[ip]++
	return ""
}

// done uncounts a connection admit took.
func (c *connCounts) done(ip string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.total--
	if c.perIP[ip]--; c.perIP[ip] <= 0 {
		delete(c.perIP, ip)
	}
}

func (c *connCounts) open() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.total
}

// remoteIP is a connection's remote address without its port.
func remoteIP(nc net.Conn) string {
	if a, ok := nc.RemoteAddr().(*net.TCPAddr); ok {
		return a.IP.String()
	}
	host, _, _ := net.SplitHostPort(nc.RemoteAddr().String())
	return host
}
