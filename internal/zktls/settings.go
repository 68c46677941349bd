package zktls

import (
	"crypto/tls"
	"fmt"
	"strings"

	"github.com/sluicelogs/sluice/internal/config"
	"github.com/sluicelogs/sluice/internal/pemtls"
)

// Netty is the class name zookeeper.clientCnxnSocket takes for TLS.
const Netty = "org.apache.zookeeper.ClientCnxnSocketNetty"

// Settings are a ZooKeeper client's TLS settings.
type Settings struct {
	Enable             bool   // zookeeper.ssl.client.enable / zookeeper.client.secure
	CnxnSocket         string // zookeeper.clientCnxnSocket: "" or ZooKeeper's Netty socket
	KeyStore           string // key store location: PEM, the client's certificate and key
	KeyStorePassword   string // only "" (unencrypted keys)
	KeyStoreType       string // PEM, or "" to go by the extension
	TrustStore         string // trust store location: PEM, the CAs the server's certificate chains to
	TrustStorePassword string // ignored for PEM
	TrustStoreType     string // PEM, or ""
	Protocol           string // TLSv1.2 (the default of both) or TLSv1.3
	EndpointIDAlg      string // HTTPS (default: the server's certificate must name the host dialed) or "" for no host name check
}

// Defaults are Kafka's and ZooKeeper's.
func Defaults() Settings { return Settings{Protocol: "TLSv1.2", EndpointIDAlg: "HTTPS"} }

// Keys names the settings in one spelling.
type Keys struct {
	Enable, CnxnSocket                             string
	KeyStore, KeyStorePassword, KeyStoreType       string
	TrustStore, TrustStorePassword, TrustStoreType string
	Protocol                                       string
	// HostCheck is Kafka's endpoint identification algorithm (HTTPS or
	// empty) when HostCheckBool is false, ZooKeeper's
	// hostnameVerification (true or false) when it is true.
	HostCheck     string
	HostCheckBool bool
	// CRL and OCSP name the revocation checks, which are not done: Load
	// refuses them set to true rather than connect without them.
	CRL, OCSP string
}

// KafkaKeys are Kafka's zookeeper.ssl.* keys (server.properties and the
// tools' --zk-tls-config-file).
var KafkaKeys = Keys{
	Enable: "zookeeper.ssl.client.enable", CnxnSocket: "zookeeper.clientCnxnSocket",
	KeyStore: "zookeeper.ssl.keystore.location", KeyStorePassword: "zookeeper.ssl.keystore.password", KeyStoreType: "zookeeper.ssl.keystore.type",
	TrustStore: "zookeeper.ssl.truststore.location", TrustStorePassword: "zookeeper.ssl.truststore.password", TrustStoreType: "zookeeper.ssl.truststore.type",
	Protocol: "zookeeper.ssl.protocol", HostCheck: "zookeeper.ssl.endpoint.identification.algorithm",
	CRL: "zookeeper.ssl.crl.enable", OCSP: "zookeeper.ssl.ocsp.enable",
}

// ZooKeeperKeys are ZooKeeper's client properties (ZKClientConfig, read
// by zkCli.sh -client-configuration), the names Kafka maps its keys to.
var ZooKeeperKeys = Keys{
	Enable: "zookeeper.client.secure", CnxnSocket: "zookeeper.clientCnxnSocket",
	KeyStore: "zookeeper.ssl.keyStore.location", KeyStorePassword: "zookeeper.ssl.keyStore.password", KeyStoreType: "zookeeper.ssl.keyStore.type",
	TrustStore: "zookeeper.ssl.trustStore.location", TrustStorePassword: "zookeeper.ssl.trustStore.password", TrustStoreType: "zookeeper.ssl.trustStore.type",
	Protocol: "zookeeper.ssl.protocol", HostCheck: "zookeeper.ssl.hostnameVerification", HostCheckBool: true,
	CRL: "zookeeper.ssl.crl", OCSP: "zookeeper.ssl.ocsp",
}

