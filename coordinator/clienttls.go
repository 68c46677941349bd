package coordinator

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	zk "github.com/sluicelogs/sluice/coordinator/zkproto"
	"github.com/sluicelogs/sluice/internal/config"
	"github.com/sluicelogs/sluice/internal/pemtls"
)

// The secure client port: with secureClientPort set the coordinator also
// (or, with clientPort left out of zoo.cfg, only) listens for clients over TLS, as
// ZooKeeper's Netty connection factory does, with ZooKeeper's ssl.* keys.
// Only PEM stores are read (internal/pemtls). A TLS client that presents
// a certificate chaining to the trust store is given the x509 identity
// of its subject, written as Java's X500Principal.getName() writes it
// (RFC 2253, most specific first: "CN=alice,O=corp"), so an ACL entry
// x509:CN=alice,O=corp:cdrwa grants alice those permissions, as
// ZooKeeper's X509AuthenticationProvider does. The handshake runs in the
// connection's own goroutine within the handshake time-out: a client that
// stalls it holds only its own socket, never the accept loop.
//
// The x509 scheme is always there on the secure port; authProvider.x509
// (which ZooKeeper needs to name it) is accepted and changes nothing.

// ClientTLS holds the ssl.* keys of the secure client port.
type ClientTLS struct {
	KeyStore             string   // ssl.keyStore.location: PEM, the server's certificate and key
	KeyStorePassword     string   // ssl.keyStore.password: only "" (unencrypted keys)
	KeyStoreType         string   // ssl.keyStore.type: PEM, or "" to go by the file's extension
	TrustStore           string   // ssl.trustStore.location: PEM, the CAs client certificates must chain to
	TrustStorePassword   string   // ssl.trustStore.password: ignored for PEM, as ZooKeeper does
	TrustStoreType       string   // ssl.trustStore.type: PEM, or ""
	ClientAuth           string   // ssl.clientAuth: need (ZooKeeper's default), want or none
	HostnameVerification bool     // ssl.hostnameVerification: accepted; a server does not check its clients' names
	Protocol             string   // ssl.protocol: TLSv1.2 or TLSv1.3; "" for both
	EnabledProtocols     []string // ssl.enabledProtocols: when set, exactly these
}

// readClientTLS reads the secure client port's keys.
func (c *Config) readClientTLS(p *config.Properties, add func(error)) {
	if port, ok := p.Lookup("secureClientPort"); ok {
		n, err := strconv.Atoi(strings.TrimSpace(port))
		if err != nil {
			add(p.Errorf("secureClientPort", "%q is not a port number", port))
		} else {
			c.SecureClientAddr = net.JoinHostPort(p.String("secureClientPortAddress", "0.0.0.0"), strconv.Itoa(n))
		}
		if _, plain := p.Lookup("clientPort"); !plain {
			c.ClientAddr = "" // secure only, as ZooKeeper without clientPort
		}
	} else {
		p.Lookup("secureClientPortAddress")
	}
	t := &c.ClientTLS
	for _, k := range []struct {
		key string
		dst *string
	}{
		{"ssl.keyStore.location", &t.KeyStore}, {"ssl.keyStore.password", &t.KeyStorePassword}, {"ssl.keyStore.type", &t.KeyStoreType},
		{"ssl.trustStore.location", &t.TrustStore}, {"ssl.trustStore.password", &t.TrustStorePassword}, {"ssl.trustStore.type", &t.TrustStoreType},
		{"ssl.clientAuth", &t.ClientAuth}, {"ssl.protocol", &t.Protocol},
	} {
		*k.dst = p.String(k.key, *k.dst)
	}
	if v, ok := p.Lookup("ssl.enabledProtocols"); ok {
		t.EnabledProtocols = nil
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				t.EnabledProtocols = append(t.EnabledProtocols, s)
			}
		}
	}
	verify, err := p.Bool("ssl.hostnameVerification", t.HostnameVerification)
	add(err)
	t.HostnameVerification = verify
	// ZooKeeper reads superDigest as the system property
	// zookeeper.DigestAuthenticationProvider.superDigest, which this
	// zoo.cfg key becomes.
	c.SuperDigest = p.String("DigestAuthenticationProvider.superDigest", c.SuperDigest)
	c.X509SuperUser = p.String("X509AuthenticationProvider.superUser", c.X509SuperUser)
	p.Prefixed("authProvider.") // authProvider.x509=…X509AuthenticationProvider, authProvider.N=…
}

