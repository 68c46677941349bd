package broker

import (
	"fmt"
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/sluicelogs/sluice/internal/config"
)

// Listener is one of the broker's listeners (listeners=NAME://host:port):
// its name, upper-case as Kafka normalises it, the address it binds and
// the address it is advertised at (advertised.listeners; AdvertisedHost
// "" when advertised.listeners leaves it out: it serves, but clients and
// brokers are not told of it). Its security protocol is the name's in
// listener.security.protocol.map.
type Listener struct {
	Name           string
	Addr           string // host:port to bind
	AdvertisedHost string
	AdvertisedPort int32
}

// Security protocols (Kafka's SecurityProtocol names).
const (
	protoPlaintext     = "PLAINTEXT"
	protoSSL           = "SSL"
	protoSASLPlaintext = "SASL_PLAINTEXT"
	protoSASLSSL       = "SASL_SSL"
)

// defaultProtocolMap is Kafka's listener.security.protocol.map default:
// each protocol's own name maps to it.
func defaultProtocolMap() map[string]string {
	return map[string]string{protoPlaintext: protoPlaintext, protoSSL: protoSSL, protoSASLPlaintext: protoSASLPlaintext, protoSASLSSL: protoSASLSSL}
}

// AllListeners returns the broker's listeners: the first one
// (Listener, AdvertisedHost and AdvertisedPort, named ListenerName) and
// then MoreListeners.
func (c *Config) AllListeners() []Listener {
	first := Listener{Name: c.firstListenerName(), Addr: c.Listener, AdvertisedHost: c.AdvertisedHost, AdvertisedPort: c.AdvertisedPort}
	return append([]Listener{first}, c.MoreListeners...)
}

func (c *Config) firstListenerName() string {
	if c.ListenerName == "" {
		return protoPlaintext
	}
	return c.ListenerName
}

// Protocol returns the security protocol of listener name: its entry in
// listener.security.protocol.map, "" when it has none.
func (c *Config) Protocol(name string) string {
	m := c.ProtocolMap
	if m == nil {
		m = defaultProtocolMap()
	}
	return m[strings.ToUpper(name)]
}

// interBrokerListener is the listener other brokers are reached on:
// inter.broker.listener.name, PLAINTEXT when not set.
func (c *Config) interBrokerListener() string {
	if c.InterBrokerListener == "" {
		return protoPlaintext
	}
	return c.InterBrokerListener
}

// readListeners reads listeners, advertised.listeners,
// listener.security.protocol.map, inter.broker.listener.name and
// security.inter.broker.protocol.
func (c *Config) readListeners(p *config.Properties, add func(key, format string, args ...any)) {
	if v, ok := p.Lookup("listener.security.protocol.map"); ok {
		m, err := parseProtocolMap(v)
		if err != nil {
			add("listener.security.protocol.map", "%v", err)
		} else {
			c.ProtocolMap = m
		}
	}
	if v, ok := p.Lookup("listeners"); ok {
		ls, err := parseListeners(v)
		if err != nil {
			add("listeners", "%v", err)
		} else {
			for i, l := range ls {
				host, port, _ := net.SplitHostPort(l.Addr)
				n, _ := strconv.Atoi(port)
				if i == 0 {
					c.ListenerName = l.Name
					if l.Name == protoPlaintext {
						c.ListenerName = "" // the default
					}
					c.SetListener(host, n)
					continue
				}
				l.AdvertisedHost, l.AdvertisedPort = advertisedHost(host), int32(n)
				c.MoreListeners = append(c.MoreListeners, l)
			}
		}
	}
	if v, ok := p.Lookup("advertised.listeners"); ok {
		ads, err := parseListeners(v)
		if err != nil {
			add("advertised.listeners", "%v", err)
		} else {
			c.setAdvertised(ads, add)
		}
	}
	ibName, ibOK := p.Lookup("inter.broker.listener.name")
	ibProto, protoOK := p.Lookup("security.inter.broker.protocol")
	switch {
	case ibOK && protoOK:
		add("inter.broker.listener.name", "set with security.inter.broker.protocol: give only one")
	case ibOK:
		c.InterBrokerListener = strings.ToUpper(strings.TrimSpace(ibName))
	case protoOK:
		// Kafka: the listener named as the protocol.
		c.InterBrokerListener = strings.ToUpper(strings.TrimSpace(ibProto))
	}
}

