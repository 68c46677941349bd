package main

import (
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/sluicelogs/sluice/coordinator"
	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/internal/zktls"
	"github.com/sluicelogs/sluice/testkit/brokertest"
	"github.com/sluicelogs/sluice/testkit/testcluster"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// zkTLSFiles are brokertest's stores with the tools' configuration files.
type zkTLSFiles struct{ brokertest.ZkTLSFiles }

func newZkTLSFiles(t *testing.T) zkTLSFiles { return zkTLSFiles{brokertest.NewZkTLSFiles(t)} }

func (f zkTLSFiles) write(t *testing.T, name, text string) string { return f.Write(t, name, text) }

// kafkaTLSFile writes a --zk-tls-config-file trusting trust, with the
// broker's certificate, as KIP-515 documents it.
func (f zkTLSFiles) kafkaTLSFile(t *testing.T, name, trust string) string {
	return f.write(t, name, strings.Join([]string{
		"zookeeper.ssl.client.enable=true",
		"zookeeper.clientCnxnSocket=" + zktls.Netty,
		"zookeeper.ssl.keystore.location=" + f.Broker, "zookeeper.ssl.keystore.type=PEM",
		"zookeeper.ssl.truststore.location=" + trust, "zookeeper.ssl.truststore.type=PEM",
		"zookeeper.set.acl=true", // not a key of the file: ignored, as by Kafka's tools
	}, "\n")+"\n")
}

// startSecureCoordinator starts a coordinator with a plaintext and a TLS
// client port.
func startSecureCoordinator(t *testing.T, f zkTLSFiles) *testcluster.CoordinatorServer {
	return testcluster.StartCoordinator(t, t.TempDir(), 500*time.Millisecond, func(c *coordinator.Config) {
		c.SecureClientAddr = "127.0.0.1:0"
		c.ClientTLS.KeyStore, c.ClientTLS.TrustStore = f.Server, f.Trust
	})
}

// TestTopicsZooKeeperTLS: `topics --zookeeper --zk-tls-config-file`
// against a coordinator's secure client port, with a broker that speaks
// TLS to it with zookeeper.set.acl=true. The topic is created, listed and
// described; the broker's controller takes it up (leaders, records);
// its znodes carry Kafka's secure ACLs for the tool's x509 identity, as
// the broker's own; a plaintext client at the TLS port, and a trust
// store of another CA, fail at once with the reason.
func TestTopicsZooKeeperTLS(t *testing.T) {
	f := newZkTLSFiles(t)
	m := startSecureCoordinator(t, f)
	b := testcluster.StartBroker(t, 1, m.SecureAddr()+"/kafka", "", f.SecureZk(f.Trust))
	conf := f.kafkaTLSFile(t, "zk-tls.properties", f.Trust)
	zkc := m.SecureAddr() + "/kafka"
	topics := func(args ...string) []string {
		return append([]string{"topics", "--zookeeper", zkc, "--zk-tls-config-file", conf}, args...)
	}

	if out := kafkaCLIOK(t, "", topics("--create", "--topic", "tls-t", "--partitions", "2", "--replication-factor", "1", "--config", "retention.ms=60000")...); out != "Created topic tls-t.\n" {
		t.Fatalf("create printed %q", out)
	}
	if out := kafkaCLIOK(t, "", topics("--list")...); out != "tls-t\n" {
		t.Fatalf("list printed %q", out)
	}
	want := "Topic: tls-t\tPartitionCount: 2\tReplicationFactor: 1\tConfigs: retention.ms=60000\n" +
		"\tTopic: tls-t\tPartition: 0\tLeader: 1\tReplicas: 1\tIsr: 1\n" +
		"\tTopic: tls-t\tPartition: 1\tLeader: 1\tReplicas: 1\tIsr: 1\n"
	await.Eventually(t, 30*time.Second, 50*time.Millisecond, func() error {
		if out := kafkaCLIOK(t, "", topics("--describe", "--topic", "tls-t")...); out != want {
			return fmt.Errorf("describe printed\n%s", out)
		}
		return nil
	})
	brokertest.ProduceValues(t, b.Addr(), "tls-t", 20)
	brokertest.CheckValues(t, b.Addr(), "tls-t", 20)

	// Through the plaintext port, without a certificate: what the tool
	// created is readable by anyone and writable only by CN=broker-1.
	c, _, err := zk.Connect([]string{m.Addr()}, 10*time.Second, zk.WithLogInfo(false))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	secure := []zk.ACL{{Perms: zk.PermAll, Scheme: "x509", ID: "CN=broker-1"}, {Perms: zk.PermRead, Scheme: "world", ID: "anyone"}}
	for _, p := range []string{"/kafka/brokers/topics/tls-t", "/kafka/config/topics/tls-t", "/kafka/brokers/topics/tls-t/partitions/0/state"} {
		acl, _, err := c.GetACL(p)
		if err != nil || fmt.Sprint(acl) != fmt.Sprint(secure) {
			t.Errorf("ACL of %s: %v, %v; want %v", p, acl, err, secure)
		}
	}
	if code, out, errOut := runArgs("zk", "-server", m.Addr(), "getAcl", "/kafka/brokers/topics/tls-t"); code != 0 || out != "'x509,'CN=broker-1\n: cdrwa\n'world,'anyone\n: r\n" {
		t.Errorf("sluice zk getAcl: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if _, err := c.Set("/kafka/brokers/topics/tls-t", []byte("{}"), -1); !errors.Is(err, zk.ErrNoAuth) {
		t.Errorf("a client without the certificate rewrites the assignment: %v; want %v", err, zk.ErrNoAuth)
	}
	if out := kafkaCLIOK(t, "", topics("--delete", "--topic", "tls-t")...); !strings.HasPrefix(out, "Topic tls-t is marked for deletion.") {
		t.Errorf("delete printed %q", out)
	}
	if acl, _, err := c.GetACL("/kafka/admin/delete_topics/tls-t"); err == nil && fmt.Sprint(acl) != fmt.Sprint(secure) {
		t.Errorf("ACL of the deletion mark: %v; want %v", acl, secure)
	}

	// Failures say why, after a few attempts (not the session timeout).
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"plaintext at the TLS port", []string{"topics", "--zookeeper", zkc, "--list"}, "is a TLS port (secureClientPort) and closes plaintext connections"},
		{"another CA", []string{"topics", "--zookeeper", zkc, "--zk-tls-config-file", f.kafkaTLSFile(t, "other.properties", f.OtherTrust), "--list"}, "certificate signed by unknown authority"},
		{"TLS at the plaintext port", []string{"topics", "--zookeeper", m.Addr() + "/kafka", "--zk-tls-config-file", conf, "--list"}, "(not a TLS port?)"},
		{"no such file", []string{"topics", "--zookeeper", zkc, "--zk-tls-config-file", filepath.Join(f.Dir, "missing"), "--list"}, "--zk-tls-config-file: config: open"},
		{"an encrypted key store", []string{"topics", "--zookeeper", zkc, "--zk-tls-config-file", f.write(t, "pw.properties", "zookeeper.ssl.client.enable=true\nzookeeper.ssl.truststore.location="+f.Trust+"\nzookeeper.ssl.keystore.password=secret\n"), "--list"}, "pw.properties:3: zookeeper.ssl.keystore.password"},
		{"without --zookeeper", []string{"topics", "--bootstrap-server", b.Addr(), "--zk-tls-config-file", conf, "--list"}, "--zk-tls-config-file is only supported with --zookeeper"},
	} {
		code, out, errOut := kafkaCLI(t, "", c.args...)
		t.Logf("%s: %s", c.name, errOut)
		if code != 1 || !strings.Contains(errOut, c.want) {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want %q", c.name, code, out, errOut, c.want)
		}
	}
}

