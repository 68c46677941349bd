package pemtls_test

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicelogs/sluice/internal/pemtls"
)

func write(t *testing.T, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// handshake runs a TLS handshake over a loopback connection and returns
// the client's and the server's errors.
func handshake(t *testing.T, client, server *tls.Config) (error, error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	done := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			done <- err
			return
		}
		s := tls.Server(c, server)
		err = s.Handshake()
		if err == nil {
			_, err = s.Read(make([]byte, 1)) // the client's verdict on the server's certificate
		}
		s.Close()
		done <- err
	}()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c := tls.Client(conn, client)
	cerr := c.Handshake()
	if cerr == nil {
		_, cerr = c.Write([]byte{1})
	}
	c.Close()
	serr := <-done
	return cerr, serr
}

func TestIssuedCertificatesHandshake(t *testing.T) {
	ca, err := pemtls.NewCA("test CA", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	node, err := ca.Issue("node1", []string{"127.0.0.1", "node1.example"}, time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	store := write(t, "node1.pem", node.KeyStore())
	pair, err := pemtls.LoadKeyPair(store, "")
	if err != nil {
		t.Fatal(err)
	}
	pair2, err := pemtls.LoadKeyPair(write(t, "c.crt", node.CertPEM), write(t, "c.key", node.KeyPEM))
	if err != nil {
		t.Fatal(err)
	}
	pool, err := pemtls.LoadPool(write(t, "ca.pem", ca.PEM()))
	if err != nil {
		t.Fatal(err)
	}
	server := &tls.Config{Certificates: []tls.Certificate{pair}, ClientCAs: pool, ClientAuth: tls.RequireAndVerifyClientCert}
	client := &tls.Config{Certificates: []tls.Certificate{pair2}, RootCAs: pool, ServerName: "node1.example"}
	if cerr, serr := handshake(t, client, server); cerr != nil || serr != nil {
		t.Fatalf("handshake: client %v, server %v", cerr, serr)
	}
	// A wrong name fails verification; VerifyChain skips only the name.
	client.ServerName = "other.example"
	if cerr, _ := handshake(t, client, server); cerr == nil {
		t.Fatal("a certificate for node1.example was taken for other.example")
	}
	client.InsecureSkipVerify = true
	client.VerifyConnection = pemtls.VerifyChain(pool, x509.ExtKeyUsageServerAuth)
	if cerr, serr := handshake(t, client, server); cerr != nil || serr != nil {
		t.Fatalf("chain-only verification: client %v, server %v", cerr, serr)
	}
	// Another CA's trust store refuses the chain, even without the name.
	other, _ := pemtls.NewCA("other CA", time.Hour)
	otherPool, _ := pemtls.LoadPool(write(t, "other.pem", other.PEM()))
	client.VerifyConnection = pemtls.VerifyChain(otherPool, x509.ExtKeyUsageServerAuth)
	if cerr, _ := handshake(t, client, server); cerr == nil {
		t.Fatal("a certificate of another CA was accepted")
	}
}

func TestExpiredCertificateRefused(t *testing.T) {
	ca, _ := pemtls.NewCA("test CA", time.Hour)
	old, err := ca.Issue("old", []string{"127.0.0.1"}, time.Now().Add(-2*time.Hour), time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	pair, err := pemtls.LoadKeyPair(write(t, "old.pem", old.KeyStore()), "")
	if err != nil {
		t.Fatal(err)
	}
	pool, _ := pemtls.LoadPool(write(t, "ca.pem", ca.PEM()))
	cerr, _ := handshake(t, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}, &tls.Config{Certificates: []tls.Certificate{pair}})
	if cerr == nil || !strings.Contains(cerr.Error(), "expired") {
		t.Fatalf("expired server certificate: %v", cerr)
	}
}

func TestLoadErrors(t *testing.T) {
	ca, _ := pemtls.NewCA("test CA", time.Hour)
	node, _ := ca.Issue("n", nil, time.Time{}, time.Time{})
	enc := pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte{1}})
	for _, c := range []struct {
		name, cert, key, want string
	}{
		{"encrypted key", write(t, "a.pem", append(append([]byte{}, node.CertPEM...), enc...)), "", "encrypted"},
		{"no key", write(t, "b.pem", node.CertPEM), "", "want a PEM certificate and its private key"},
		{"missing file", filepath.Join(t.TempDir(), "nope.pem"), "", "no such file"},
	} {
		if _, err := pemtls.LoadKeyPair(c.cert, c.key); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
	if _, err := pemtls.LoadPool(write(t, "empty.pem", []byte("not pem"))); err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
		t.Errorf("empty trust store: %v", err)
	}
	if err := pemtls.CheckStoreType("ks.jks", "", "ssl.keystore.type"); err == nil || !strings.Contains(err.Error(), "JKS stores are not supported") {
		t.Errorf("jks: %v", err)
	}
	if err := pemtls.CheckStoreType("ks", "", "ssl.keystore.type"); err == nil || !strings.Contains(err.Error(), "set ssl.keystore.type=PEM") {
		t.Errorf("no extension: %v", err)
	}
	if err := pemtls.CheckStoreType("ks", "pem", "ssl.keystore.type"); err != nil {
		t.Errorf("explicit pem: %v", err)
	}
}