// setAdvertised sets the advertised address of each listener named in
// ads (host "" or 0.0.0.0 advertised as 127.0.0.1, port 0 as the bound
// one); as Kafka, listeners ads does not name are not advertised.
func (c *Config) setAdvertised(ads []Listener, add func(key, format string, args ...any)) {
	byName := map[string]Listener{}
	for _, a := range ads {
		byName[a.Name] = a
	}
	for _, a := range ads {
		if !slices.ContainsFunc(c.AllListeners(), func(l Listener) bool { return l.Name == a.Name }) {
			add("advertised.listeners", "%s is not a listener in listeners", a.Name)
		}
	}
	set := func(name string, host *string, port *int32) {
		a, ok := byName[name]
		if !ok {
			*host, *port = "", 0
			return
		}
		h, ps, _ := net.SplitHostPort(a.Addr)
		n, _ := strconv.Atoi(ps)
		*host, *port = advertisedHost(h), int32(n)
	}
	set(c.firstListenerName(), &c.AdvertisedHost, &c.AdvertisedPort)
	for i := range c.MoreListeners {
		l := &c.MoreListeners[i]
		set(l.Name, &l.AdvertisedHost, &l.AdvertisedPort)
	}
}

// validateListeners checks the listeners' names, protocols and addresses
// and the inter-broker listener.
func (c *Config) validateListeners(addf func(key, format string, args ...any)) {
	names, binds := map[string]bool{}, map[string]bool{}
	advertised := 0
	for i, l := range c.AllListeners() {
		if names[l.Name] {
			addf("listeners", "listener name %s given twice", l.Name)
		}
		names[l.Name] = true
		host, port, err := net.SplitHostPort(l.Addr)
		if err != nil {
			addf("listeners", "%q is not host:port", l.Addr)
		} else if port != "0" && binds[host+":"+port] {
			addf("listeners", "%s: port %s is bound by another listener", l.Name, port)
		}
		binds[host+":"+port] = true
		switch proto := c.Protocol(l.Name); proto {
		case protoPlaintext, protoSSL, protoSASLPlaintext, protoSASLSSL:
		case "":
			addf("listener.security.protocol.map", "gives no security protocol for listener %s", l.Name)
		default:
			addf("listener.security.protocol.map", "%s: unknown security protocol %q (PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL)", l.Name, proto)
		}
		if l.AdvertisedHost == "" && i > 0 {
			continue
		}
		advertised++
		if l.AdvertisedHost == "" || l.AdvertisedPort < 0 || l.AdvertisedPort > 65535 {
			addf("advertised.listeners", "%s:%d is not host:port", l.AdvertisedHost, l.AdvertisedPort)
		}
	}
	// As Kafka: other brokers must be told where to reach this one. (The
	// first listener with no advertised host is reported above.)
	ib := c.interBrokerListener()
	i := slices.IndexFunc(c.AllListeners(), func(l Listener) bool { return l.Name == ib })
	if i < 0 || (i > 0 && c.MoreListeners[i-1].AdvertisedHost == "") {
		addf("inter.broker.listener.name", "%s is not an advertised listener (listeners, advertised.listeners)", ib)
	}
}

