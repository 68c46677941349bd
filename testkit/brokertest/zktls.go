package brokertest

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sluicelogs/sluice/broker"
	"github.com/sluicelogs/sluice/internal/pemtls"
	"github.com/sluicelogs/sluice/internal/zktls"
)

// ZkTLSFiles are the PEM stores of a test of a ZooKeeper client over TLS
// (the broker's, the admin tools'): the trusted CA's, the server's
// certificate (CN=zookeeper), the broker's (CN=broker-1, which Kafka's
// tools are given too), both for 127.0.0.1, and another CA's trust store.
type ZkTLSFiles struct {
	Dir, Trust, Server, Broker, OtherTrust string
}

// NewZkTLSFiles makes the stores in a temporary folder.
func NewZkTLSFiles(tb testing.TB) ZkTLSFiles {
	tb.Helper()
	f := ZkTLSFiles{Dir: tb.TempDir()}
	ca, err := pemtls.NewCA("zk CA", 24*time.Hour)
	if err != nil {
		tb.Fatal(err)
	}
	other, err := pemtls.NewCA("another CA", 24*time.Hour)
	if err != nil {
		tb.Fatal(err)
	}
	issue := func(name string) string {
		c, err := ca.Issue(name, []string{"127.0.0.1"}, time.Time{}, time.Time{})
		if err != nil {
			tb.Fatal(err)
		}
		return string(c.KeyStore())
	}
	f.Trust, f.OtherTrust = f.Write(tb, "ca.pem", string(ca.PEM())), f.Write(tb, "other-ca.pem", string(other.PEM()))
	f.Server, f.Broker = f.Write(tb, "server.pem", issue("zookeeper")), f.Write(tb, "broker.pem", issue("broker-1"))
	return f
}

// Write writes text to the file name in f.Dir and returns its path.
func (f ZkTLSFiles) Write(tb testing.TB, name, text string) string {
	tb.Helper()
	p := filepath.Join(f.Dir, name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		tb.Fatal(err)
	}
	return p
}

// SecureZk sets a broker's coordinator client to TLS with the broker's
// certificate, trusting trust, and zookeeper.set.acl=true, as in Kafka's
// server.properties.
func (f ZkTLSFiles) SecureZk(trust string) func(*broker.Config) {
	return func(c *broker.Config) {
		z := &c.ZooKeeperTLS
		z.Enable, z.CnxnSocket, z.SetACL = true, zktls.Netty, true
		z.KeyStore, z.KeyStoreType, z.TrustStore, z.TrustStoreType = f.Broker, "PEM", trust, "PEM"
	}
}