// validateClientTLS checks the secure client port's keys when it is on.
func (c *Config) validateClientTLS() config.Errors {
	var errs config.Errors
	if c.SuperDigest != "" {
		if user, hash, ok := strings.Cut(c.SuperDigest, ":"); !ok || user != "super" || hash == "" {
			errs.Addf("DigestAuthenticationProvider.superDigest", "want super:<base64 sha1 of super:password>, got %q", c.SuperDigest)
		}
	}
	if c.SecureClientAddr == "" {
		if c.ClientAddr == "" {
			errs.Addf("clientPort", "is required without secureClientPort")
		}
		return errs
	}
	if _, port, err := net.SplitHostPort(c.SecureClientAddr); err != nil {
		errs.Addf("secureClientPort", "%q is not host:port: %v", c.SecureClientAddr, err)
	} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		errs.Addf("secureClientPort", "must be from 1 to 65535 (or 0 for a free port), got %s", port)
	}
	t := c.ClientTLS
	errs = append(errs, checkStores("ssl.", "secureClientPort", t.KeyStore, t.KeyStoreType, t.TrustStore, t.TrustStoreType)...)
	if t.KeyStorePassword != "" {
		errs.Addf("ssl.keyStore.password", "only unencrypted PEM keys are read: leave it empty")
	}
	if _, err := clientAuthMode(t.ClientAuth); err != nil {
		errs.Addf("ssl.clientAuth", "%v", err)
	}
	if _, _, err := tlsVersions(t.Protocol, t.EnabledProtocols); err != nil {
		errs.Addf("ssl.enabledProtocols", "%v", err)
	}
	return errs
}

// renderClientTLS writes the keys that differ from the defaults.
func (c *Config) renderClientTLS(line func(string, any)) {
	if c.SecureClientAddr != "" {
		host, port, _ := net.SplitHostPort(c.SecureClientAddr)
		line("secureClientPort", port)
		if host != "0.0.0.0" {
			line("secureClientPortAddress", host)
		}
	}
	t := c.ClientTLS
	for _, k := range []struct{ key, v string }{
		{"ssl.keyStore.location", t.KeyStore}, {"ssl.keyStore.password", t.KeyStorePassword}, {"ssl.keyStore.type", t.KeyStoreType},
		{"ssl.trustStore.location", t.TrustStore}, {"ssl.trustStore.password", t.TrustStorePassword}, {"ssl.trustStore.type", t.TrustStoreType},
		{"ssl.clientAuth", t.ClientAuth}, {"ssl.protocol", t.Protocol}, {"ssl.enabledProtocols", strings.Join(t.EnabledProtocols, ",")},
		{"DigestAuthenticationProvider.superDigest", c.SuperDigest},
		{"X509AuthenticationProvider.superUser", c.X509SuperUser},
	} {
		if k.v != "" {
			line(k.key, k.v)
		}
	}
	if !t.HostnameVerification {
		line("ssl.hostnameVerification", false)
	}
}

// clientAuthMode maps ssl.clientAuth to crypto/tls: need (or unset)
// requires a certificate that chains to the trust store, want verifies
// one if given, none asks for none.
func clientAuthMode(v string) (tls.ClientAuthType, error) {
	switch strings.ToLower(v) {
	case "", "need":
		return tls.RequireAndVerifyClientCert, nil
	case "want":
		return tls.VerifyClientCertIfGiven, nil
	case "none":
		return tls.NoClientCert, nil
	}
	return 0, fmt.Errorf("%q is not need, want or none", v)
}

// tlsVersions returns the TLS versions allowed: those of enabled when
// set, else protocol's alone, else TLS 1.2 and 1.3.
func tlsVersions(protocol string, enabled []string) (lo, hi uint16, err error) {
	if len(enabled) == 0 && protocol != "" && protocol != "TLS" {
		enabled = []string{protocol}
	}
	if len(enabled) == 0 {
		return tls.VersionTLS12, tls.VersionTLS13, nil
	}
	for _, p := range enabled {
		var v uint16
		switch p {
		case "TLSv1.2":
			v = tls.VersionTLS12
		case "TLSv1.3":
			v = tls.VersionTLS13
		default:
			return 0, 0, fmt.Errorf("%q is not supported (TLSv1.2, TLSv1.3)", p)
		}
		if lo == 0 || v < lo {
			lo = v
		}
		hi = max(hi, v)
	}
	return lo, hi, nil
}

// loadClientTLS builds the secure client port's TLS settings.
func loadClientTLS(cfg *Config) (*tls.Config, error) {
	t := cfg.ClientTLS
	cert, err := pemtls.LoadKeyPair(t.KeyStore, "")
	if err != nil {
		return nil, fmt.Errorf("coordinator: ssl.keyStore.location: %w", err)
	}
	pool, err := pemtls.LoadPool(t.TrustStore)
	if err != nil {
		return nil, fmt.Errorf("coordinator: ssl.trustStore.location: %w", err)
	}
	auth, err := clientAuthMode(t.ClientAuth)
	if err != nil {
		return nil, fmt.Errorf("coordinator: ssl.clientAuth: %w", err)
	}
	lo, hi, err := tlsVersions(t.Protocol, t.EnabledProtocols)
	if err != nil {
		return nil, fmt.Errorf("coordinator: ssl.enabledProtocols: %w", err)
	}
	return &tls.Config{
		MinVersion: lo, MaxVersion: hi,
		Certificates: []tls.Certificate{cert},
		ClientAuth:   auth,
		ClientCAs:    pool,
	}, nil
}

