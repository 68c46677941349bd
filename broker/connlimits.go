package broker

import (
	"net"
	"sync"
)

// connCounts counts the open client connections, in all and by remote IP,
// for max.connections and max.connections.per.ip.
type connCounts struct {
	mu    sync.Mutex
	total int
	perIP map[string]int
}

// admit counts a new connection from ip, or refuses it, naming the limit
// it would pass ("max_connections", "max_connections_per_ip").
func (c *connCounts) admit(ip string, max, maxPerIP int32) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.total >= int(max):
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
