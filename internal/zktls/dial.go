package zktls

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/sluicelogs/sluice/internal/pemtls"
)

// Dialer returns the ZooKeeper client's dialer over TLS when s.Enable is
// set, nil otherwise. The server's certificate must chain to the trust
// store, and name the host dialed unless EndpointIDAlg is empty. Errors
// name the key (spelt as k) whose file could not be read.
func (k Keys) Dialer(s Settings) (zk.Dialer, error) {
	if !s.Enable {
		return nil, nil
	}
	pool, err := pemtls.LoadPool(s.TrustStore)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", k.TrustStore, err)
	}
	hi, err := TLSVersion(s.Protocol)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", k.Protocol, err)
	}
	base := &tls.Config{MinVersion: tls.VersionTLS12, MaxVersion: hi, RootCAs: pool}
	if s.KeyStore != "" {
		cert, err := pemtls.LoadKeyPair(s.KeyStore, "")
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k.KeyStore, err)
		}
		base.Certificates = []tls.Certificate{cert}
	}
	if s.EndpointIDAlg == "" {
		base.InsecureSkipVerify = true // the chain is still verified, only the name is not
		base.VerifyConnection = pemtls.VerifyChain(pool, x509.ExtKeyUsageServerAuth)
	}
	return func(network, address string, timeout time.Duration) (net.Conn, error) {
		c := base.Clone()
		if host, _, err := net.SplitHostPort(address); err == nil {
			c.ServerName = host
		}
		raw, err := (&net.Dialer{Timeout: timeout}).Dial(network, address)
		if err != nil {
			return nil, err
		}
		conn := tls.Client(raw, c)
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		if err := conn.HandshakeContext(ctx); err != nil {
			raw.Close()
			var bad *tls.CertificateVerificationError
			if errors.As(err, &bad) {
				return nil, fmt.Errorf("TLS handshake with %s: %w", address, err)
			}
			return nil, fmt.Errorf("TLS handshake with %s: %w (not a TLS port?)", address, err)
		}
		return conn, nil
	}, nil
}
