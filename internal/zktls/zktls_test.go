package zktls

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/go-zookeeper/zk"

	"github.com/sluicelogs/sluice/internal/config"
)

// TestKeysSpellings: the same settings read from Kafka's keys and from
// ZooKeeper's client properties (hostnameVerification is a boolean
// there), rendered back as read.
func TestKeysSpellings(t *testing.T) {
	want := Settings{Enable: true, CnxnSocket: Netty, KeyStore: "/tls/c.pem", KeyStoreType: "PEM", TrustStore: "/tls/ca.pem", Protocol: "TLSv1.3"}
	for _, c := range []struct {
		keys Keys
		text string
	}{
		{KafkaKeys, "zookeeper.ssl.client.enable=true\nzookeeper.clientCnxnSocket=" + Netty + "\nzookeeper.ssl.keystore.location=/tls/c.pem\nzookeeper.ssl.keystore.type=PEM\nzookeeper.ssl.truststore.location=/tls/ca.pem\nzookeeper.ssl.protocol=TLSv1.3\nzookeeper.ssl.endpoint.identification.algorithm=\n"},
		{ZooKeeperKeys, "zookeeper.client.secure=true\nzookeeper.clientCnxnSocket=" + Netty + "\nzookeeper.ssl.keyStore.location=/tls/c.pem\nzookeeper.ssl.keyStore.type=PEM\nzookeeper.ssl.trustStore.location=/tls/ca.pem\nzookeeper.ssl.protocol=TLSv1.3\nzookeeper.ssl.hostnameVerification=false\n"},
	} {
		p, err := config.ParseProperties("f", []byte(c.text))
		if err != nil {
			t.Fatal(err)
		}
		s := Defaults()
		c.keys.Read(p, &s, func(err error) {
			if err != nil {
				t.Fatal(err)
			}
		})
		if !reflect.DeepEqual(s, want) {
			t.Fatalf("%s: read %+v\nwant %+v", c.keys.Enable, s, want)
		}
		if !s.ClientAuth() {
			t.Errorf("%s: no client authentication", c.keys.Enable)
		}
		var lines []string
		c.keys.Render(s, func(k string, v any) { lines = append(lines, fmt.Sprintf("%s=%v", k, v)) })
		if got := strings.Join(lines, "\n") + "\n"; got != c.text {
			t.Errorf("%s: rendered\n%s\nwant\n%s", c.keys.Enable, got, c.text)
		}
	}
	if (Settings{Enable: true, KeyStore: "/k.pem"}).ClientAuth() {
		t.Error("client authentication without zookeeper.clientCnxnSocket (Kafka requires it)")
	}
}

// TestLoadErrors: the errors of a file name its line and the key as
// spelt in it.
func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "zk.properties")
	if err := os.WriteFile(f, []byte("zookeeper.client.secure=yes\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ZooKeeperKeys.Load(f); err == nil || !strings.Contains(err.Error(), "zk.properties:1") {
		t.Errorf("secure=yes: %v", err)
	}
	if err := os.WriteFile(f, []byte("zookeeper.ssl.client.enable=false\nzookeeper.ssl.ocsp.enable=true\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := KafkaKeys.Load(f); err == nil || !strings.Contains(err.Error(), "zk.properties:2: zookeeper.ssl.ocsp.enable: certificate revocation checks are not supported") {
		t.Errorf("ocsp.enable=true: %v", err)
	}
	if err := os.WriteFile(f, []byte("zookeeper.client.secure=true\nzookeeper.clientCnxnSocket=NIO\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := ZooKeeperKeys.Load(f)
	for _, want := range []string{"zk.properties:2: zookeeper.clientCnxnSocket", "zookeeper.ssl.trustStore.location: is required with zookeeper.client.secure=true"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("NIO, no trust store: %v; want %q", err, want)
		}
	}
}

// TestKafkaACL: ZkData.defaultAcls.
func TestKafkaACL(t *testing.T) {
	creator, worldRead := zk.AuthACL(zk.PermAll), zk.WorldACL(zk.PermRead)
	for _, c := range []struct {
		secure bool
		path   string
		want   []zk.ACL
	}{
		{false, "/brokers/topics/t", zk.WorldACL(zk.PermAll)},
		{true, "/brokers/topics/t", append(creator, worldRead...)},
		{true, "", append(creator, worldRead...)},
		{true, "/consumers", zk.WorldACL(zk.PermAll)},
		{true, "/config/users/alice", creator},
		{true, "/config/brokers", creator},
		{true, "/delegation_token/tokens", creator},
		{true, "/config/topics/t", append(creator, worldRead...)},
	} {
		if got := KafkaACL(c.secure, c.path); !reflect.DeepEqual(got, c.want) {
			t.Errorf("secure %v %q: %v, want %v", c.secure, c.path, got, c.want)
		}
	}
}