// TestZkShellTLS: `sluice zk -client-configuration F`, zkCli.sh's flag
// with ZooKeeper's client properties, against the secure client port:
// create, get, ls; the node gets zkCli's default ACL.
func TestZkShellTLS(t *testing.T) {
	f := newZkTLSFiles(t)
	m := startSecureCoordinator(t, f)
	conf := f.write(t, "zkcli.properties", strings.Join([]string{
		"zookeeper.client.secure=true",
		"zookeeper.clientCnxnSocket=" + zktls.Netty,
		"zookeeper.ssl.keyStore.location=" + f.Broker, "zookeeper.ssl.keyStore.type=PEM",
		"zookeeper.ssl.trustStore.location=" + f.Trust, "zookeeper.ssl.trustStore.type=PEM",
		"zookeeper.ssl.hostnameVerification=true",
	}, "\n")+"\n")
	zkTLS := func(args ...string) []string {
		return append([]string{"zk", "-server", m.SecureAddr(), "-client-configuration", conf}, args...)
	}
	if code, _, errOut := runArgs(zkTLS("create", "/over-tls", "secret")...); code != 0 || errOut != "Created /over-tls\n" {
		t.Fatalf("create: exit %d, stderr %q", code, errOut)
	}
	if code, out, errOut := runArgs(zkTLS("get", "/over-tls")...); code != 0 || out != "secret\n" {
		t.Fatalf("get: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if code, out, errOut := runArgs(zkTLS("ls", "/")...); code != 0 || !strings.Contains(out, "over-tls") {
		t.Fatalf("ls /: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	// zkCli.sh 3.8 with the same file and flag reads the same, and
	// getAcl prints alike.
	if got := normalizeZkCli(t, testpeer.ZkCliWith(t, m.SecureAddr(), testpeer.ZkCliNettyFlags(), "-client-configuration", conf, "-waitforconnection", "get", "/over-tls")); got != "secret" {
		t.Errorf("zkCli.sh -client-configuration get /over-tls printed %q", got)
	}
	_, ours, _ := runArgs(zkTLS("getAcl", "/over-tls")...)
	if theirs := normalizeZkCli(t, testpeer.ZkCliWith(t, m.SecureAddr(), testpeer.ZkCliNettyFlags(), "-client-configuration", conf, "-waitforconnection", "getAcl", "/over-tls")); theirs+"\n" != ours {
		t.Errorf("getAcl /over-tls: zkCli.sh printed %q, sluice zk %q", theirs, ours)
	}
	c, _, err := zk.Connect([]string{m.Addr()}, 10*time.Second, zk.WithLogInfo(false))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if acl, _, err := c.GetACL("/over-tls"); err != nil || fmt.Sprint(acl) != fmt.Sprint(zk.WorldACL(zk.PermAll)) {
		t.Errorf("ACL of /over-tls: %v, %v; want zkCli's world:anyone:cdrwa", acl, err)
	}
	if code, _, errOut := runArgs("zk", "-server", m.SecureAddr(), "ls", "/"); code == 0 || !strings.Contains(errOut, "is a TLS port (secureClientPort)") {
		t.Errorf("plaintext at the TLS port: exit %d, stderr %q", code, errOut)
	}
	// A port nobody listens on is waited for until the session timeout,
	// as before: the server may be starting.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	if code, _, errOut := runArgs("zk", "-server", closed, "-timeout", "1500", "ls", "/"); code == 0 || !strings.Contains(errOut, "no session within 1.5s") || !strings.Contains(errOut, "connection refused") {
		t.Errorf("nobody listening: exit %d, stderr %q", code, errOut)
	}
	bad := f.write(t, "bad.properties", "zookeeper.client.secure=true\nzookeeper.ssl.trustStore.location="+f.Trust+"\nzookeeper.ssl.hostnameVerification=maybe\n")
	if code, _, errOut := runArgs("zk", "-server", m.SecureAddr(), "-client-configuration", bad, "ls", "/"); code == 0 || !strings.Contains(errOut, "bad.properties:3") {
		t.Errorf("hostnameVerification=maybe: exit %d, stderr %q", code, errOut)
	}
}
