package clustertest_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sluicelogs/sluice/broker/sasl"
	"github.com/sluicelogs/sluice/testkit/brokertest"
	"github.com/sluicelogs/sluice/testkit/testcluster"
)

// TestSASLSSLFailover: a three-broker cluster whose only listener is
// SASL_SSL (brokertest.SASLSSLCluster: admin replicates with
// SCRAM-SHA-512, its credential written into the coordinator first, ACLs
// with allow.everyone.if.no.acl.found=false) answers alice, over TLS and
// SCRAM-SHA-512, with Kafka's error codes: TOPIC_AUTHORIZATION_FAILED for
// a topic she may not write, GROUP_AUTHORIZATION_FAILED for a group she
// may not join, SASL_AUTHENTICATION_FAILED for a wrong password; what she
// produces with acks=all is all still there, once and in order, after
// the partition's leader is killed with SIGKILL, and acks=all goes on
// with two of three replicas. broker/interop's TestSASLSSLClusterWithACLs
// does the same with kcat and Kafka 3.9's tools.
func TestSASLSSLFailover(t *testing.T) {
	p := brokertest.NewPKI(t)
	zkAddr := testcluster.Coordinator(t)
	brokertest.WriteScramCredential(t, zkAddr, "admin", sasl.ScramSHA512, "admin-secret")
	c := brokertest.StartSASLSSLCluster(t, zkAddr, p)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c.SetUpAlice(t, ctx)
	alice := func(addrs []string, pass string, opts ...kgo.Opt) *kgo.Client {
		return brokertest.TLSClient(t, addrs[0], p.ClientTLS(t, ""), append([]kgo.Opt{kgo.SASL(brokertest.ScramSHA512("alice", pass)),
			kgo.SeedBrokers(addrs...), kgo.RetryTimeout(30 * time.Second)}, opts...)...)
	}

	const n = 1000
	prod := alice(c.Addrs, "alice-secret", kgo.DefaultProduceTopic("logs"), kgo.RequiredAcks(kgo.AllISRAcks()))
	produce := func(cl *kgo.Client, from, to int) {
		t.Helper()
		var rs []*kgo.Record
		for i := from; i < to; i++ {
			rs = append(rs, &kgo.Record{Value: []byte(fmt.Sprintf("%05d", i))})
		}
		if err := cl.ProduceSync(ctx, rs...).FirstErr(); err != nil {
			t.Fatalf("produce %d..%d to logs: %v", from, to, err)
		}
	}
	produce(prod, 0, n)

	err := prod.ProduceSync(ctx, &kgo.Record{Topic: "secret", Value: []byte("x")}).FirstErr()
	if !errors.Is(err, kerr.TopicAuthorizationFailed) {
		t.Fatalf("produce to secret: %v, want TOPIC_AUTHORIZATION_FAILED", err)
	}
	wrong := alice(c.Addrs, "wrong")
	if err := wrong.Ping(ctx); !errors.Is(err, kerr.SaslAuthenticationFailed) {
		t.Fatalf("wrong password: %v, want SASL_AUTHENTICATION_FAILED", err)
	}
	// readGroup reads in group until want records or an error.
	readGroup := func(group string, want int) ([]string, error) {
		cl := alice(c.Addrs, "alice-secret", kgo.ConsumerGroup(group), kgo.ConsumeTopics("logs"),
			kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
		var got []string
		for len(got) < want {
			fs := cl.PollFetches(ctx)
			if ctx.Err() != nil {
				return got, ctx.Err()
			}
			for _, e := range fs.Errors() {
				return got, e.Err
			}
			fs.EachRecord(func(r *kgo.Record) { got = append(got, string(r.Value)) })
		}
		return got, nil
	}
	if _, err := readGroup("others", 1); !errors.Is(err, kerr.GroupAuthorizationFailed) {
		t.Fatalf("group others: %v, want GROUP_AUTHORIZATION_FAILED", err)
	}
	got, err := readGroup("readers", n)
	if err != nil {
		t.Fatalf("group readers: %v after %d records", err, len(got))
	}
	checkNumbered(t, got, n)

	rest := c.KillLeader(t, ctx, "logs")
	after := alice(rest, "alice-secret", kgo.DefaultProduceTopic("logs"), kgo.RequiredAcks(kgo.AllISRAcks()))
	produce(after, n, n+100)
	// A new client reads everything from the start, partition 0 of the
	// new leader.
	readAll := alice(rest, "alice-secret", kgo.ConsumeTopics("logs"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	got = got[:0]
	for len(got) < n+100 {
		fs := readAll.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("read %d of %d records after the kill", len(got), n+100)
		}
		fs.EachRecord(func(r *kgo.Record) { got = append(got, string(r.Value)) })
	}
	checkNumbered(t, got, n+100)
}

// checkNumbered checks got is 00000 … n-1, each once, in order.
func checkNumbered(t *testing.T, got []string, n int) {
	t.Helper()
	if len(got) != n {
		t.Fatalf("%d records, want %d", len(got), n)
	}
	for i, v := range got {
		if want := fmt.Sprintf("%05d", i); v != want {
			t.Fatalf("record %d is %s, want %s", i, v, want)
		}
	}
}
