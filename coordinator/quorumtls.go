package coordinator

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/sluicelogs/sluice/internal/config"
)

// Quorum TLS: with sslQuorum=true the peer port speaks only TLS 1.2+, and
// both ends of every peer connection present a certificate that must
// chain to the trust store (mutual TLS), as ZooKeeper's quorum TLS does.
// Only PEM stores are read: the key store is one PEM file holding this
// member's certificate (chain) and its unencrypted private key, the trust
// store a PEM bundle of CA certificates. A member's certificate serves as
// client and server certificate, so it needs both the serverAuth and
// clientAuth extended key usages (or no extended key usage at all).
//
// With ssl.quorum.hostnameVerification=true (ZooKeeper's default) the
// dialer checks that the listener's certificate names the host of its
// server.N line, and the listener that the dialer's certificate names the
// host of the member it claims to be (ZooKeeper checks the dialer's
// certificate against the address it connects from; checking the claimed
// member's configured host binds the id to the certificate as well).

// storeType returns the type of a key or trust store: typ upper-cased, or,
// when typ is empty, the type its file extension says (as ZooKeeper's
// X509Util does).
func storeType(location, typ string) string {
	if typ != "" {
		return strings.ToUpper(typ)
	}
	switch strings.ToLower(filepath.Ext(location)) {
	case ".pem", ".crt", ".cer", ".key":
		return "PEM"
	case ".jks":
		return "JKS"
	case ".p12", ".pfx":
		return "PKCS12"
	case ".bcfks":
		return "BCFKS"
	}
	return ""
}

// validateQuorumTLS checks the ssl.quorum.* keys when sslQuorum is on: both
// stores named and of type PEM.
func (c *Config) validateQuorumTLS() config.Errors {
	var errs config.Errors
	for _, s := range []struct{ name, location, typ string }{
		{"keyStore", c.QuorumKeyStore, c.QuorumKeyStoreType},
		{"trustStore", c.QuorumTrustStore, c.QuorumTrustStoreType},
	} {
		locKey, typKey := "ssl.quorum."+s.name+".location", "ssl.quorum."+s.name+".type"
		if s.location == "" {
			errs.Addf(locKey, "is required with sslQuorum=true")
			continue
		}
		key := typKey
		if s.typ == "" {
			key = locKey // the type came from the file's extension
		}
		switch t := storeType(s.location, s.typ); t {
		case "PEM":
		case "":
			errs.Addf(key, "cannot tell the store type of %q from its extension: set %s=PEM", s.location, typKey)
		default:
			errs.Addf(key, "%s stores are not supported, only PEM: convert it (e.g. keytool -importkeystore to PKCS12, then openssl pkcs12 -nodes) and set %s=PEM", t, typKey)
		}
	}
	return errs
}

// quorumTLS holds the TLS settings of the peer port.
type quorumTLS struct {
	server     *tls.Config // for accepted connections
	client     *tls.Config // for dialed ones; ServerName is set per peer
	verifyHost bool        // ssl.quorum.hostnameVerification
}

// loadQuorumTLS reads the PEM key and trust stores that cfg names.
func loadQuorumTLS(cfg *Config) (*quorumTLS, error) {
	keyPEM, err := os.ReadFile(cfg.QuorumKeyStore)
	if err != nil {
		return nil, fmt.Errorf("coordinator: ssl.quorum.keyStore.location: %w", err)
	}
	for rest := keyPEM; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		if b.Type == "ENCRYPTED PRIVATE KEY" || b.Headers["Proc-Type"] != "" {
			return nil, fmt.Errorf("coordinator: ssl.quorum.keyStore.location=%s: the private key is encrypted; only unencrypted PEM keys are supported (openssl pkey -in key.pem -out plain.pem)", cfg.QuorumKeyStore)
		}
	}
	cert, err := tls.X509KeyPair(keyPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("coordinator: ssl.quorum.keyStore.location=%s: want a PEM certificate and its private key: %w", cfg.QuorumKeyStore, err)
	}
	caPEM, err := os.ReadFile(cfg.QuorumTrustStore)
	if err != nil {
		return nil, fmt.Errorf("coordinator: ssl.quorum.trustStore.location: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("coordinator: ssl.quorum.trustStore.location=%s: no PEM certificate in it", cfg.QuorumTrustStore)
	}
	q := &quorumTLS{verifyHost: cfg.QuorumHostnameVerification}
	q.server = &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    pool,
	}
	q.client = &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{cert},
		RootCAs:      pool,
	}
	if !q.verifyHost {
		// The chain is still verified, against the trust store; only the
		// name is not.
		q.client.InsecureSkipVerify = true
		q.client.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("the peer sent no certificate")
			}
			opts := x509.VerifyOptions{Roots: pool, Intermediates: x509.NewCertPool(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
			for _, c := range cs.PeerCertificates[1:] {
				opts.Intermediates.AddCert(c)
			}
			_, err := cs.PeerCertificates[0].Verify(opts)
			return err
		}
	}
	return q, nil
}

// clientFor returns the dialer's TLS settings for the member at host.
func (q *quorumTLS) clientFor(host string) *tls.Config {
	c := q.client.Clone()
	c.ServerName = host
	return c
}
