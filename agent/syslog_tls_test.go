package agent_test

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/internal/pemtls"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// TestSyslogTLS: a syslog input with protocol.tcp.ssl and client
// authentication required takes messages from a client with a
// certificate of its CA, and none from a client without one.
func TestSyslogTLS(t *testing.T) {
	const n = 200
	dir := t.TempDir()
	ca, err := pemtls.NewCA("syslog-test-ca", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	server, err := ca.Issue("agent", []string{"127.0.0.1"}, time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	client, err := ca.Issue("sender", nil, time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	caFile, certFile, keyFile := write("ca.pem", ca.PEM()), write("agent.pem", server.CertPEM), write("agent.key", server.KeyPEM)

	b := startBroker(t)
	tcp := testpeer.FreePort(t)
	text := syslogYAML(t.TempDir(), b.Addr(), "tls", 0, tcp)
	text = strings.Replace(text, "      framing: rfc6587\n", fmt.Sprintf("      framing: rfc6587\n      ssl:\n        certificate: %s\n        key: %s\n        certificate_authorities: [%s]\n", certFile, keyFile, caFile), 1)
	c := consumeLight(t, b.Addr(), "tls")
	startAgent(t, parseConfig(t, text))

	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(ca.PEM())
	pair, err := tls.X509KeyPair(client.CertPEM, client.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	send := func(name string, certs []tls.Certificate) error {
		var conn *tls.Conn
		await.Eventually(t, 30*time.Second, 20*time.Millisecond, func() (err error) {
			conn, err = tls.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", tcp), &tls.Config{RootCAs: roots, Certificates: certs})
			return err
		})
		defer conn.Close()
		var buf []byte
		for i := range n {
			msg := fmt.Sprintf("<14>1 2024-01-02T03:04:05Z h app - - - %s", lineText(name, i))
			buf = fmt.Appendf(buf, "%d %s", len(msg), msg)
		}
		if _, err := conn.Write(buf); err != nil {
			return err
		}
		// The server refuses a client without a certificate after its
		// handshake: the refusal comes back on the next read.
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, err := conn.Read(make([]byte, 1))
		return err
	}
	_ = send("anonymous", nil)
	_ = send("signed", []tls.Certificate{pair})
	awaitDelivered(t, c, map[string]int{"signed": n})
	if dups, err := tallyIDs(t, c, map[string]int{"signed": n}); err != nil || dups != 0 {
		t.Fatalf("%d duplicates, %v", dups, err)
	}
	if got := c.countPrefix("anonymous"); got != 0 {
		t.Fatalf("%d messages from a client without a certificate", got)
	}
}
