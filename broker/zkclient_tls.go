package broker

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/sluicelogs/sluice/internal/config"
	"github.com/sluicelogs/sluice/internal/pemtls"
)

// The broker's client of the coordinator (or ZooKeeper) over TLS, with
// Kafka's zookeeper.ssl.* keys, and zookeeper.set.acl: Kafka's secure
// ACLs on the znodes the broker creates.
//
// Kafka's ZooKeeper client reads ZooKeeper's client properties under
// Kafka's names; only PEM stores are read here (internal/pemtls). The
// client socket is always Go's: zookeeper.clientCnxnSocket is accepted
// when it names ZooKeeper's Netty socket, which Kafka requires for TLS.
// With zookeeper.ssl.endpoint.identification.algorithm=HTTPS (the
// default) the server's certificate must name the host dialed; empty
// turns that check off, the chain is still verified.
//
// With zookeeper.set.acl=true the broker creates its znodes as Kafka's
// ZkData.defaultAcls does: its creator (the "auth" scheme: the broker's
// own x509 identity over TLS) may do everything and everyone may read,
// except below the sensitive paths (/config/users with SCRAM
// credentials, /config/brokers, /delegation_token), which only the
// creator may read; /consumers stays open. As in Kafka, it needs an
// identity: zookeeper.set.acl=true without zookeeper.ssl.client.enable
// and a key store is refused.

// netty is the class name zookeeper.clientCnxnSocket takes for TLS.
const netty = "org.apache.zookeeper.ClientCnxnSocketNetty"

// ZooKeeperTLS holds Kafka's zookeeper.ssl.* keys and zookeeper.set.acl.
type ZooKeeperTLS struct {
	Enable             bool   // zookeeper.ssl.client.enable
	CnxnSocket         string // zookeeper.clientCnxnSocket: "" or ZooKeeper's Netty socket
	KeyStore           string // zookeeper.ssl.keystore.location: PEM, the broker's certificate and key
	KeyStorePassword   string // zookeeper.ssl.keystore.password: only "" (unencrypted keys)
	KeyStoreType       string // zookeeper.ssl.keystore.type: PEM, or "" to go by the extension
	TrustStore         string // zookeeper.ssl.truststore.location: PEM, the CAs the server's certificate chains to
	TrustStorePassword string // zookeeper.ssl.truststore.password: ignored for PEM
	TrustStoreType     string // zookeeper.ssl.truststore.type: PEM, or ""
	Protocol           string // zookeeper.ssl.protocol: TLSv1.2 (Kafka's default) or TLSv1.3
	EndpointIDAlg      string // zookeeper.ssl.endpoint.identification.algorithm: HTTPS (default) or "" for no host name check
	SetACL             bool   // zookeeper.set.acl
}

// zooKeeperTLSDefaults are Kafka's.
func zooKeeperTLSDefaults() ZooKeeperTLS {
	return ZooKeeperTLS{Protocol: "TLSv1.2", EndpointIDAlg: "HTTPS"}
}

// readZooKeeperTLS reads the keys from p.
func (c *Config) readZooKeeperTLS(p *config.Properties, add func(error)) {
	z := &c.ZooKeeperTLS
	for _, k := range []struct {
		key string
		v   *bool
	}{{"zookeeper.ssl.client.enable", &z.Enable}, {"zookeeper.set.acl", &z.SetACL}} {
		b, err := p.Bool(k.key, *k.v)
		add(err)
		*k.v = b
	}
	for _, k := range []struct {
		key string
		v   *string
	}{
		{"zookeeper.clientCnxnSocket", &z.CnxnSocket},
		{"zookeeper.ssl.keystore.location", &z.KeyStore}, {"zookeeper.ssl.keystore.password", &z.KeyStorePassword}, {"zookeeper.ssl.keystore.type", &z.KeyStoreType},
		{"zookeeper.ssl.truststore.location", &z.TrustStore}, {"zookeeper.ssl.truststore.password", &z.TrustStorePassword}, {"zookeeper.ssl.truststore.type", &z.TrustStoreType},
		{"zookeeper.ssl.protocol", &z.Protocol}, {"zookeeper.ssl.endpoint.identification.algorithm", &z.EndpointIDAlg},
	} {
		*k.v = strings.TrimSpace(p.String(k.key, *k.v))
	}
}

// validateZooKeeperTLS checks the keys.
func (c *Config) validateZooKeeperTLS() config.Errors {
	var errs config.Errors
	z := c.ZooKeeperTLS
	if z.SetACL && (!z.Enable || z.KeyStore == "") {
		errs.Addf("zookeeper.set.acl", "true needs an identity for the broker: zookeeper.ssl.client.enable=true and zookeeper.ssl.keystore.location (SASL to ZooKeeper is not supported)")
	}
	if z.CnxnSocket != "" && z.CnxnSocket != netty {
		errs.Addf("zookeeper.clientCnxnSocket", "%q: only %s is accepted", z.CnxnSocket, netty)
	}
	if !z.Enable {
		return errs
	}
	if z.TrustStore == "" {
		errs.Addf("zookeeper.ssl.truststore.location", "is required with zookeeper.ssl.client.enable=true")
	}
	for _, s := range []struct{ name, location, typ string }{
		{"keystore", z.KeyStore, z.KeyStoreType},
		{"truststore", z.TrustStore, z.TrustStoreType},
	} {
		if s.location == "" {
			continue
		}
		locKey, typKey := "zookeeper.ssl."+s.name+".location", "zookeeper.ssl."+s.name+".type"
		key := typKey
		if s.typ == "" {
			key = locKey
		}
		if err := pemtls.CheckStoreType(s.location, s.typ, typKey); err != nil {
			errs.Addf(key, "%v", err)
		}
	}
	if z.KeyStorePassword != "" {
		errs.Addf("zookeeper.ssl.keystore.password", "only unencrypted PEM keys are read: leave it empty")
	}
	if _, err := tlsVersion(z.Protocol); err != nil {
		errs.Addf("zookeeper.ssl.protocol", "%v", err)
	}
	if a := z.EndpointIDAlg; a != "" && !strings.EqualFold(a, "HTTPS") {
		errs.Addf("zookeeper.ssl.endpoint.identification.algorithm", "%q is not HTTPS or empty", a)
	}
	return errs
}