func (k Keys) strings(s *Settings) []struct {
	key string
	v   *string
} {
	return []struct {
		key string
		v   *string
	}{
		{k.CnxnSocket, &s.CnxnSocket},
		{k.KeyStore, &s.KeyStore}, {k.KeyStorePassword, &s.KeyStorePassword}, {k.KeyStoreType, &s.KeyStoreType},
		{k.TrustStore, &s.TrustStore}, {k.TrustStorePassword, &s.TrustStorePassword}, {k.TrustStoreType, &s.TrustStoreType},
		{k.Protocol, &s.Protocol},
	}
}

// Read reads the settings spelt as k from p over s's values; errors go to
// add.
func (k Keys) Read(p *config.Properties, s *Settings, add func(error)) {
	b, err := p.Bool(k.Enable, s.Enable)
	add(err)
	s.Enable = b
	for _, f := range k.strings(s) {
		*f.v = strings.TrimSpace(p.String(f.key, *f.v))
	}
	if !k.HostCheckBool {
		s.EndpointIDAlg = strings.TrimSpace(p.String(k.HostCheck, s.EndpointIDAlg))
		return
	}
	on, err := p.Bool(k.HostCheck, s.EndpointIDAlg != "")
	add(err)
	s.EndpointIDAlg = ""
	if on {
		s.EndpointIDAlg = "HTTPS"
	}
}

// Validate checks s, naming its keys as k spells them.
func (k Keys) Validate(s Settings) config.Errors {
	var errs config.Errors
	if s.CnxnSocket != "" && s.CnxnSocket != Netty {
		errs.Addf(k.CnxnSocket, "%q: only %s is accepted", s.CnxnSocket, Netty)
	}
	if !s.Enable {
		return errs
	}
	if s.TrustStore == "" {
		errs.Addf(k.TrustStore, "is required with %s=true", k.Enable)
	}
	for _, st := range []struct{ location, typ, locKey, typKey string }{
		{s.KeyStore, s.KeyStoreType, k.KeyStore, k.KeyStoreType},
		{s.TrustStore, s.TrustStoreType, k.TrustStore, k.TrustStoreType},
	} {
		if st.location == "" {
			continue
		}
		key := st.typKey
		if st.typ == "" {
			key = st.locKey
		}
		if err := pemtls.CheckStoreType(st.location, st.typ, st.typKey); err != nil {
			errs.Addf(key, "%v", err)
		}
	}
	if s.KeyStorePassword != "" {
		errs.Addf(k.KeyStorePassword, "only unencrypted PEM keys are read: leave it empty")
	}
	if _, err := TLSVersion(s.Protocol); err != nil {
		errs.Addf(k.Protocol, "%v", err)
	}
	if a := s.EndpointIDAlg; !k.HostCheckBool && a != "" && !strings.EqualFold(a, "HTTPS") {
		errs.Addf(k.HostCheck, "%q is not HTTPS or empty", a)
	}
	return errs
}

// Render writes the settings that differ from Defaults, spelt as k.
func (k Keys) Render(s Settings, line func(string, any)) {
	def := Defaults()
	if s.Enable {
		line(k.Enable, true)
	}
	for i, f := range k.strings(&s) {
		if d := *k.strings(&def)[i].v; *f.v != d {
			line(f.key, *f.v)
		}
	}
	if s.EndpointIDAlg != def.EndpointIDAlg {
		if k.HostCheckBool {
			line(k.HostCheck, s.EndpointIDAlg != "")
		} else {
			line(k.HostCheck, s.EndpointIDAlg)
		}
	}
}

// ClientAuth tells whether s gives the client a certificate, as Kafka's
// KafkaConfig.zkTlsClientAuthEnabled decides: TLS on, a client socket
// named and a key store. Kafka's tools that take --zk-tls-config-file
// create znodes with secure ACLs then.
func (s Settings) ClientAuth() bool {
	return s.Enable && s.CnxnSocket != "" && s.KeyStore != ""
}

// TLSVersion maps a protocol setting to the highest version allowed (from
// TLS 1.2): a Java SSLContext of that protocol also speaks the versions
// before it.
func TLSVersion(protocol string) (uint16, error) {
	switch protocol {
	case "TLSv1.2":
		return tls.VersionTLS12, nil
	case "TLSv1.3", "TLS", "":
		return tls.VersionTLS13, nil
	}
	return 0, fmt.Errorf("%q is not supported (TLSv1.2, TLSv1.3)", protocol)
}
