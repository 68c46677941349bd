package brokertest

// A three-broker cluster whose only listener is SASL_SSL, with ACLs:
// the setup that broker/interop (kcat, Kafka's CLI tools) and
// broker/clustertest (franz-go) test the same way.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicelogs/sluice/broker"
	"github.com/sluicelogs/sluice/broker/sasl"
	"github.com/sluicelogs/sluice/internal/await"
)

// SASLSSLCluster is three broker processes (kill -9 them) whose only
// listener, the inter-broker one too, is SASL_SSL: admin, their super
// user, logs in to the others with SCRAM-SHA-512.
type SASLSSLCluster struct {
	PKI     *PKI
	Brokers []*BrokerProc
	Addrs   []string
	Admin   *kgo.Client // admin over SASL_SSL, seeded with every broker
}

// StartSASLSSLCluster starts the cluster against the coordinator at zk,
// which must already hold admin's SCRAM-SHA-512 credential for password
// "admin-secret" (kafka-configs.sh --zookeeper, or WriteScramCredential),
// as Kafka's brokers need theirs before they talk to each other.
func StartSASLSSLCluster(t testing.TB, zkAddr string, p *PKI) *SASLSSLCluster {
	t.Helper()
	brokers := StartBrokerProcsReady(t, zkAddr, 3, func(c *broker.Config) {
		WithSASLSSL(p, sasl.ScramSHA512)(c)
		c.ZooKeeperSessionTimeout, c.ZooKeeperTimeout = 4*time.Second, 10*time.Second
		c.ReplicaLagTimeMax = 5 * time.Second
	}, ReadySASLSSL(t, p, "admin", "admin-secret"))
	c := &SASLSSLCluster{PKI: p, Brokers: brokers}
	for _, b := range brokers {
		c.Addrs = append(c.Addrs, b.Addr)
	}
	c.Admin = TLSClient(t, c.Addrs[0], p.ClientTLS(t, ""), kgo.SASL(ScramSHA512("admin", "admin-secret")), kgo.SeedBrokers(c.Addrs...))
	return c
}

// WriteScramCredential writes user's credential of mech into the
// coordinator at zkAddr (/config/users/<user>), as kafka-configs.sh
// --zookeeper does before any broker runs.
func WriteScramCredential(t testing.TB, zkAddr, user, mech, password string) {
	t.Helper()
	cred, err := sasl.NewCredential(mech, password, 4096)
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(map[string]any{"version": 1, "config": map[string]string{mech: cred.String()}})
	if err != nil {
		t.Fatal(err)
	}
	conn, _, err := zk.Connect([]string{zkAddr}, 10*time.Second, zk.WithLogInfo(false))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// The session may take a few tries to establish on a loaded machine
	// (the client's first handshake can end in EOF): each create is
	// retried, and one that already happened counts as done.
	await.Eventually(t, 30*time.Second, 50*time.Millisecond, func() error {
		for _, n := range []struct {
			path string
			data []byte
		}{{"/config", nil}, {"/config/users", nil}, {"/config/users/" + user, data}} {
			if _, err := conn.Create(n.path, n.data, 0, zk.WorldACL(zk.PermAll)); err != nil && !errors.Is(err, zk.ErrNodeExists) {
				return fmt.Errorf("create %s: %w", n.path, err)
			}
		}
		return nil
	})
}

