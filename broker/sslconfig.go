package broker

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"

	"github.com/sluicelogs/sluice/internal/config"
	"github.com/sluicelogs/sluice/internal/pemtls"
)

// SSLConfig is the ssl.* keys of the broker or of one listener
// (listener.name.<name>.ssl.*), with Kafka's names and defaults. Stores
// are PEM only (Kafka reads PEM since 2.7): a key store file holding the
// certificate chain and its unencrypted key, or both inline; a trust
// store file or inline CA certificates. An empty store type means the
// file's extension tells it (.pem, .crt: PEM); Kafka's default, JKS, is
// refused with a message saying how to convert.
type SSLConfig struct {
	KeystoreType                    string // ssl.keystore.type
	KeystoreLocation                string // ssl.keystore.location
	KeystoreCertificateChain        string // ssl.keystore.certificate.chain (inline PEM)
	KeystoreKey                     string // ssl.keystore.key (inline PEM, unencrypted)
	KeyPassword                     string // ssl.key.password: accepted, but only unencrypted keys are read
	TruststoreType                  string // ssl.truststore.type
	TruststoreLocation              string // ssl.truststore.location
	TruststoreCertificates          string // ssl.truststore.certificates (inline PEM)
	ClientAuth                      string // ssl.client.auth: none, requested or required
	EndpointIdentificationAlgorithm string // ssl.endpoint.identification.algorithm: https (verify host names) or ""
	EnabledProtocols                string // ssl.enabled.protocols: TLSv1.2 and/or TLSv1.3
	Protocol                        string // ssl.protocol
	PrincipalMappingRules           string // ssl.principal.mapping.rules: DEFAULT only

	// keys maps a short key (ssl.keystore.location) to the key it was
	// read from (listener.name.ssl.ssl.keystore.location), for errors.
	keys map[string]string
}

// defaultSSL is Kafka's defaults of the ssl.* keys sluice reads.
func defaultSSL() SSLConfig {
	return SSLConfig{ClientAuth: "none", EndpointIdentificationAlgorithm: "https", EnabledProtocols: "TLSv1.2,TLSv1.3",
		Protocol: "TLSv1.3", PrincipalMappingRules: "DEFAULT"}
}

// sslKeys binds the ssl.* keys to s's fields.
func (s *SSLConfig) sslKeys() []struct {
	key string
	v   *string
} {
	return []struct {
		key string
		v   *string
	}{
		{"ssl.keystore.type", &s.KeystoreType}, {"ssl.keystore.location", &s.KeystoreLocation},
		{"ssl.keystore.certificate.chain", &s.KeystoreCertificateChain}, {"ssl.keystore.key", &s.KeystoreKey},
		{"ssl.key.password", &s.KeyPassword}, {"ssl.truststore.type", &s.TruststoreType},
		{"ssl.truststore.location", &s.TruststoreLocation}, {"ssl.truststore.certificates", &s.TruststoreCertificates},
		{"ssl.client.auth", &s.ClientAuth}, {"ssl.endpoint.identification.algorithm", &s.EndpointIdentificationAlgorithm},
		{"ssl.enabled.protocols", &s.EnabledProtocols}, {"ssl.protocol", &s.Protocol},
		{"ssl.principal.mapping.rules", &s.PrincipalMappingRules},
	}
}

// key is the key the field of short key was read from.
func (s *SSLConfig) key(short string) string {
	if k, ok := s.keys[short]; ok {
		return k
	}
	return short
}

// readSSL reads the ssl.* keys, then each listener's
// listener.name.<name>.ssl.* keys over them (Kafka's per-key override).
// ssl.keystore.password and ssl.truststore.password are read and
// unused: PEM stores here have no password.
func (c *Config) readSSL(p *config.Properties) {
	for _, k := range c.SSL.sslKeys() {
		if v, ok := p.Lookup(k.key); ok {
			*k.v = strings.TrimSpace(v)
		}
	}
	p.Lookup("ssl.keystore.password")
	p.Lookup("ssl.truststore.password")
	for _, l := range c.AllListeners() {
		prefix := "listener.name." + strings.ToLower(l.Name) + "."
		keys := p.Prefixed(prefix + "ssl.")
		if len(keys) == 0 {
			continue
		}
		s := c.SSL
		s.keys = map[string]string{}
		for _, k := range s.sslKeys() {
			if v, ok := p.Lookup(prefix + k.key); ok {
				*k.v = strings.TrimSpace(v)
				s.keys[k.key] = prefix + k.key
			}
		}
		if c.ListenerSSL == nil {
			c.ListenerSSL = map[string]SSLConfig{}
		}
		c.ListenerSSL[l.Name] = s
	}
}

