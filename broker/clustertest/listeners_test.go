package clustertest_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/sluicelogs/sluice/broker"
	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/testkit/brokertest"
	"github.com/sluicelogs/sluice/testkit/testcluster"
)

// internalSSL makes INTERNAL, an SSL listener with client certificates
// required and host names verified, the inter-broker listener, with
// keyStore and trustStore as its stores.
func internalSSL(keyStore, trustStore string) func(*broker.Config) {
	return func(c *broker.Config) {
		c.MoreListeners = append(c.MoreListeners, broker.Listener{Name: "INTERNAL", Addr: "127.0.0.1:0", AdvertisedHost: "127.0.0.1"})
		c.ProtocolMap = map[string]string{"PLAINTEXT": "PLAINTEXT", "INTERNAL": "SSL"}
		c.InterBrokerListener = "INTERNAL"
		c.ListenerSSL = map[string]broker.SSLConfig{"INTERNAL": func() broker.SSLConfig {
			s := broker.Defaults().SSL
			s.KeystoreLocation, s.TruststoreLocation, s.ClientAuth = keyStore, trustStore, "required"
			return s
		}()}
	}
}

// registration reads /brokers/ids/<id> as Kafka 2.x tools do.
func registration(t *testing.T, zkAddr string, id int) map[string]any {
	t.Helper()
	conn, _, err := zk.Connect([]string{zkAddr}, 10*time.Second, zk.WithLogInfo(false))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	b, _, err := conn.Get("/brokers/ids/" + strconv.Itoa(id))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return m
}

// TestInterBrokerSSL: three brokers replicate over an SSL inter-broker
// listener (INTERNAL, mutual TLS, host names verified) while clients use
// PLAINTEXT. With min.insync.replicas=3 an acks=all record is acked only
// once both followers fetched it over TLS; every acked record is read
// exactly once. Each listener's Metadata gives that listener's
// endpoints, and /brokers/ids/<id> lists both as Kafka 2.x writes it.
func TestInterBrokerSSL(t *testing.T) {
	p := brokertest.NewPKI(t)
	zkAddr := testcluster.Coordinator(t)
	var addrs []string
	brokers := map[int]*testcluster.Broker{}
	for id := 1; id <= 3; id++ {
		brokers[id] = testcluster.StartBroker(t, id, zkAddr, "", replicaConfig, internalSSL(p.Server, p.CAFile))
		addrs = append(addrs, brokers[id].Addr())
	}
	testcluster.CreateReplicatedTopic(t, addrs[0], "secure", 3, 3, map[string]string{"min.insync.replicas": "3"})
	brokertest.AwaitISR(t, addrs[0], "secure", []int32{1, 2, 3})
	brokertest.ProduceNumbered(t, addrs, "secure", "a", 3000)
	brokertest.CheckExactlyOnce(t, brokertest.ConsumeAll(t, addrs, "secure", 3000), map[string]int{"a": 3000})

	internal := brokertest.MetadataBrokers(t, brokers[2].ListenerAddr("INTERNAL"), p.ClientTLS(t, p.Client))
	plain := brokertest.MetadataBrokers(t, addrs[1], nil)
	for id := 1; id <= 3; id++ {
		if internal[int32(id)] != brokers[id].ListenerAddr("INTERNAL") || plain[int32(id)] != brokers[id].Addr() {
			t.Fatalf("broker %d: INTERNAL Metadata %v, PLAINTEXT Metadata %v", id, internal, plain)
		}
	}
	reg := registration(t, zkAddr, 1)
	want := []any{"PLAINTEXT://" + brokers[1].Addr(), "INTERNAL://" + brokers[1].ListenerAddr("INTERNAL")}
	host, port, _ := splitHostPort(brokers[1].Addr())
	if !slices.Equal(reg["endpoints"].([]any), want) || reg["host"] != host || reg["port"] != float64(port) ||
		fmt.Sprint(reg["listener_security_protocol_map"]) != "map[INTERNAL:SSL PLAINTEXT:PLAINTEXT]" {
		t.Fatalf("registration %v", reg)
	}
}

func splitHostPort(addr string) (string, int, error) {
	h, ps, err := net.SplitHostPort(addr)
	n, _ := strconv.Atoi(ps)
	return h, n, err
}

