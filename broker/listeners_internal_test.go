package broker

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sluicelogs/sluice/internal/pemtls"
)

func TestListenersConfig(t *testing.T) {
	dir := t.TempDir()
	ca, err := pemtls.NewCA("ca", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	node, err := ca.Issue("broker", []string{"127.0.0.1"}, time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	ks, ts := filepath.Join(dir, "node.pem"), filepath.Join(dir, "ca.pem")
	os.WriteFile(ks, node.KeyStore(), 0o600)
	os.WriteFile(ts, ca.PEM(), 0o600)
	c, warns, err := parseConfig(`zookeeper.connect=h:2181
listeners=PLAINTEXT://0.0.0.0:9092,SSL://:9093,INTERNAL://10.0.0.5:9094
advertised.listeners=PLAINTEXT://kafka-1:9092,SSL://kafka-1.example:9093,INTERNAL://10.0.0.5:9094
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SSL:SSL,INTERNAL:SSL
inter.broker.listener.name=INTERNAL
ssl.keystore.type=PEM
ssl.keystore.location=` + ks + `
ssl.truststore.location=` + ts + `
ssl.client.auth=requested
listener.name.internal.ssl.client.auth=required
listener.name.internal.ssl.endpoint.identification.algorithm=
`)
	if err != nil || len(warns) > 0 {
		t.Fatalf("%v %v", err, warns)
	}
	want := []Listener{
		{"PLAINTEXT", "0.0.0.0:9092", "kafka-1", 9092},
		{"SSL", ":9093", "kafka-1.example", 9093},
		{"INTERNAL", "10.0.0.5:9094", "10.0.0.5", 9094},
	}
	if got := c.AllListeners(); !reflect.DeepEqual(got, want) {
		t.Fatalf("listeners %+v", got)
	}
	if c.Protocol("INTERNAL") != "SSL" || c.interBrokerListener() != "INTERNAL" {
		t.Fatalf("INTERNAL is %q, inter-broker %q", c.Protocol("INTERNAL"), c.interBrokerListener())
	}
	if s := c.sslFor("SSL"); s.ClientAuth != "requested" || s.EndpointIdentificationAlgorithm != "https" {
		t.Fatalf("SSL listener's settings %+v", s)
	}
	if s := c.sslFor("INTERNAL"); s.ClientAuth != "required" || s.EndpointIdentificationAlgorithm != "" || s.KeystoreLocation != ks {
		t.Fatalf("INTERNAL listener's settings %+v", s)
	}
	// What Render writes reads back the same.
	back, _, err := parseConfig(string(c.Render()))
	if err != nil {
		t.Fatalf("%v\n%s", err, c.Render())
	}
	if !reflect.DeepEqual(back.AllListeners(), want) || back.sslFor("INTERNAL").ClientAuth != "required" || back.InterBrokerListener != "INTERNAL" {
		t.Fatalf("rendered:\n%s", c.Render())
	}

	// security.inter.broker.protocol names the listener as Kafka's does.
	c, _, err = parseConfig("zookeeper.connect=h:2181\nlisteners=SSL://:9093\nsecurity.inter.broker.protocol=SSL\nssl.keystore.location=" + ks + "\n")
	if err != nil || c.interBrokerListener() != "SSL" {
		t.Fatalf("%v %+v", err, c)
	}
}

func TestListenersConfigErrors(t *testing.T) {
	dir := t.TempDir()
	enc := filepath.Join(dir, "enc.pem")
	os.WriteFile(enc, []byte("-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n-----BEGIN ENCRYPTED PRIVATE KEY-----\nAA==\n-----END ENCRYPTED PRIVATE KEY-----\n"), 0o600)
	const zk = "zookeeper.connect=h:2181\n"
	for _, tc := range []struct{ text, want string }{
		{zk + "listeners=PLAINTEXT://:9092,PLAINTEXT://:9093\n", "server.properties:2: listeners: listener name PLAINTEXT given twice"},
		{zk + "listeners=PLAINTEXT://:9092,SSL://:9092\n", "listeners: SSL: port 9092 is bound by another listener"},
		{zk + "listeners=PLAINTEXT://:9092,FOO://:9093\n", "listener.security.protocol.map: gives no security protocol for listener FOO"},
		{zk + "listeners=PLAINTEXT://:9092,FOO://:9093\nlistener.security.protocol.map=PLAINTEXT:PLAINTEXT,FOO:TLS\n", `server.properties:3: listener.security.protocol.map: FOO: unknown security protocol "TLS"`},
		{zk + "listeners=PLAINTEXT://:9092,SASL_PLAINTEXT://:9093\n", "sasl.enabled.mechanisms: GSSAPI is not supported by sluice"},
		{zk + "listeners=PLAINTEXT:/:9092\n", `server.properties:2: listeners: "PLAINTEXT:/:9092" is not NAME://host:port`},
		{zk + "advertised.listeners=SSL://h:9093\n", "server.properties:2: advertised.listeners: SSL is not a listener in listeners"},
		{zk + "listeners=PLAINTEXT://:9092,SSL://:9093\ninter.broker.listener.name=INTERNAL\nssl.keystore.location=/k.pem\n", "server.properties:3: inter.broker.listener.name: INTERNAL is not an advertised listener"},
		{zk + "listeners=PLAINTEXT://:9092,SSL://:9093\n", "ssl.keystore.location: an SSL listener needs a key store"},
		{zk + "listeners=PLAINTEXT://:9092,SSL://:9093\nssl.keystore.location=/etc/kafka/broker.jks\n", "server.properties:3: ssl.keystore.location: JKS stores are not supported, only PEM"},
		{zk + "listeners=PLAINTEXT://:9092,SSL://:9093\nssl.keystore.type=PKCS12\nssl.keystore.location=/k.p12\n", "ssl.keystore.location: PKCS12 stores are not supported"},
		{zk + "listeners=PLAINTEXT://:9092,SSL://:9093\nssl.keystore.location=" + enc + "\nssl.key.password=secret\n", "server.properties:3: ssl.keystore.location: " + enc + ": the private key is encrypted"},
		{zk + "listeners=PLAINTEXT://:9092,SSL://:9093\nlistener.name.ssl.ssl.keystore.location=/missing.pem\n", "server.properties:3: listener.name.ssl.ssl.keystore.location: open /missing.pem"},
		{zk + "listeners=PLAINTEXT://:9092,SSL://:9093\nssl.keystore.certificate.chain=x\nssl.keystore.key=y\n", "ssl.keystore.type: inline key stores"},
		{zk + "listeners=PLAINTEXT://:9092,SSL://:9093\nssl.enabled.protocols=TLSv1.1\nssl.keystore.location=/k.pem\n", `server.properties:3: ssl.enabled.protocols: "TLSv1.1": only TLSv1.2 and TLSv1.3`},
		{zk + "listeners=PLAINTEXT://:9092,SSL://:9093\nssl.principal.mapping.rules=RULE:^CN=(.*)$/$1/\nssl.keystore.location=/k.pem\n", "ssl.principal.mapping.rules: only DEFAULT"},
	} {
		if _, _, err := parseConfig(tc.text); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q:\nerror %v\nwant  %q", tc.text, err, tc.want)
		}
	}
}

// TestCertPrincipal: a client certificate's principal is its subject DN
// as Java prints it (RFC 2253, the last RDN first).
func TestCertPrincipal(t *testing.T) {
	for _, tc := range []struct {
		subject pkix.Name
		want    string
	}{
		{pkix.Name{CommonName: "alice", OrganizationalUnit: []string{"eng"}, Organization: []string{"corp"}}, "User:CN=alice,OU=eng,O=corp"},
		{pkix.Name{CommonName: "a,b+c", Country: []string{"DE"}, Locality: []string{"Berlin"}}, `User:CN=a\,b\+c,L=Berlin,C=DE`},
		{pkix.Name{CommonName: " x", ExtraNames: []pkix.AttributeTypeAndValue{{Type: asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}, Value: "a@b"}}}, `User:1.2.840.113549.1.9.1=#0c03614062,CN=\ x`},
	} {
		if got := certPrincipal(selfSigned(t, tc.subject)); got != tc.want {
			t.Errorf("%v: %q, want %q", tc.subject, got, tc.want)
		}
	}
}