// renderListeners is the listeners, advertised.listeners,
// listener.security.protocol.map and inter.broker.listener.name lines of
// c, the last three only when they say more than the default.
func (c *Config) renderListeners(line func(key string, v any)) {
	var ls, ads []string
	implied := true
	for _, l := range c.AllListeners() {
		ls = append(ls, l.Name+"://"+l.Addr)
		if l.AdvertisedHost == "" {
			implied = false
			continue
		}
		ad := l.Name + "://" + net.JoinHostPort(l.AdvertisedHost, strconv.Itoa(int(l.AdvertisedPort)))
		ads = append(ads, ad)
		host, port, _ := net.SplitHostPort(l.Addr)
		if advertisedHost(host) != l.AdvertisedHost || port != strconv.Itoa(int(l.AdvertisedPort)) {
			implied = false
		}
	}
	line("listeners", strings.Join(ls, ","))
	if !implied {
		line("advertised.listeners", strings.Join(ads, ","))
	}
	if c.ProtocolMap != nil && !maps.Equal(c.ProtocolMap, defaultProtocolMap()) {
		var entries []string
		for _, k := range slices.Sorted(maps.Keys(c.ProtocolMap)) {
			entries = append(entries, k+":"+c.ProtocolMap[k])
		}
		line("listener.security.protocol.map", strings.Join(entries, ","))
	}
	if c.InterBrokerListener != "" && c.InterBrokerListener != protoPlaintext {
		line("inter.broker.listener.name", c.InterBrokerListener)
	}
}

// listenersValue is the listeners value (or, advertised, the
// advertised.listeners one) that c is configured with.
func (c *Config) listenersValue(advertised bool) string {
	var out []string
	for _, l := range c.AllListeners() {
		switch {
		case !advertised:
			out = append(out, l.Name+"://"+l.Addr)
		case l.AdvertisedHost != "":
			out = append(out, l.Name+"://"+net.JoinHostPort(l.AdvertisedHost, strconv.Itoa(int(l.AdvertisedPort))))
		}
	}
	return strings.Join(out, ",")
}

// advertisedHost is what a listener bound to host is advertised as when
// advertised.listeners does not say: an empty or 0.0.0.0 host as
// 127.0.0.1.
func advertisedHost(host string) string {
	if host == "" || host == "0.0.0.0" {
		return "127.0.0.1"
	}
	return host
}

// parseListeners reads a listeners or advertised.listeners value:
// comma-separated NAME://host:port entries (Addr holds host:port).
func parseListeners(v string) ([]Listener, error) {
	var out []Listener
	for _, e := range strings.Split(v, ",") {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		// Not url.Parse: a URL scheme has no '_' (SASL_SSL).
		name, hostPort, ok := strings.Cut(e, "://")
		if !ok || name == "" || strings.ContainsAny(name, ":/ ") || hostPort == "" || strings.Contains(hostPort, "/") {
			return nil, fmt.Errorf("%q is not NAME://host:port", e)
		}
		host, ps, err := net.SplitHostPort(hostPort)
		if err != nil {
			return nil, fmt.Errorf("%q: %v", e, err)
		}
		port, err := strconv.Atoi(ps)
		if err != nil || port < 0 || port > 65535 {
			return nil, fmt.Errorf("%q: bad port", e)
		}
		out = append(out, Listener{Name: strings.ToUpper(name), Addr: net.JoinHostPort(host, strconv.Itoa(port))})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%q names no listener", v)
	}
	return out, nil
}

// parseProtocolMap reads listener.security.protocol.map: comma-separated
// NAME:PROTOCOL entries (checked by Validate).
func parseProtocolMap(v string) (map[string]string, error) {
	m := map[string]string{}
	for _, e := range strings.Split(v, ",") {
		if e = strings.TrimSpace(e); e == "" {
			continue
		}
		name, proto, ok := strings.Cut(e, ":")
		if !ok || strings.TrimSpace(name) == "" {
			return nil, fmt.Errorf("%q is not NAME:PROTOCOL", e)
		}
		m[strings.ToUpper(strings.TrimSpace(name))] = strings.ToUpper(strings.TrimSpace(proto))
	}
	return m, nil
}