// x509ID returns the x509-scheme identity of a verified client
// certificate: its subject as X500Principal.getName() (RFC 2253) writes
// it.
func x509ID(cert *x509.Certificate) (string, error) {
	return rfc2253(cert.RawSubject)
}

// attributeKeywords are the attribute types X500Principal's RFC 2253 form
// names by keyword; others are written as dotted OIDs with the value's
// DER in hex.
var attributeKeywords = map[string]string{
	"2.5.4.3": "CN", "2.5.4.6": "C", "2.5.4.7": "L", "2.5.4.8": "ST", "2.5.4.10": "O", "2.5.4.11": "OU",
	"2.5.4.9": "STREET", "0.9.2342.19200300.100.1.25": "DC", "0.9.2342.19200300.100.1.1": "UID",
}

type attributeTypeAndValue struct {
	Type  asn1.ObjectIdentifier
	Value asn1.RawValue
}

// rfc2253 writes a DER-encoded distinguished name as RFC 2253 does: the
// relative names last first, the values of one joined by "+".
func rfc2253(der []byte) (string, error) {
	var rdns []([]attributeTypeAndValue)
	var seq []asn1.RawValue
	if rest, err := asn1.Unmarshal(der, &seq); err != nil || len(rest) > 0 {
		return "", fmt.Errorf("the certificate's subject is not a DER name: %v", err)
	}
	for _, set := range seq {
		var avs []attributeTypeAndValue
		if _, err := asn1.UnmarshalWithParams(set.FullBytes, &avs, "set"); err != nil {
			return "", fmt.Errorf("the certificate's subject is not a DER name: %w", err)
		}
		rdns = append(rdns, avs)
	}
	var b strings.Builder
	for i := len(rdns) - 1; i >= 0; i-- {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		for j, av := range rdns[i] {
			if j > 0 {
				b.WriteByte('+')
			}
			kw, known := attributeKeywords[av.Type.String()]
			var s string
			_, err := asn1.Unmarshal(av.Value.FullBytes, &s)
			if !known || err != nil || !utf8.ValidString(s) {
				b.WriteString(av.Type.String() + "=#" + hex.EncodeToString(av.Value.FullBytes))
				continue
			}
			b.WriteString(kw + "=" + escapeRFC2253(s))
		}
	}
	return b.String(), nil
}

// escapeRFC2253 escapes an attribute value as RFC 2253 section 2.4 asks.
func escapeRFC2253(s string) string {
	var b strings.Builder
	for i, r := range s {
		switch {
		case strings.ContainsRune(",+\"\\<>;", r),
			r == '#' && i == 0,
			r == ' ' && (i == 0 || i == len(s)-1):
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// listenSecure binds the secure client port.
func (s *Server) listenSecure() error {
	cfg, err := loadClientTLS(s.cfg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", s.cfg.SecureClientAddr)
	if err != nil {
		return fmt.Errorf("coordinator: listen on secure client port: %w", err)
	}
	s.tlsLn, s.tls = ln, cfg
	return nil
}

// SecureAddr is the address of the secure client port, "" when off.
func (s *Server) SecureAddr() string {
	if s.tlsLn == nil {
		return ""
	}
	return s.tlsLn.Addr().String()
}

// tlsHandshake completes a secure client's TLS handshake, within the
// deadlines accept set, and gives the connection the x509 identity of the
// client's certificate; false when the handshake failed (a plaintext
// client, a certificate that does not chain to the trust store or has
// expired, a client that stays silent), and the connection is to close.
func (s *Server) tlsHandshake(ctx context.Context, c *conn, tc *tls.Conn) bool {
	if err := tc.HandshakeContext(ctx); err != nil {
		s.metrics.refused.WithLabelValues("tls_handshake").Inc()
		s.refusedTotal.Add(1)
		s.mu.Lock()
		s.warnRefusedLocked("TLS handshake failed on the secure client port", "remote", tc.RemoteAddr().String(), "err", err)
		s.mu.Unlock()
		return false
	}
	_ = tc.NetConn().SetWriteDeadline(time.Time{})
	if certs := tc.ConnectionState().PeerCertificates; len(certs) > 0 {
		id, err := x509ID(certs[0])
		if err != nil {
			s.log.Info("closing a TLS client", "remote", tc.RemoteAddr().String(), "err", err)
			return false
		}
		if super := s.cfg.X509SuperUser; super != "" && id == super {
			c.addAuth(zk.ID{Scheme: "super", ID: id}) // X509AuthenticationProvider.superUser
		}
		c.addAuth(zk.ID{Scheme: "x509", ID: id})
	}
	return true
}
