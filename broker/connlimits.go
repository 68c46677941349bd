package broker

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
)

// connCounts counts the open client connections, in all and by remote IP,
// for max.connections, max.connections.per.ip and its overrides.
type connCounts struct {
	mu        sync.Mutex
	max       int32
	maxPerIP  int32
	overrides map[string]int32 // by remoteIP's form of the address

	total int
	perIP map[string]int
}

// newConnCounts takes the limits of cfg. As Kafka, it resolves the host
// names of max.connections.per.ip.overrides once, here: an override
// applies to every address its name has when the broker starts (Kafka's
// takes the first only), and a name that does not resolve fails the
// start.
func newConnCounts(ctx context.Context, cfg *Config) (*connCounts, error) {
	overrides, err := resolveOverrides(ctx, cfg.MaxConnectionsPerIPOverrides, false)
	if err != nil {
		return nil, err
	}
	return &connCounts{max: cfg.MaxConnections, maxPerIP: cfg.MaxConnectionsPerIP, overrides: overrides}, nil
}

// resolveOverrides gives the limits of max.connections.per.ip.overrides
// by address. An IP address given as itself takes precedence over a name
// that resolves to it. A name that does not resolve is an error, or with
// skip left out (and the error returned with the rest).
func resolveOverrides(ctx context.Context, m map[string]int32, skip bool) (map[string]int32, error) {
	out, literal := map[string]int32{}, map[netip.Addr]int32{}
	var errs []error
	for host, n := range m {
		if a, err := netip.ParseAddr(host); err == nil {
			literal[a] = n
			continue
		}
		addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		if err != nil {
			if !skip {
				return nil, fmt.Errorf("broker: %s: %w", connOverridesKey, err)
			}
			errs = append(errs, err)
			continue
		}
		for _, a := range addrs {
			out[addrKey(a)] = n
		}
	}
	for a, n := range literal {
		out[addrKey(a)] = n
	}
	return out, errors.Join(errs...)
}

// setLimits changes the limits (dynamic broker configs altered): they
// apply to the next connection; the ones open stay.
func (c *connCounts) setLimits(max, maxPerIP int32, overrides map[string]int32) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.max, c.maxPerIP, c.overrides = max, maxPerIP, overrides
}

// addrKey is a as remoteIP writes a connection's address: an IPv4
// address in dotted form even when mapped into IPv6, no zone.
func addrKey(a netip.Addr) string { return a.Unmap().WithZone("").String() }

// admit counts a new connection from ip, or refuses it, naming the limit
// it would pass ("max_connections", "max_connections_per_ip").
func (c *connCounts) admit(ip string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	maxPerIP, ok := c.overrides[ip]
	if !ok {
		maxPerIP = c.maxPerIP
	}
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
