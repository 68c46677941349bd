package coordinator

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"

	"github.com/sluicelogs/sluice/internal/config"
	"github.com/sluicelogs/sluice/internal/pemtls"
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

// validateQuorumTLS checks the ssl.quorum.* keys when sslQuorum is on: both
// stores named and of type PEM.
func (c *Config) validateQuorumTLS() config.Errors {
	return checkStores("ssl.quorum.", "sslQuorum=true", c.QuorumKeyStore, c.QuorumKeyStoreType, c.QuorumTrustStore, c.QuorumTrustStoreType)
}

// quorumTLS holds the TLS settings of the peer port.
type quorumTLS struct {
	server     *tls.Config // for accepted connections
	client     *tls.Config // for dialed ones; ServerName is set per peer
	verifyHost bool        // ssl.quorum.hostnameVerification
}

// loadQuorumTLS reads the PEM key and trust stores that cfg names.
func loadQuorumTLS(cfg *Config) (*quorumTLS, error) {
	cert, err := pemtls.LoadKeyPair(cfg.QuorumKeyStore, "")
	if err != nil {
		return nil, fmt.Errorf("coordinator: ssl.quorum.keyStore.location: %w", err)
	}
	pool, err := pemtls.LoadPool(cfg.QuorumTrustStore)
	if err != nil {
		return nil, fmt.Errorf("coordinator: ssl.quorum.trustStore.location: %w", err)
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
		q.client.VerifyConnection = pemtls.VerifyChain(pool, x509.ExtKeyUsageServerAuth)
	}
	return q, nil
}

// clientFor returns the dialer's TLS settings for the member at host.
func (q *quorumTLS) clientFor(host string) *tls.Config {
	c := q.client.Clone()
	c.ServerName = host
	return c
}
