package clientsec

import (
	"crypto/tls"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicelogs/sluice/internal/config"
	"github.com/sluicelogs/sluice/internal/pemtls"
)

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://elastic:changeme@es.example:9200":  "https://elastic:xxxxx@es.example:9200",
		"http://u:p%40ss@127.0.0.1:9200/prefix":     "http://u:xxxxx@127.0.0.1:9200/prefix",
		"https://es.example:9200":                   "https://es.example:9200",
		"https://onlyuser@es.example":               "https://onlyuser@es.example",
		"http://u:p%zz@host:9200/x":                 "http://u:xxxxx@host:9200/x",
		"127.0.0.1:9200":                            "127.0.0.1:9200",
		"http://u:pass@with@at@host:9200/_bulk?x=1": "http://u:xxxxx@host:9200/_bulk?x=1",
	} {
		if got := RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
		if strings.Contains(RedactURL(in), "changeme") || strings.Contains(RedactURL(in), "p%40ss") {
			t.Errorf("%q: the password is still there", in)
		}
	}
}

// pki writes a CA and a client certificate for 127.0.0.1 into a folder.
func pki(t *testing.T) (dir string, ca *pemtls.CA) {
	t.Helper()
	dir = t.TempDir()
	ca, err := pemtls.NewCA("test CA", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ca.Issue("client", []string{"127.0.0.1"}, time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"ca.pem": ca.PEM(), "client.pem": c.CertPEM, "client.key": c.KeyPEM, "junk.pem": []byte("not pem")} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir, ca
}

func TestKafkaValidate(t *testing.T) {
	dir, _ := pki(t)
	f := func(n string) string { return filepath.Join(dir, n) }
	yes, no := true, false
	cases := []struct {
		name string
		k    Kafka
		want []string // substrings of the errors, in order; none: valid
		tls  bool
	}{
		{name: "nothing", k: Kafka{}},
		{name: "plain sasl", k: Kafka{Username: "u", Password: "p"}},
		{name: "dotted ssl", k: Kafka{DottedSSL: DottedSSL{SSLCertificateAuthorities: []string{f("ca.pem")}, SSLVerificationMode: "certificate"}}, tls: true},
		{name: "enabled only", k: Kafka{SSL: SSL{Enabled: &yes}}, tls: true},
		{name: "disabled with keys", k: Kafka{SSL: SSL{Enabled: &no, CertificateAuthorities: []string{f("ca.pem")}}}},
		{name: "client cert", k: Kafka{SSL: SSL{Certificate: f("client.pem"), Key: f("client.key"), SupportedProtocols: []string{"TLSv1.3"}}}, tls: true},
		{name: "twice", k: Kafka{SSL: SSL{Key: f("client.key"), Certificate: f("client.pem")}, DottedSSL: DottedSSL{SSLKey: f("client.key")}}, want: []string{"out.ssl.key: given twice"}},
		{name: "bad values", k: Kafka{SSL: SSL{VerificationMode: "maybe", SupportedProtocols: []string{"SSLv3"}, Certificate: f("client.pem")}, SASL: struct {
			Mechanism string `yaml:"mechanism"`
		}{"GSSAPI"}},
			want: []string{`out.ssl.verification_mode: "maybe"`, `out.ssl.supported_protocols[0]: "SSLv3"`, "out.ssl.key: required", `out.sasl.mechanism: "GSSAPI"`, "out.username: required"}},
		{name: "bad files", k: Kafka{SSL: SSL{CertificateAuthorities: []string{f("junk.pem")}, Certificate: f("missing.pem"), Key: f("client.key")}},
			want: []string{"out.ssl.certificate_authorities: " + f("junk.pem") + ": no PEM certificate", "out.ssl.certificate: open " + f("missing.pem")}},
	}
	for _, c := range cases {
		var errs config.Errors
		c.k.Validate("out.", &errs)
		if len(errs) != len(c.want) {
			t.Errorf("%s: errors %v, want %d", c.name, errs, len(c.want))
			continue
		}
		for i, w := range c.want {
			if !strings.Contains(errs[i].Error(), w) {
				t.Errorf("%s: error %d %q, want %q", c.name, i, errs[i], w)
			}
		}
		if len(c.want) == 0 && (c.k.SSL.Config() != nil) != c.tls {
			t.Errorf("%s: TLS %v, want %v", c.name, c.k.SSL.Config() != nil, c.tls)
		}
		if len(c.want) == 0 && len(c.k.Options()) != btoi(c.tls)+btoi(c.k.Username != "") {
			t.Errorf("%s: %d options", c.name, len(c.k.Options()))
		}
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestVerificationModes dials a TLS server whose certificate names
// another host: full refuses it, certificate and none accept it, and
// certificate still refuses a certificate from an unknown CA.
func TestVerificationModes(t *testing.T) {
	dir, ca := pki(t)
	other, err := pemtls.NewCA("other CA", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	serve := func(ca *pemtls.CA) string {
		c, err := ca.Issue("server", []string{"es.example"}, time.Time{}, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		cert, err := tls.X509KeyPair(c.CertPEM, c.KeyPEM)
		if err != nil {
			t.Fatal(err)
		}
		ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				_ = c.(*tls.Conn).Handshake()
				c.Close()
			}
		}()
		return ln.Addr().String()
	}
	ours, theirs := serve(ca), serve(other)
	for _, c := range []struct {
		mode, addr string
		ok         bool
	}{
		{"full", ours, false}, {"strict", ours, false}, {"certificate", ours, true}, {"none", ours, true},
		{"certificate", theirs, false}, {"none", theirs, true},
	} {
		s := SSL{CertificateAuthorities: []string{filepath.Join(dir, "ca.pem")}, VerificationMode: c.mode}
		var errs config.Errors
		s.Validate("", &errs)
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		cfg := s.Config()
		cfg.ServerName, _, _ = net.SplitHostPort(c.addr)
		conn, err := tls.Dial("tcp", c.addr, cfg)
		if conn != nil {
			conn.Close()
		}
		if (err == nil) != c.ok {
			t.Errorf("%s against %s: %v, want ok=%v", c.mode, c.addr, err, c.ok)
		}
	}
}