// sslFor is the SSL settings of listener name.
func (c *Config) sslFor(name string) SSLConfig {
	if s, ok := c.ListenerSSL[name]; ok {
		return s
	}
	return c.SSL
}

// tlsProtocol reports whether proto's connections are TLS: SSL and
// SASL_SSL.
func tlsProtocol(proto string) bool { return proto == protoSSL || proto == protoSASLSSL }

// validateSSL checks the SSL settings of every SSL and SASL_SSL listener by building
// them (its files read), and the inter-broker listener's client side.
func (c *Config) validateSSL(addf func(key, format string, args ...any)) {
	report := func(err error) {
		var ce *config.Error
		if errors.As(err, &ce) {
			addf(ce.Key, "%v", ce.Err)
		} else if err != nil {
			addf("ssl", "%v", err)
		}
	}
	for _, l := range c.AllListeners() {
		if !tlsProtocol(c.Protocol(l.Name)) {
			continue
		}
		s := c.sslFor(l.Name)
		_, err := s.serverTLS()
		report(err)
		if l.Name == c.interBrokerListener() && err == nil {
			// The client side as followers dial with it (the host is
			// the leader's, known only then).
			_, err = s.clientTLS("localhost")
			report(err)
		}
	}
}

// renderSSL writes the ssl.* keys that differ from the defaults, then
// the listener overrides that differ from them.
func (c *Config) renderSSL(line func(key string, v any)) {
	def := defaultSSL()
	dk := def.sslKeys()
	for i, k := range c.SSL.sslKeys() {
		if *k.v != *dk[i].v {
			line(k.key, *k.v)
		}
	}
	for _, l := range c.AllListeners() {
		s, ok := c.ListenerSSL[l.Name]
		if !ok {
			continue
		}
		base := c.SSL.sslKeys()
		for i, k := range s.sslKeys() {
			if *k.v != *base[i].v {
				line("listener.name."+strings.ToLower(l.Name)+"."+k.key, *k.v)
			}
		}
	}
}

// keyErr is an error about the value of short key in s.
func (s *SSLConfig) keyErr(short, format string, args ...any) error {
	return &config.Error{Key: s.key(short), Err: fmt.Errorf(format, args...)}
}

// keyPair reads the key store; ok is false when none is configured.
func (s *SSLConfig) keyPair() (cert tls.Certificate, ok bool, err error) {
	switch {
	case s.KeystoreLocation != "":
		if err := pemtls.CheckStoreType(s.KeystoreLocation, s.KeystoreType, s.key("ssl.keystore.type")); err != nil {
			return cert, false, s.keyErr("ssl.keystore.location", "%v", err)
		}
		cert, err = pemtls.LoadKeyPair(s.KeystoreLocation, "")
		if err != nil {
			return cert, false, s.keyErr("ssl.keystore.location", "%v", err)
		}
		return cert, true, nil
	case s.KeystoreCertificateChain != "" || s.KeystoreKey != "":
		if t := pemtls.StoreType("", s.KeystoreType); t != "PEM" {
			return cert, false, s.keyErr("ssl.keystore.type", "inline key stores (ssl.keystore.certificate.chain, ssl.keystore.key) need ssl.keystore.type=PEM")
		}
		if s.KeystoreCertificateChain == "" || s.KeystoreKey == "" {
			return cert, false, s.keyErr("ssl.keystore.key", "ssl.keystore.certificate.chain and ssl.keystore.key go together")
		}
		cert, err = pemtls.X509KeyPair([]byte(s.KeystoreCertificateChain), []byte(s.KeystoreKey))
		if err != nil {
			return cert, false, s.keyErr("ssl.keystore.key", "%v", err)
		}
		return cert, true, nil
	}
	return cert, false, nil
}