// SetUpAlice gives alice a SCRAM-SHA-512 credential ("alice-secret"),
// creates topics "logs" and "secret" (one partition, three replicas,
// min.insync.replicas=2) and lets alice WRITE, READ and DESCRIBE "logs"
// and READ group "readers", nothing else; it returns once every broker's
// authorizer holds those ACLs and every replica of "logs" is in its ISR
// (which a follower reaches only by fetching over SASL_SSL).
func (c *SASLSSLCluster) SetUpAlice(t testing.TB, ctx context.Context) {
	t.Helper()
	adm := kadm.NewClient(c.Admin)
	res, err := adm.AlterUserSCRAMs(ctx, nil, []kadm.UpsertSCRAM{{User: "alice", Mechanism: kadm.ScramSha512, Iterations: 4096, Password: "alice-secret"}})
	if err != nil || res.Error() != nil {
		t.Fatalf("AlterUserScramCredentials: %v %v", err, res.Error())
	}
	for _, topic := range []string{"logs", "secret"} {
		r, err := adm.CreateTopic(ctx, 1, 3, map[string]*string{"min.insync.replicas": kmsg.StringPtr("2")}, topic)
		if err != nil || r.Err != nil {
			t.Fatalf("create %s: %v %v", topic, err, r.Err)
		}
	}
	allow := func(rt kmsg.ACLResourceType, name string, op kmsg.ACLOperation) kmsg.CreateACLsRequestCreation {
		return ACLCreation(rt, name, kmsg.ACLResourcePatternTypeLiteral, "User:alice", op, kmsg.ACLPermissionTypeAllow)
	}
	acls := []kmsg.CreateACLsRequestCreation{
		allow(kmsg.ACLResourceTypeTopic, "logs", kmsg.ACLOperationWrite),
		allow(kmsg.ACLResourceTypeTopic, "logs", kmsg.ACLOperationRead),
		allow(kmsg.ACLResourceTypeTopic, "logs", kmsg.ACLOperationDescribe),
		allow(kmsg.ACLResourceTypeGroup, "readers", kmsg.ACLOperationRead),
	}
	CreateACLsWith(t, ctx, c.Admin, acls...)
	// Each broker's authorizer learns of them through the coordinator's
	// change notifications.
	for _, addr := range c.Addrs {
		c.awaitACLs(t, ctx, addr, len(acls))
	}
	await.Eventually(t, time.Minute, 50*time.Millisecond, func() error {
		p, err := c.Partition0(ctx, "logs")
		if err != nil {
			return err
		}
		if len(p.ISR) != 3 || p.ErrorCode != 0 || !slices.Contains(p.ISR, p.Leader) {
			return fmt.Errorf("logs/0: leader %d isr %v error %d", p.Leader, p.ISR, p.ErrorCode)
		}
		return nil
	})
}

// awaitACLs waits until the authorizer of the broker at addr (asked
// alone) holds n ACLs.
func (c *SASLSSLCluster) awaitACLs(t testing.TB, ctx context.Context, addr string, n int) {
	t.Helper()
	cl := TLSClient(t, addr, c.PKI.ClientTLS(t, ""), kgo.SASL(ScramSHA512("admin", "admin-secret")))
	await.Eventually(t, time.Minute, 50*time.Millisecond, func() error {
		req := kmsg.NewPtrDescribeACLsRequest()
		req.ResourceType, req.ResourcePatternType = kmsg.ACLResourceTypeAny, kmsg.ACLResourcePatternTypeAny
		req.Operation, req.PermissionType = kmsg.ACLOperationAny, kmsg.ACLPermissionTypeAny
		resp, err := cl.SeedBrokers()[0].RetriableRequest(ctx, req)
		if err != nil {
			return err
		}
		got := 0
		for _, r := range resp.(*kmsg.DescribeACLsResponse).Resources {
			got += len(r.ACLs)
		}
		if got != n {
			return fmt.Errorf("broker %s has %d of %d ACLs", addr, got, n)
		}
		return nil
	})
}

// Partition0 is topic's partition 0 as the cluster describes it.
func (c *SASLSSLCluster) Partition0(ctx context.Context, topic string) (kmsg.MetadataResponseTopicPartition, error) {
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	mt, err := MetadataTopic(rctx, c.Admin, topic)
	if err != nil {
		return kmsg.MetadataResponseTopicPartition{}, err
	}
	return mt.Partitions[0], nil
}

// KillLeader kills the leader of topic's partition 0 with SIGKILL, waits
// until another broker leads it, and returns the addresses of the two
// brokers left.
func (c *SASLSSLCluster) KillLeader(t testing.TB, ctx context.Context, topic string) []string {
	t.Helper()
	p, err := c.Partition0(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("kill -9 broker %d, the leader of %s/0", p.Leader, topic)
	c.Brokers[p.Leader-1].Kill()
	var rest []string
	for _, b := range c.Brokers {
		if b.ID != int(p.Leader) {
			rest = append(rest, b.Addr)
		}
	}
	await.Eventually(t, 2*time.Minute, 100*time.Millisecond, func() error {
		q, err := c.Partition0(ctx, topic)
		if err != nil {
			return err
		}
		if q.Leader == p.Leader || q.Leader < 0 {
			return fmt.Errorf("%s/0 still led by %d", topic, q.Leader)
		}
		return nil
	})
	return rest
}