// containsAll reports whether one line of logs holds every one of want.
func containsAll(logs string, want ...string) bool {
	for _, line := range strings.Split(logs, "\n") {
		if !slices.ContainsFunc(want, func(w string) bool { return !strings.Contains(line, w) }) {
			return true
		}
	}
	return false
}

// TestInterBrokerSSLUntrusted: a follower whose INTERNAL trust store is
// another CA's cannot reach its leader (both sides log the failed
// handshake) and drops out of the ISR; the leader serves on.
func TestInterBrokerSSLUntrusted(t *testing.T) {
	p := brokertest.NewPKI(t)
	other := brokertest.NewPKI(t)
	zkAddr := testcluster.Coordinator(t)
	b1, logs1 := brokertest.StartLoggedBrokerLevel(t, 1, zkAddr, slog.LevelDebug, replicaConfig, internalSSL(p.Server, p.CAFile))
	b2, logs2 := brokertest.StartLoggedBrokerLevel(t, 2, zkAddr, slog.LevelDebug, replicaConfig, internalSSL(other.Server, other.CAFile))
	testcluster.CreateReplicatedTopic(t, b1.Addr(), "lonely", 1, 2, nil)
	parts, err := brokertest.Describe(t, b1.Addr(), "lonely")
	if err != nil {
		t.Fatal(err)
	}
	// Each trusts only its own CA: whichever leads, the other cannot
	// follow.
	leader, leaderLogs, followerLogs := b1, logs1, logs2
	if parts[0].Leader == 2 {
		leader, leaderLogs, followerLogs = b2, logs2, logs1
	}
	await.Eventually(t, 30*time.Second, 20*time.Millisecond, func() error {
		if !containsAll(followerLogs.String(), "TLS handshake with leader", "unknown authority") {
			return fmt.Errorf("follower's log has no failed handshake with its leader")
		}
		if !containsAll(leaderLogs.String(), "TLS handshake failed", "listener=INTERNAL") {
			return fmt.Errorf("leader's log has no failed handshake on INTERNAL")
		}
		return nil
	})
	// The ISR starts as every replica (as Kafka's); the follower that
	// never fetches leaves it after replica.lag.time.max.ms.
	brokertest.AwaitISR(t, leader.Addr(), "lonely", []int32{parts[0].Leader})
	brokertest.ProduceNumbered(t, []string{leader.Addr()}, "lonely", "a", 10)
}

// TestMetadataLeavesOutBrokersWithoutTheListener: broker 1 has PLAINTEXT
// and SSL listeners, broker 2 SSL only. Metadata on PLAINTEXT lists
// broker 1 alone (Kafka leaves out a broker without the request's
// listener), on SSL both; broker 2 registers with no PLAINTEXT host
// (null, port -1), as Kafka 2.x does.
func TestMetadataLeavesOutBrokersWithoutTheListener(t *testing.T) {
	p := brokertest.NewPKI(t)
	zkAddr := testcluster.Coordinator(t)
	b1 := testcluster.StartBroker(t, 1, zkAddr, "", brokertest.WithSSL(p, "none"))
	b2 := testcluster.StartBroker(t, 2, zkAddr, "", brokertest.WithSSL(p, "none"), func(c *broker.Config) {
		c.MoreListeners = nil
		c.ListenerName, c.InterBrokerListener = "SSL", "SSL"
	})
	tlsCfg := p.ClientTLS(t, "")
	await.Eventually(t, 30*time.Second, 20*time.Millisecond, func() error {
		plain := brokertest.MetadataBrokers(t, b1.Addr(), nil)
		ssl := brokertest.MetadataBrokers(t, b2.Addr(), tlsCfg)
		if len(plain) != 1 || plain[1] != b1.Addr() || len(ssl) != 2 || ssl[1] != b1.ListenerAddr("SSL") || ssl[2] != b2.Addr() {
			return fmt.Errorf("PLAINTEXT Metadata %v, SSL Metadata %v", plain, ssl)
		}
		return nil
	})
	reg := registration(t, zkAddr, 2)
	if reg["host"] != nil || reg["port"] != float64(-1) || fmt.Sprint(reg["endpoints"]) != "[SSL://"+b2.Addr()+"]" {
		t.Fatalf("registration %v", reg)
	}
}