// renderZooKeeperTLS writes the keys that differ from Kafka's defaults.
func (c *Config) renderZooKeeperTLS(line func(string, any)) {
	z, def := c.ZooKeeperTLS, zooKeeperTLSDefaults()
	if z.Enable {
		line("zookeeper.ssl.client.enable", true)
	}
	if z.SetACL {
		line("zookeeper.set.acl", true)
	}
	for _, k := range []struct{ key, v, def string }{
		{"zookeeper.clientCnxnSocket", z.CnxnSocket, ""},
		{"zookeeper.ssl.keystore.location", z.KeyStore, ""}, {"zookeeper.ssl.keystore.password", z.KeyStorePassword, ""}, {"zookeeper.ssl.keystore.type", z.KeyStoreType, ""},
		{"zookeeper.ssl.truststore.location", z.TrustStore, ""}, {"zookeeper.ssl.truststore.password", z.TrustStorePassword, ""}, {"zookeeper.ssl.truststore.type", z.TrustStoreType, ""},
		{"zookeeper.ssl.protocol", z.Protocol, def.Protocol}, {"zookeeper.ssl.endpoint.identification.algorithm", z.EndpointIDAlg, def.EndpointIDAlg},
	} {
		if k.v != k.def {
			line(k.key, k.v)
		}
	}
}

// tlsVersion maps zookeeper.ssl.protocol to the highest version allowed
// (from TLS 1.2): a Java SSLContext of that protocol also speaks the
// versions before it.
func tlsVersion(protocol string) (uint16, error) {
	switch protocol {
	case "TLSv1.2":
		return tls.VersionTLS12, nil
	case "TLSv1.3", "TLS", "":
		return tls.VersionTLS13, nil
	}
	return 0, fmt.Errorf("%q is not supported (TLSv1.2, TLSv1.3)", protocol)
}

// zkDialer returns the ZooKeeper client's dialer over TLS when
// zookeeper.ssl.client.enable is set, nil otherwise.
func zkDialer(cfg *Config) (zk.Dialer, error) {
	z := cfg.ZooKeeperTLS
	if !z.Enable {
		return nil, nil
	}
	pool, err := pemtls.LoadPool(z.TrustStore)
	if err != nil {
		return nil, fmt.Errorf("broker: zookeeper.ssl.truststore.location: %w", err)
	}
	hi, err := tlsVersion(z.Protocol)
	if err != nil {
		return nil, fmt.Errorf("broker: zookeeper.ssl.protocol: %w", err)
	}
	base := &tls.Config{MinVersion: tls.VersionTLS12, MaxVersion: hi, RootCAs: pool}
	if z.KeyStore != "" {
		cert, err := pemtls.LoadKeyPair(z.KeyStore, "")
		if err != nil {
			return nil, fmt.Errorf("broker: zookeeper.ssl.keystore.location: %w", err)
		}
		base.Certificates = []tls.Certificate{cert}
	}
	if z.EndpointIDAlg == "" {
		base.InsecureSkipVerify = true // the chain is still verified, only the name is not
		base.VerifyConnection = pemtls.VerifyChain(pool, x509.ExtKeyUsageServerAuth)
	}
	return func(network, address string, timeout time.Duration) (net.Conn, error) {
		c := base.Clone()
		if host, _, err := net.SplitHostPort(address); err == nil {
			c.ServerName = host
		}
		return tls.DialWithDialer(&net.Dialer{Timeout: timeout}, network, address, c)
	}, nil
}

// sensitiveZkPaths are Kafka's ZkData.SensitiveRootPaths: below them only
// the creator may read.
var sensitiveZkPaths = []string{"/config/users", "/config/brokers", "/delegation_token"}

// acl returns the ACL of a znode the broker creates at path (below the
// chroot, or the chroot itself), as Kafka's ZkData.defaultAcls.
func (m *clusterMeta) acl(path string) []zk.ACL {
	if !m.setACL || path == "/consumers" {
		return zk.WorldACL(zk.PermAll)
	}
	acl := zk.AuthACL(zk.PermAll)
	for _, s := range sensitiveZkPaths {
		if strings.HasPrefix(path, s) {
			return acl
		}
	}
	return append(acl, zk.WorldACL(zk.PermRead)...)
}

// aclFor returns the ACL of the znode at full, a path with the chroot.
func (m *clusterMeta) aclFor(full string) []zk.ACL {
	return m.acl(strings.TrimPrefix(full, m.chroot))
}
