package zktls

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"
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
			return nil, &HandshakeError{Addr: address, Err: err}
		}
		return conn, nil
	}, nil
}

// HandshakeError is a failed TLS handshake with a server: a certificate
// that does not verify, or a server that does not speak TLS. Retrying
// does not help.
type HandshakeError struct {
	Addr string
	Err  error
}

func (e *HandshakeError) Error() string {
	var bad *tls.CertificateVerificationError
	if errors.As(e.Err, &bad) {
		return fmt.Sprintf("TLS handshake with %s: %v", e.Addr, e.Err)
	}
	return fmt.Sprintf("TLS handshake with %s: %v (not a TLS port?)", e.Addr, e.Err)
}

func (e *HandshakeError) Unwrap() error { return e.Err }

// SpeaksTLS tells whether the server at address answers a TLS handshake
// (with a certificate, or with a TLS alert such as a demand for a client
// certificate): a ZooKeeper secure client port.
func SpeaksTLS(address string, timeout time.Duration) bool {
	raw, err := net.DialTimeout("tcp", address, timeout)
	if err != nil {
		return false
	}
	defer raw.Close()
	_ = raw.SetDeadline(time.Now().Add(timeout))
	conn := tls.Client(raw, &tls.Config{InsecureSkipVerify: true}) // a probe: nothing is sent after the handshake
	err = conn.Handshake()
	return err == nil || strings.Contains(err.Error(), "remote error: tls:")
}