func selfSigned(t *testing.T, subject pkix.Name) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: subject, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

// TestHandshakePrincipal: after the handshake on an SSL listener a
// connection's principal is its client certificate's; without one it
// stays User:ANONYMOUS.
func TestHandshakePrincipal(t *testing.T) {
	ca, _ := pemtls.NewCA("ca", time.Hour)
	srv, _ := ca.Issue("broker", []string{"127.0.0.1"}, time.Time{}, time.Time{})
	cli, _ := ca.Issue("alice", nil, time.Time{}, time.Time{})
	s := SSLConfig{KeystoreCertificateChain: string(srv.CertPEM), KeystoreKey: string(srv.KeyPEM), KeystoreType: "PEM",
		TruststoreCertificates: string(ca.PEM()), TruststoreType: "PEM", ClientAuth: "requested", EnabledProtocols: "TLSv1.3", Protocol: "TLSv1.3", PrincipalMappingRules: "DEFAULT"}
	stls, err := s.serverTLS()
	if err != nil {
		t.Fatal(err)
	}
	b := &Broker{log: slog.New(slog.DiscardHandler), metrics: newMetrics()}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca.PEM())
	for _, tc := range []struct {
		cert bool
		want string
	}{{true, "User:CN=alice"}, {false, anonymousPrincipal}} {
		a, z := net.Pipe()
		c := &conn{b: b, nc: a, listener: &listener{Listener: Listener{Name: "SSL"}, protocol: protoSSL, tls: stls}, principal: anonymousPrincipal}
		ccfg := &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}
		if tc.cert {
			kp, _ := tls.X509KeyPair(cli.CertPEM, cli.KeyPEM)
			ccfg.Certificates = []tls.Certificate{kp}
		}
		done := make(chan error, 1)
		go func() { done <- tls.Client(z, ccfg).HandshakeContext(context.Background()) }()
		if !c.handshake(context.Background()) {
			t.Fatal("handshake failed")
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if c.principal != tc.want || c.listenerName() != "SSL" {
			t.Errorf("principal %q on %s, want %q", c.principal, c.listenerName(), tc.want)
		}
		a.Close()
		z.Close()
	}
}
