package broker

import (
	"reflect"
	"strings"
	"testing"

	"github.com/go-zookeeper/zk"

	"github.com/sluicelogs/sluice/internal/zktls"
)

// TestConfigZooKeeperTLS: Kafka's zookeeper.ssl.* keys and
// zookeeper.set.acl, read and rendered back.
func TestConfigZooKeeperTLS(t *testing.T) {
	c, warnings, err := parseConfig(strings.Join([]string{
		"zookeeper.connect=127.0.0.1:2182/kafka",
		"zookeeper.ssl.client.enable=true",
		"zookeeper.clientCnxnSocket=org.apache.zookeeper.ClientCnxnSocketNetty",
		"zookeeper.ssl.keystore.location=/tls/broker.pem", "zookeeper.ssl.keystore.type=PEM",
		"zookeeper.ssl.truststore.location=/tls/ca.pem", "zookeeper.ssl.truststore.type=PEM", "zookeeper.ssl.truststore.password=ignored",
		"zookeeper.ssl.protocol=TLSv1.3", "zookeeper.ssl.endpoint.identification.algorithm=",
		"zookeeper.set.acl=true",
	}, "\n"))
	if err != nil || len(warnings) > 0 {
		t.Fatalf("%v %v", err, warnings)
	}
	want := ZooKeeperTLS{Settings: zktls.Settings{
		Enable: true, CnxnSocket: zktls.Netty, KeyStore: "/tls/broker.pem", KeyStoreType: "PEM",
		TrustStore: "/tls/ca.pem", TrustStoreType: "PEM", TrustStorePassword: "ignored",
		Protocol: "TLSv1.3",
	}, SetACL: true}
	if !reflect.DeepEqual(c.ZooKeeperTLS, want) {
		t.Fatalf("read %+v\nwant %+v", c.ZooKeeperTLS, want)
	}
	back, warnings, err := parseConfig(string(c.Render()))
	if err != nil || len(warnings) > 0 || !reflect.DeepEqual(back.ZooKeeperTLS, want) {
		t.Fatalf("rendered\n%s\nread back %+v, %v, %v", c.Render(), back.ZooKeeperTLS, err, warnings)
	}
	if def := Defaults(); def.ZooKeeperTLS.Protocol != "TLSv1.2" || def.ZooKeeperTLS.EndpointIDAlg != "HTTPS" {
		t.Fatalf("defaults %+v; want Kafka's TLSv1.2 and HTTPS", def.ZooKeeperTLS)
	}
}

// TestConfigZooKeeperTLSErrors: zookeeper.set.acl needs the broker's
// certificate (as Kafka refuses it without an identity), TLS needs a
// trust store, and stores must be PEM.
func TestConfigZooKeeperTLSErrors(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"zookeeper.set.acl=true\n", "zookeeper.set.acl: true needs an identity for the broker"},
		{"zookeeper.ssl.client.enable=true\n", "zookeeper.ssl.truststore.location: is required"},
		{"zookeeper.ssl.client.enable=true\nzookeeper.ssl.truststore.location=/tls/ca.jks\n", "zookeeper.ssl.truststore.location: JKS stores are not supported"},
		{"zookeeper.clientCnxnSocket=org.apache.zookeeper.ClientCnxnSocketNIO\n", "zookeeper.clientCnxnSocket: \"org.apache.zookeeper.ClientCnxnSocketNIO\": only"},
		{"zookeeper.ssl.client.enable=true\nzookeeper.ssl.truststore.location=/ca.pem\nzookeeper.ssl.protocol=SSLv3\n", "zookeeper.ssl.protocol: \"SSLv3\" is not supported"},
	} {
		_, _, err := parseConfig("zookeeper.connect=127.0.0.1:2181\n" + tc.text)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v; want %q", tc.text, err, tc.want)
		}
	}
}

// TestSecureZnodeACLs: with zookeeper.set.acl the creator (the broker's
// identity) has every permission and the world may read, except below
// Kafka's sensitive paths; /consumers stays open; without it everything
// is open.
func TestSecureZnodeACLs(t *testing.T) {
	creator := zk.AuthACL(zk.PermAll)
	readable := append(zk.AuthACL(zk.PermAll), zk.WorldACL(zk.PermRead)...)
	open := zk.WorldACL(zk.PermAll)
	m := &clusterMeta{chroot: "/kafka", setACL: true}
	for path, want := range map[string][]zk.ACL{
		"/kafka":                         readable,
		"/kafka/brokers/ids/1":           readable,
		"/kafka/config/topics/t":         readable,
		"/kafka/config/users":            creator,
		"/kafka/config/users/alice":      creator,
		"/kafka/config/brokers/1":        creator,
		"/kafka/delegation_token/tokens": creator,
		"/kafka/consumers":               open,
	} {
		if got := m.aclFor(path); !reflect.DeepEqual(got, want) {
			t.Errorf("ACL of %s = %v; want %v", path, got, want)
		}
	}
	m.setACL = false
	if got := m.aclFor("/kafka/config/users/alice"); !reflect.DeepEqual(got, open) {
		t.Errorf("without zookeeper.set.acl: %v; want %v", got, open)
	}
}