// pool reads the trust store; nil when none is configured (the system's
// roots are then used, as Java's default trust store would be).
func (s *SSLConfig) pool() (*x509.CertPool, error) {
	switch {
	case s.TruststoreLocation != "":
		if err := pemtls.CheckStoreType(s.TruststoreLocation, s.TruststoreType, s.key("ssl.truststore.type")); err != nil {
			return nil, s.keyErr("ssl.truststore.location", "%v", err)
		}
		p, err := pemtls.LoadPool(s.TruststoreLocation)
		if err != nil {
			return nil, s.keyErr("ssl.truststore.location", "%v", err)
		}
		return p, nil
	case s.TruststoreCertificates != "":
		if t := pemtls.StoreType("", s.TruststoreType); t != "PEM" {
			return nil, s.keyErr("ssl.truststore.type", "inline trust stores (ssl.truststore.certificates) need ssl.truststore.type=PEM")
		}
		p := x509.NewCertPool()
		if !p.AppendCertsFromPEM([]byte(s.TruststoreCertificates)) {
			return nil, s.keyErr("ssl.truststore.certificates", "no PEM certificate in it")
		}
		return p, nil
	}
	return nil, nil
}

// versions reads ssl.enabled.protocols (and checks ssl.protocol) into
// the least and greatest TLS versions.
func (s *SSLConfig) versions() (lo, hi uint16, err error) {
	names := map[string]uint16{"TLSV1.2": tls.VersionTLS12, "TLSV1.3": tls.VersionTLS13}
	for _, p := range strings.Split(s.EnabledProtocols, ",") {
		p = strings.TrimSpace(p)
		v, ok := names[strings.ToUpper(p)]
		if !ok {
			return 0, 0, s.keyErr("ssl.enabled.protocols", "%q: only TLSv1.2 and TLSv1.3 are supported", p)
		}
		if lo == 0 || v < lo {
			lo = v
		}
		hi = max(hi, v)
	}
	if _, ok := names[strings.ToUpper(s.Protocol)]; !ok && !strings.EqualFold(s.Protocol, "TLS") {
		return 0, 0, s.keyErr("ssl.protocol", "%q: want TLSv1.2, TLSv1.3 or TLS", s.Protocol)
	}
	if !strings.EqualFold(s.PrincipalMappingRules, "DEFAULT") {
		return 0, 0, s.keyErr("ssl.principal.mapping.rules", "only DEFAULT is supported (the principal is the certificate's subject DN)")
	}
	return lo, hi, nil
}

// serverTLS is the TLS configuration of an SSL listener.
func (s *SSLConfig) serverTLS() (*tls.Config, error) {
	lo, hi, err := s.versions()
	if err != nil {
		return nil, err
	}
	cert, ok, err := s.keyPair()
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, s.keyErr("ssl.keystore.location", "an SSL listener needs a key store: ssl.keystore.location, or ssl.keystore.certificate.chain and ssl.keystore.key")
	}
	pool, err := s.pool()
	if err != nil {
		return nil, err
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: lo, MaxVersion: hi, ClientCAs: pool}
	switch strings.ToLower(s.ClientAuth) {
	case "none", "":
		cfg.ClientAuth = tls.NoClientCert
	case "requested":
		cfg.ClientAuth = tls.VerifyClientCertIfGiven
	case "required":
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	default:
		return nil, s.keyErr("ssl.client.auth", "%q: want none, requested or required", s.ClientAuth)
	}
	if cfg.ClientCAs == nil && cfg.ClientAuth != tls.NoClientCert {
		if cfg.ClientCAs, err = x509.SystemCertPool(); err != nil {
			return nil, s.keyErr("ssl.truststore.location", "no trust store and no system roots: %v", err)
		}
	}
	return cfg, nil
}

// clientTLS is the TLS configuration with which this broker dials
// another's listener at host: the trust store (the system's roots when
// none), the key store as client certificate, the host name verified
// when ssl.endpoint.identification.algorithm is https.
func (s *SSLConfig) clientTLS(host string) (*tls.Config, error) {
	lo, hi, err := s.versions()
	if err != nil {
		return nil, err
	}
	pool, err := s.pool()
	if err != nil {
		return nil, err
	}
	cfg := &tls.Config{MinVersion: lo, MaxVersion: hi, RootCAs: pool, ServerName: host}
	if cert, ok, err := s.keyPair(); err != nil {
		return nil, err
	} else if ok {
		cfg.Certificates = []tls.Certificate{cert}
	}
	switch strings.ToLower(s.EndpointIdentificationAlgorithm) {
	case "https":
	case "":
		cfg.InsecureSkipVerify = true // the chain is still verified, the name not
		cfg.VerifyConnection = pemtls.VerifyChain(pool, x509.ExtKeyUsageServerAuth)
	default:
		return nil, s.keyErr("ssl.endpoint.identification.algorithm", "%q: want https or empty", s.EndpointIdentificationAlgorithm)
	}
	return cfg, nil
}
