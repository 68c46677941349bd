package broker_test

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicelogs/sluice/internal/pemtls"
	"github.com/sluicelogs/sluice/testkit/brokertest"
	"github.com/sluicelogs/sluice/testkit/testcluster"
)

// TestSSLListenerFranzGo: a broker with a PLAINTEXT and an SSL listener
// serves franz-go over TLS, and each listener's Metadata names that
// listener's endpoint (Kafka's rule), so a TLS client never gets sent to
// the plaintext port nor the other way round.
func TestSSLListenerFranzGo(t *testing.T) {
	p := brokertest.NewPKI(t)
	zk := testcluster.Coordinator(t)
	b, _ := brokertest.StartLoggedBroker(t, 1, zk, brokertest.WithSSL(p, "none"))
	plain, ssl := b.Addr(), b.ListenerAddr("SSL")
	if ssl == "" || ssl == plain {
		t.Fatalf("SSL listener at %q, PLAINTEXT at %q", ssl, plain)
	}
	if got := brokertest.MetadataBrokers(t, plain, nil); got[1] != plain {
		t.Fatalf("PLAINTEXT Metadata: %v, want 1 at %s", got, plain)
	}
	if got := brokertest.MetadataBrokers(t, ssl, p.ClientTLS(t, "")); got[1] != ssl {
		t.Fatalf("SSL Metadata: %v, want 1 at %s", got, ssl)
	}
	testcluster.CreateTopic(t, plain, "tls", 1)
	cl := brokertest.TLSClient(t, ssl, p.ClientTLS(t, ""))
	brokertest.ProduceConsume(t, cl, "tls", 200, func(o ...kgo.Opt) *kgo.Client { return brokertest.TLSClient(t, ssl, p.ClientTLS(t, ""), o...) })

	// A consumer group's coordinator is found on the same listener.
	cl2, err := kgo.NewClient(kgo.SeedBrokers(ssl), kgo.DialTLSConfig(p.ClientTLS(t, "")), kgo.ConsumerGroup("g"),
		kgo.ConsumeTopics("tls"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl2.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	n := 0
	for n < 200 && ctx.Err() == nil {
		n += cl2.PollFetches(ctx).NumRecords()
	}
	if err := cl2.CommitUncommittedOffsets(ctx); err != nil || n != 200 {
		t.Fatalf("group consumed %d of 200 over TLS, commit: %v", n, err)
	}
}

// TestSSLHandshakeFailures: a plaintext client on the SSL port, a client
// certificate from an unknown CA and an expired client certificate
// (ssl.client.auth=required) each get their connection closed with a
// log line saying why, and the broker goes on serving a good client.
func TestSSLHandshakeFailures(t *testing.T) {
	p := brokertest.NewPKI(t)
	zk := testcluster.Coordinator(t)
	b, logs := brokertest.StartLoggedBroker(t, 1, zk, brokertest.WithSSL(p, "required"))
	ssl := b.ListenerAddr("SSL")
	testcluster.CreateTopic(t, b.Addr(), "t", 1)
	good := brokertest.TLSClient(t, ssl, p.ClientTLS(t, p.Client))
	serves := func(step string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := good.ProduceSync(ctx, &kgo.Record{Topic: "t", Value: []byte(step)}).FirstErr(); err != nil {
			t.Fatalf("after %s: a good client's produce: %v", step, err)
		}
	}
	serves("start")

	// A plaintext client: an ApiVersions request as the first bytes.
	nc, err := net.Dial("tcp", ssl)
	if err != nil {
		t.Fatal(err)
	}
	req := kmsg.NewPtrApiVersionsRequest()
	frame := kmsg.NewRequestFormatter(kmsg.FormatterClientID("plain")).AppendRequest(nil, req, 1)
	if _, err := nc.Write(frame); err != nil {
		t.Fatal(err)
	}
	_ = nc.SetReadDeadline(time.Now().Add(30 * time.Second))
	buf := make([]byte, 64)
	for {
		if _, err = nc.Read(buf); err != nil {
			break // the TLS alert, if any, then the close
		}
	}
	nc.Close()
	if ne := net.Error(nil); errors.As(err, &ne) && ne.Timeout() {
		t.Fatal("a plaintext client on the SSL listener was not disconnected")
	}
	brokertest.AwaitLog(t, logs, "not a TLS client")
	serves("a plaintext client")

	// No client certificate with ssl.client.auth=required.
	brokertest.ExpectRefused(t, ssl, p.ClientTLS(t, ""))
	brokertest.AwaitLog(t, logs, "certificate")
	serves("no client certificate")

	// A client certificate from another CA.
	other, err := pemtls.NewCA("another CA", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	brokertest.ExpectRefused(t, ssl, p.ClientTLS(t, p.Issue(t, other, "mallory.pem", "mallory", time.Time{}, time.Time{})))
	brokertest.AwaitLog(t, logs, "unknown authority")
	serves("an unknown CA")

	// An expired client certificate from the right CA.
	now := time.Now()
	brokertest.ExpectRefused(t, ssl, p.ClientTLS(t, p.Issue(t, p.CA, "old.pem", "old", now.Add(-48*time.Hour), now.Add(-24*time.Hour))))
	brokertest.AwaitLog(t, logs, "expired")
	serves("an expired certificate")
}
