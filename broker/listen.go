package broker

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/sluicelogs/sluice/internal/accept"
)

// listener is one bound listener: its configuration, security protocol
// and, for SSL, its TLS server configuration. A conn knows the listener
// it arrived on (SASL's and the authorizer's hooks read its protocol).
type listener struct {
	Listener
	protocol string
	ln       net.Listener
	tls      *tls.Config // nil but for SSL and SASL_SSL
}

// sslHandshakeTimeout bounds a TLS handshake: a client that connects and
// sends nothing (or a plaintext client that waits for an answer) holds
// its connection's goroutine no longer. Kafka has no key for it.
const sslHandshakeTimeout = 10 * time.Second

// listen binds every listener in cfg; a port 0 listener gets a free port,
// advertised as such when advertised.listeners left the port 0.
func listen(cfg *Config) ([]*listener, error) {
	var out []*listener
	closeAll := func() {
		for _, l := range out {
			l.ln.Close()
		}
	}
	for i, l := range cfg.AllListeners() {
		bl := &listener{Listener: l, protocol: cfg.Protocol(l.Name)}
		if tlsProtocol(bl.protocol) {
			s := cfg.sslFor(l.Name)
			t, err := s.serverTLS()
			if err != nil {
				closeAll()
				return nil, fmt.Errorf("broker: listener %s: %w", l.Name, err)
			}
			bl.tls = t
		}
		ln, err := net.Listen("tcp", l.Addr)
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("broker: listen %s (%s): %w", l.Addr, l.Name, err)
		}
		bl.ln = ln
		if bl.AdvertisedHost != "" && bl.AdvertisedPort == 0 {
			bl.AdvertisedPort = int32(ln.Addr().(*net.TCPAddr).Port)
			if i == 0 {
				cfg.AdvertisedPort = bl.AdvertisedPort
			}
		}
		out = append(out, bl)
	}
	return out, nil
}

// ListenerAddr is the address listener name (as in listeners=) is bound
// to, "" when the broker has no such listener.
func (b *Broker) ListenerAddr(name string) string {
	for _, l := range b.listeners {
		if l.Name == name {
			return l.ln.Addr().String()
		}
	}
	return ""
}

// registeredEndpoints are the advertised listeners as /brokers/ids/<id>
// lists them (NAME://host:port) with their protocols, and the host and
// port Kafka 2.x writes beside them: the PLAINTEXT endpoint's, or none
// (null, -1).
func (b *Broker) registeredEndpoints(info *brokerInfo) {
	info.Endpoints, info.ListenerMap = nil, map[string]string{}
	info.Host, info.Port = nil, -1
	for _, l := range b.listeners {
		if l.AdvertisedHost == "" {
			continue
		}
		info.Endpoints = append(info.Endpoints, l.Name+"://"+net.JoinHostPort(l.AdvertisedHost, strconv.Itoa(int(l.AdvertisedPort))))
		info.ListenerMap[l.Name] = l.protocol
		if l.protocol == protoPlaintext && info.Host == nil {
			host := l.AdvertisedHost
			info.Host, info.Port = &host, l.AdvertisedPort
		}
	}
}

// acceptLoop accepts l's connections until l is closed (Run's closer
// closes it when ctx ends), under the broker's connection limits and
// creation rates, which every listener shares.
func (b *Broker) acceptLoop(ctx context.Context, l *listener, conns *sync.Map) {
	for {
		// A failed accept (too many open files) is waited out inside
		// accept.Next: the clients already connected still need the
		// broker, and new ones get in once descriptors are free.
		nc, aerr := accept.Next(ctx, l.ln, b.log)
		if aerr != nil {
			return
		}
		if !b.throttleAccept(ctx, l.Name) {
			nc.Close()
			return
		}
		// As Kafka, a connection past max.connections.per.ip is closed
		// at once; so is one past max.connections, where Kafka's acceptor
		// would stop accepting until a connection ends (package doc).
		ip := remoteIP(nc)
		if limit := b.conns.admit(ip); limit != "" {
			b.metrics.refused.WithLabelValues(limit).Inc()
			b.log.Debug("connection refused", "remote", nc.RemoteAddr(), "listener", l.Name, "limit", limit)
			nc.Close()
			continue
		}
		conns.Store(nc, struct{}{})
		if ctx.Err() != nil { // accepted as Run was stopping: the closer may have missed it
			nc.Close()
		}
		b.connWG.Add(1)
		go func() {
			defer b.connWG.Done()
			c := &conn{b: b, nc: nc, listener: l, principal: anonymousPrincipal, sasl: newSASLState(l)}
			// The TLS handshake runs here, not in the accept loop: a
			// slow or silent client stalls only its own connection.
			if c.handshake(ctx) {
				c.serve(ctx)
			} else {
				nc.Close()
			}
			conns.Delete(nc)
			b.conns.done(ip)
		}()
	}
}

