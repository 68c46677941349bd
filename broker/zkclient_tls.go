package broker

import (
	"fmt"
	"strings"

	"github.com/go-zookeeper/zk"

	"github.com/sluicelogs/sluice/internal/config"
	"github.com/sluicelogs/sluice/internal/zktls"
)

// The broker's client of the coordinator (or ZooKeeper) over TLS, with
// Kafka's zookeeper.ssl.* keys, and zookeeper.set.acl: Kafka's secure
// ACLs on the znodes the broker creates.
//
// Kafka's ZooKeeper client reads ZooKeeper's client properties under
// Kafka's names; internal/zktls reads and checks them, and dials, for
// the broker and the admin tools alike (PEM stores only). With
// zookeeper.ssl.endpoint.identification.algorithm=HTTPS (the default) the
// server's certificate must name the host dialed; empty turns that check
// off, the chain is still verified.
//
// With zookeeper.set.acl=true the broker creates its znodes as Kafka's
// ZkData.defaultAcls does: its creator (the "auth" scheme: the broker's
// own x509 identity over TLS) may do everything and everyone may read,
// except below the sensitive paths (/config/users with SCRAM
// credentials, /config/brokers, /delegation_token), which only the
// creator may read; /consumers stays open. As in Kafka, it needs an
// identity: zookeeper.set.acl=true without zookeeper.ssl.client.enable
// and a key store is refused.

// ZooKeeperTLS holds Kafka's zookeeper.ssl.* keys (internal/zktls, the
// settings the admin tools' --zk-tls-config-file read too) and
// zookeeper.set.acl.
type ZooKeeperTLS struct {
	zktls.Settings
	SetACL bool // zookeeper.set.acl
}

// zooKeeperTLSDefaults are Kafka's.
func zooKeeperTLSDefaults() ZooKeeperTLS { return ZooKeeperTLS{Settings: zktls.Defaults()} }

// readZooKeeperTLS reads the keys from p.
func (c *Config) readZooKeeperTLS(p *config.Properties, add func(error)) {
	z := &c.ZooKeeperTLS
	zktls.KafkaKeys.Read(p, &z.Settings, add)
	b, err := p.Bool("zookeeper.set.acl", z.SetACL)
	add(err)
	z.SetACL = b
}

// validateZooKeeperTLS checks the keys.
func (c *Config) validateZooKeeperTLS() config.Errors {
	var errs config.Errors
	z := c.ZooKeeperTLS
	if z.SetACL && (!z.Enable || z.KeyStore == "") {
		errs.Addf("zookeeper.set.acl", "true needs an identity for the broker: zookeeper.ssl.client.enable=true and zookeeper.ssl.keystore.location (SASL to ZooKeeper is not supported)")
	}
	return append(errs, zktls.KafkaKeys.Validate(z.Settings)...)
}

// renderZooKeeperTLS writes the keys that differ from Kafka's defaults.
func (c *Config) renderZooKeeperTLS(line func(string, any)) {
	z := c.ZooKeeperTLS
	if z.Enable {
		line("zookeeper.ssl.client.enable", true)
	}
	if z.SetACL {
		line("zookeeper.set.acl", true)
	}
	s := z.Settings
	s.Enable = false // written above, before zookeeper.set.acl as it always was
	zktls.KafkaKeys.Render(s, line)
}

// zkDialer returns the ZooKeeper client's dialer over TLS when
// zookeeper.ssl.client.enable is set, nil otherwise.
func zkDialer(cfg *Config) (zk.Dialer, error) {
	d, err := zktls.KafkaKeys.Dialer(cfg.ZooKeeperTLS.Settings)
	if err != nil {
		return nil, fmt.Errorf("broker: %w", err)
	}
	return d, nil
}

// acl returns the ACL of a znode the broker creates at path (below the
// chroot, or the chroot itself), as Kafka's ZkData.defaultAcls.
func (m *clusterMeta) acl(path string) []zk.ACL { return zktls.KafkaACL(m.setACL, path) }

// aclFor returns the ACL of the znode at full, a path with the chroot.
func (m *clusterMeta) aclFor(full string) []zk.ACL {
	return m.acl(strings.TrimPrefix(full, m.chroot))
}
