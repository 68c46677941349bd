package coordinator

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestConfigSecureClientPort: the secure client port's keys as ZooKeeper
// writes them in zoo.cfg, read back from Render.
func TestConfigSecureClientPort(t *testing.T) {
	path := writeCfg(t, strings.Join([]string{
		"dataDir=DATADIR", "clientPort=2181", "secureClientPort=2281", "secureClientPortAddress=127.0.0.1",
		"serverCnxnFactory=org.apache.zookeeper.server.NettyServerCnxnFactory",
		"authProvider.x509=org.apache.zookeeper.server.auth.X509AuthenticationProvider",
		"ssl.keyStore.location=/tls/server.pem", "ssl.keyStore.type=PEM",
		"ssl.trustStore.location=/tls/ca.crt", "ssl.trustStore.password=ignored",
		"ssl.clientAuth=want", "ssl.hostnameVerification=false", "ssl.enabledProtocols=TLSv1.3, TLSv1.2",
		"DigestAuthenticationProvider.superDigest=super:D/InIHSb7yEEbrWz8b9l71RjZJU=",
		"X509AuthenticationProvider.superUser=CN=admin,O=corp",
	}, "\n")+"\n", "")
	c, warnings, err := LoadConfig(path)
	if err != nil || len(warnings) != 1 || !strings.Contains(warnings[0].Error(), "serverCnxnFactory") {
		t.Fatalf("%v; warnings %v (want only serverCnxnFactory's)", err, warnings)
	}
	want := ClientTLS{
		KeyStore: "/tls/server.pem", KeyStoreType: "PEM", TrustStore: "/tls/ca.crt", TrustStorePassword: "ignored",
		ClientAuth: "want", EnabledProtocols: []string{"TLSv1.3", "TLSv1.2"},
	}
	if c.SecureClientAddr != "127.0.0.1:2281" || !reflect.DeepEqual(c.ClientTLS, want) || c.SuperDigest != "super:D/InIHSb7yEEbrWz8b9l71RjZJU=" || c.X509SuperUser != "CN=admin,O=corp" {
		t.Fatalf("read %q %+v %q", c.SecureClientAddr, c.ClientTLS, c.SuperDigest)
	}
	c.File = filepath.Join(t.TempDir(), "zoo.cfg")
	if err := os.WriteFile(c.File, c.Render(), 0o644); err != nil {
		t.Fatal(err)
	}
	back, warnings, err := LoadConfig(c.File)
	if err != nil || len(warnings) > 0 || !reflect.DeepEqual(*back, *c) {
		t.Fatalf("rendered\n%s\nloaded %+v, %v, %v\nwant   %+v", c.Render(), back, err, warnings, *c)
	}
}

// TestConfigSecureClientPortErrors: stores required and PEM, and the
// values of ssl.clientAuth, ssl.enabledProtocols and superDigest checked.
func TestConfigSecureClientPortErrors(t *testing.T) {
	path := writeCfg(t, "dataDir=DATADIR\nsecureClientPort=2281\nssl.keyStore.location=/tls/server.jks\nssl.clientAuth=sometimes\nssl.protocol=SSLv3\nDigestAuthenticationProvider.superDigest=root:x\n", "")
	_, _, err := LoadConfig(path)
	for _, want := range []string{
		path + ":3: ssl.keyStore.location: JKS stores are not supported, only PEM",
		path + ": ssl.trustStore.location: is required with secureClientPort",
		path + `:4: ssl.clientAuth: "sometimes" is not need, want or none`,
		path + `: ssl.enabledProtocols: "SSLv3" is not supported`,
		path + `:6: DigestAuthenticationProvider.superDigest: want super:`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("error\n%v\nwant it to contain\n%s", err, want)
		}
	}
}

// TestX509ID: a certificate's subject as X500Principal.getName() writes
// it: most specific first, keywords for the types it knows, the others
// as OID=#hex, special characters escaped.
func TestX509ID(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	email := asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}
	subject := pkix.Name{
		Country: []string{"DE"}, Organization: []string{"Corp, Inc."}, OrganizationalUnit: []string{"logs"},
		CommonName: "alice+ops", ExtraNames: []pkix.AttributeTypeAndValue{{Type: email, Value: "a@corp"}},
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: subject, NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	got, err := x509ID(cert)
	want := `1.2.840.113549.1.9.1=#0c066140636f7270,CN=alice\+ops,OU=logs,O=Corp\, Inc.,C=DE`
	if err != nil || got != want {
		t.Fatalf("x509ID = %q, %v; want %q", got, err, want)
	}
}

// TestConfigSecureClientPortOnly: a zoo.cfg with secureClientPort and no
// clientPort has no plaintext port, as ZooKeeper's; with neither port
// the default clientPort stays.
func TestConfigSecureClientPortOnly(t *testing.T) {
	path := writeCfg(t, "dataDir=DATADIR\nsecureClientPort=2281\nssl.keyStore.location=/tls/server.pem\nssl.trustStore.location=/tls/ca.pem\n", "")
	c, _, err := LoadConfig(path)
	if err != nil || c.ClientAddr != "" || c.SecureClientAddr != "0.0.0.0:2281" {
		t.Fatalf("%q %q %v", c.ClientAddr, c.SecureClientAddr, err)
	}
	if err := os.WriteFile(path, c.Render(), 0o644); err != nil {
		t.Fatal(err)
	}
	back, _, err := LoadConfig(path)
	if err != nil || back.ClientAddr != "" || back.SecureClientAddr != c.SecureClientAddr {
		t.Fatalf("rendered\n%s\nread back %q %q %v", c.Render(), back.ClientAddr, back.SecureClientAddr, err)
	}
	c.SecureClientAddr = ""
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "clientPort: is required without secureClientPort") {
		t.Fatalf("no port at all: %v", err)
	}
}
