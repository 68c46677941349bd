package main

import (
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluicelogs/sluice/broker"
	"github.com/sluicelogs/sluice/internal/pemtls"
)

// TestCerts: `sluice certs` writes a CA and node and client key stores;
// the server.properties lines it prints (with a zookeeper.connect) make
// a broker configuration that validates, its SSL listener's stores
// loaded; the node certificate verifies for its hosts and the client's
// as a client; a second run into the same folder replaces nothing.
func TestCerts(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "certs")
	code, out, errOut := runArgs("certs", "--dir", dir, "--node", "b1=kafka-1.example,10.0.0.1", "--client", "alice")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	// The node's lines, up to the next blank line.
	i := strings.Index(out, "# node b1")
	if i < 0 {
		t.Fatalf("no server.properties lines for b1:\n%s", out)
	}
	props := out[i:]
	props = props[:strings.Index(props, "\n\n")+1]
	path := filepath.Join(t.TempDir(), "server.properties")
	if err := os.WriteFile(path, []byte(props+"zookeeper.connect=127.0.0.1:2181\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, warns, err := broker.LoadConfig(path)
	if err != nil || len(warns) > 0 {
		t.Fatalf("%v %v:\n%s", err, warns, props)
	}
	if cfg.Protocol("SSL") != "SSL" || cfg.SSL.KeystoreLocation != filepath.Join(dir, "b1.pem") {
		t.Fatalf("config %+v", cfg.SSL)
	}

	roots, err := pemtls.LoadPool(filepath.Join(dir, "ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		file, host string
		usage      x509.ExtKeyUsage
	}{{"b1.pem", "kafka-1.example", x509.ExtKeyUsageServerAuth}, {"b1.pem", "10.0.0.1", x509.ExtKeyUsageServerAuth}, {"alice.pem", "", x509.ExtKeyUsageClientAuth}} {
		kp, err := pemtls.LoadKeyPair(filepath.Join(dir, tc.file), "")
		if err != nil {
			t.Fatal(err)
		}
		leaf, _ := x509.ParseCertificate(kp.Certificate[0])
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, DNSName: tc.host, KeyUsages: []x509.ExtKeyUsage{tc.usage}}); err != nil {
			t.Errorf("%s for %q: %v", tc.file, tc.host, err)
		}
		if fi, _ := os.Stat(filepath.Join(dir, tc.file)); fi.Mode().Perm() != 0o600 {
			t.Errorf("%s is %v, want 0600 (it holds a private key)", tc.file, fi.Mode().Perm())
		}
	}
	if !strings.Contains(out, "User:CN=alice") || !strings.Contains(out, "ssl.truststore.location="+filepath.Join(dir, "ca.pem")) {
		t.Fatalf("output:\n%s", out)
	}

	before, _ := os.ReadFile(filepath.Join(dir, "ca.pem"))
	if code, _, errOut := runArgs("certs", "--dir", dir); code == 0 || !strings.Contains(errOut, "exists: not replacing it") {
		t.Fatalf("second run: exit %d, %s", code, errOut)
	}
	if after, _ := os.ReadFile(filepath.Join(dir, "ca.pem")); string(after) != string(before) {
		t.Fatal("the CA was replaced")
	}
	if code, _, errOut := runArgs("certs", "--dir", t.TempDir(), "--node", "nohosts"); code == 0 || !strings.Contains(errOut, "want NAME=HOST") {
		t.Fatalf("bad --node: exit %d, %s", code, errOut)
	}
}
