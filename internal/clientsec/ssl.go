package clientsec

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"

	"github.com/sluicelogs/sluice/internal/config"
	"github.com/sluicelogs/sluice/internal/pemtls"
)

// SSL is Filebeat's ssl: section of an output.
type SSL struct {
	// Enabled turns TLS on or off; unset, TLS is on when any other ssl key
	// is given (as in Filebeat, where an ssl section enables it).
	Enabled *bool `yaml:"enabled"`
	// CertificateAuthorities are PEM files of the CAs trusted for the
	// server's certificate; none: the system's roots.
	CertificateAuthorities []string `yaml:"certificate_authorities"`
	// Certificate and Key are the client certificate (PEM) and its
	// unencrypted private key, for servers that ask for one.
	Certificate string `yaml:"certificate"`
	Key         string `yaml:"key"`
	// VerificationMode is full (the default: chain and host name), strict
	// (the same here: Go never falls back to the common name, so a
	// certificate without a matching subject alternative name fails as
	// Filebeat's strict mode requires), certificate (the chain only, not
	// the host name) or none (nothing: for tests only).
	VerificationMode string `yaml:"verification_mode"`
	// SupportedProtocols lists the TLS versions allowed (TLSv1.1, TLSv1.2,
	// TLSv1.3); none: TLSv1.2 and TLSv1.3.
	SupportedProtocols []string `yaml:"supported_protocols"`

	tls *tls.Config // built by Validate
}

// DottedSSL holds the dotted spellings of the ssl keys ("ssl.key: …"), to
// be inlined into the struct that has an SSL field and folded into it with
// Fold.
type DottedSSL struct {
	SSLEnabled                *bool    `yaml:"ssl.enabled,omitempty"`
	SSLCertificateAuthorities []string `yaml:"ssl.certificate_authorities,omitempty"`
	SSLCertificate            string   `yaml:"ssl.certificate,omitempty"`
	SSLKey                    string   `yaml:"ssl.key,omitempty"`
	SSLVerificationMode       string   `yaml:"ssl.verification_mode,omitempty"`
	SSLSupportedProtocols     []string `yaml:"ssl.supported_protocols,omitempty"`
}

// Fold moves d's keys into s, adding an error (key under prefix, e.g.
// "output.kafka.") for a key given both ways.
func (d *DottedSSL) Fold(s *SSL, prefix string, errs *config.Errors) {
	twice := func(key string) { errs.Addf(prefix+"ssl."+key, "given twice (dotted and nested)") }
	if d.SSLEnabled != nil {
		if s.Enabled != nil {
			twice("enabled")
		}
		s.Enabled = d.SSLEnabled
	}
	foldList(&s.CertificateAuthorities, d.SSLCertificateAuthorities, func() { twice("certificate_authorities") })
	foldList(&s.SupportedProtocols, d.SSLSupportedProtocols, func() { twice("supported_protocols") })
	foldString(&s.Certificate, d.SSLCertificate, func() { twice("certificate") })
	foldString(&s.Key, d.SSLKey, func() { twice("key") })
	foldString(&s.VerificationMode, d.SSLVerificationMode, func() { twice("verification_mode") })
	*d = DottedSSL{}
}

func foldString(dst *string, v string, twice func()) {
	if v == "" {
		return
	}
	if *dst != "" {
		twice()
	}
	*dst = v
}

func foldList(dst *[]string, v []string, twice func()) {
	if v == nil {
		return
	}
	if *dst != nil {
		twice()
	}
	*dst = v
}

// On reports whether TLS is to be used.
func (s *SSL) On() bool {
	if s.Enabled != nil {
		return *s.Enabled
	}
	return len(s.CertificateAuthorities) > 0 || s.Certificate != "" || s.Key != "" ||
		s.VerificationMode != "" || len(s.SupportedProtocols) > 0
}

var tlsVersions = map[string]uint16{"TLSv1.1": tls.VersionTLS11, "TLSv1.2": tls.VersionTLS12, "TLSv1.3": tls.VersionTLS13}

// Validate checks s and, when TLS is on, loads its files into the
// configuration TLS returns. Errors name the key under prefix (e.g.
// "output.kafka.") and say what is wrong with the file.
func (s *SSL) Validate(prefix string, errs *config.Errors) {
	s.tls = nil
	key := func(k string) string { return prefix + "ssl." + k }
	switch s.VerificationMode {
	case "", "full", "strict", "certificate", "none":
	default:
		errs.Addf(key("verification_mode"), "%q: want full, strict, certificate or none", s.VerificationMode)
	}
	var lo, hi uint16
	for i, p := range s.SupportedProtocols {
		v, ok := tlsVersions[p]
		if !ok {
			errs.Addf(fmt.Sprintf("%s[%d]", key("supported_protocols"), i), "%q: want TLSv1.1, TLSv1.2 or TLSv1.3", p)
			continue
		}
		if lo == 0 || v < lo {
			lo = v
		}
		hi = max(hi, v)
	}
	if (s.Certificate == "") != (s.Key == "") {
		k := "key"
		if s.Certificate == "" {
			k = "certificate"
		}
		errs.Addf(key(k), "required with ssl.certificate and ssl.key: give both or neither")
	}
	if !s.On() {
		return
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if lo != 0 {
		cfg.MinVersion, cfg.MaxVersion = lo, hi
	}
	ok := true
	if len(s.CertificateAuthorities) > 0 {
		pool, err := pemtls.LoadPool(s.CertificateAuthorities...)
		if err != nil {
			errs.Addf(key("certificate_authorities"), "%v", err)
			ok = false
		}
		cfg.RootCAs = pool
	}
	if s.Certificate != "" && s.Key != "" {
		cert, err := pemtls.LoadKeyPair(s.Certificate, s.Key)
		if err != nil {
			errs.Addf(key("certificate"), "%v", err)
			ok = false
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	switch s.VerificationMode {
	case "certificate":
		roots := cfg.RootCAs
		if roots == nil {
			var err error
			if roots, err = x509.SystemCertPool(); err != nil {
				errs.Addf(key("verification_mode"), "certificate: the system's CAs: %v", err)
				ok = false
			}
		}
		// Only the host name check is skipped: VerifyChain checks the
		// chain that InsecureSkipVerify no longer does.
		cfg.InsecureSkipVerify = true
		cfg.VerifyConnection = pemtls.VerifyChain(roots, x509.ExtKeyUsageServerAuth)
	case "none":
		cfg.InsecureSkipVerify = true
	}
	if ok {
		s.tls = cfg
	}
}

// Config returns the configuration Validate built, or nil when TLS is
// off. It has no server name: franz-go and net/http set the host they dial.
func (s *SSL) Config() *tls.Config {
	if s.tls == nil {
		return nil
	}
	return s.tls.Clone()
}
