package clientsec

import (
	"crypto/tls"
	"fmt"

	"github.com/sluicelogs/sluice/internal/config"
	"github.com/sluicelogs/sluice/internal/pemtls"
)

// ServerSSL is Filebeat's ssl: section of an input that listens (syslog,
// tcp): the server's certificate and key, and the CAs its clients'
// certificates are checked against.
type ServerSSL struct {
	// Enabled turns TLS on or off; unset, TLS is on when a certificate is
	// given.
	Enabled     *bool  `yaml:"enabled"`
	Certificate string `yaml:"certificate"`
	Key         string `yaml:"key"`
	// CertificateAuthorities are PEM files of the CAs clients'
	// certificates must chain to.
	CertificateAuthorities []string `yaml:"certificate_authorities"`
	// ClientAuthentication is none, optional or required; unset, required
	// when certificate_authorities are given and none otherwise, as
	// Filebeat's.
	ClientAuthentication string   `yaml:"client_authentication"`
	SupportedProtocols   []string `yaml:"supported_protocols"`

	tls *tls.Config // built by Validate
}

// On reports whether TLS is on.
func (s *ServerSSL) On() bool {
	if s.Enabled != nil {
		return *s.Enabled
	}
	return s.Certificate != "" || s.Key != ""
}

// Validate checks s and, when TLS is on, loads its files. Errors name the
// key under prefix (e.g. "inputs[0].protocol.tcp.").
func (s *ServerSSL) Validate(prefix string, errs *config.Errors) {
	s.tls = nil
	key := func(k string) string { return prefix + "ssl." + k }
	if !s.On() {
		return
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	ok := true
	for i, p := range s.SupportedProtocols {
		v, known := tlsVersions[p]
		if !known {
			errs.Addf(fmt.Sprintf("%s[%d]", key("supported_protocols"), i), "%q: want TLSv1.1, TLSv1.2 or TLSv1.3", p)
			ok = false
			continue
		}
		if i == 0 || v < cfg.MinVersion {
			cfg.MinVersion = v
		}
		cfg.MaxVersion = max(cfg.MaxVersion, v)
	}
	if s.Certificate == "" || s.Key == "" {
		errs.Addf(key("certificate"), "a listener with TLS needs ssl.certificate and ssl.key")
		return
	}
	cert, err := pemtls.LoadKeyPair(s.Certificate, s.Key)
	if err != nil {
		errs.Addf(key("certificate"), "%v", err)
		ok = false
	}
	cfg.Certificates = []tls.Certificate{cert}
	if len(s.CertificateAuthorities) > 0 {
		pool, err := pemtls.LoadPool(s.CertificateAuthorities...)
		if err != nil {
			errs.Addf(key("certificate_authorities"), "%v", err)
			ok = false
		}
		cfg.ClientCAs = pool
	}
	auth := s.ClientAuthentication
	if auth == "" {
		auth = "none"
		if len(s.CertificateAuthorities) > 0 {
			auth = "required"
		}
	}
	switch auth {
	case "none":
		cfg.ClientAuth = tls.NoClientCert
	case "optional":
		cfg.ClientAuth = tls.VerifyClientCertIfGiven
	case "required":
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	default:
		errs.Addf(key("client_authentication"), "%q: want none, optional or required", s.ClientAuthentication)
		ok = false
	}
	if auth != "none" && len(s.CertificateAuthorities) == 0 {
		errs.Addf(key("certificate_authorities"), "client_authentication %s needs the CAs clients' certificates chain to", auth)
		ok = false
	}
	if ok {
		s.tls = cfg
	}
}

// Config returns the configuration Validate built, or nil when TLS is off.
func (s *ServerSSL) Config() *tls.Config {
	if s.tls == nil {
		return nil
	}
	return s.tls.Clone()
}