// handshake runs the TLS handshake of an SSL listener's connection, at
// most sslHandshakeTimeout, and takes the principal from a verified
// client certificate. A failed handshake is logged and the connection
// is to be closed; a PLAINTEXT listener's connection passes as it is.
func (c *conn) handshake(ctx context.Context) bool {
	if c.listener.tls == nil {
		return true
	}
	tc := tls.Server(c.nc, c.listener.tls)
	hctx, cancel := context.WithTimeout(ctx, sslHandshakeTimeout)
	defer cancel()
	_ = c.nc.SetDeadline(time.Now().Add(sslHandshakeTimeout))
	if err := tc.HandshakeContext(hctx); err != nil {
		if ctx.Err() == nil {
			c.b.metrics.tlsFailed.Inc()
			c.closing("tls_handshake", "closing connection: TLS handshake failed", "listener", c.listener.Name, "err", handshakeReason(err))
		}
		return false
	}
	_ = c.nc.SetDeadline(time.Time{})
	if st := tc.ConnectionState(); len(st.VerifiedChains) > 0 && len(st.PeerCertificates) > 0 {
		c.principal = certPrincipal(st.PeerCertificates[0])
	}
	c.nc = tc
	return true
}

// handshakeReason says why a handshake failed in an operator's words
// when Go's error alone is cryptic.
func handshakeReason(err error) string {
	var rh tls.RecordHeaderError
	if errors.As(err, &rh) {
		return "not a TLS client (a plaintext client on an SSL listener?): " + err.Error()
	}
	if ne := net.Error(nil); errors.As(err, &ne) && ne.Timeout() {
		return "no handshake within " + sslHandshakeTimeout.String() + ": " + err.Error()
	}
	return err.Error()
}

// listenerName is the name of the listener c arrived on.
func (c *conn) listenerName() string {
	if c == nil || c.listener == nil {
		return protoPlaintext
	}
	return c.listener.Name
}

// endpoint is where broker info serves listener name: its registered
// NAME://host:port; ok is false when it has no such listener.
func (i brokerInfo) endpoint(name string) (host string, port int32, ok bool) {
	for _, e := range i.Endpoints {
		ls, err := parseListeners(e)
		if err != nil || ls[0].Name != name {
			continue
		}
		h, ps, _ := net.SplitHostPort(ls[0].Addr)
		n, _ := strconv.Atoi(ps)
		return h, int32(n), true
	}
	return "", 0, false
}

// peerEndpoint is the address of broker id's inter-broker listener, and
// the TLS configuration to dial it with (nil for PLAINTEXT).
func (b *Broker) peerEndpoint(id int32) (string, *tls.Config, error) {
	b.mu.RLock()
	info, ok := b.brokers[id]
	b.mu.RUnlock()
	if !ok {
		return "", nil, errNoLeaderAddress
	}
	name := b.cfg.interBrokerListener()
	host, port, ok := info.endpoint(name)
	if !ok {
		return "", nil, fmt.Errorf("%w: broker %d has no %s listener", errNoLeaderAddress, id, name)
	}
	addr := net.JoinHostPort(host, strconv.Itoa(int(port)))
	if !tlsProtocol(b.cfg.Protocol(name)) {
		return addr, nil, nil
	}
	s := b.cfg.sslFor(name)
	t, err := s.clientTLS(host)
	if err != nil {
		return "", nil, fmt.Errorf("broker: TLS to broker %d: %w", id, err)
	}
	return addr, t, nil
}
