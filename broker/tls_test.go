package broker_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicelogs/sluice/broker"
	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/internal/pemtls"
	"github.com/sluicelogs/sluice/testkit/testcluster"
)

// pki is a CA and the files a TLS test hands to brokers and clients: the
// CA's certificate (a trust store), a server key store for 127.0.0.1 and
// localhost, and a client key store for alice.
type pki struct {
	ca                     *pemtls.CA
	dir                    string
	caFile, server, client string
}

func newPKI(t *testing.T) *pki {
	t.Helper()
	ca, err := pemtls.NewCA("sluice test CA", 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	p := &pki{ca: ca, dir: t.TempDir()}
	p.caFile = p.write(t, "ca.pem", ca.PEM())
	p.server = p.issue(t, ca, "server.pem", "broker", time.Time{}, time.Time{})
	p.client = p.issue(t, ca, "alice.pem", "alice", time.Time{}, time.Time{})
	return p
}

func (p *pki) write(t *testing.T, name string, b []byte) string {
	t.Helper()
	path := filepath.Join(p.dir, name)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// issue writes a key store (certificate and key) for name, issued by ca.
func (p *pki) issue(t *testing.T, ca *pemtls.CA, file, name string, notBefore, notAfter time.Time) string {
	t.Helper()
	c, err := ca.Issue(name, []string{"127.0.0.1", "localhost"}, notBefore, notAfter)
	if err != nil {
		t.Fatal(err)
	}
	return p.write(t, file, c.KeyStore())
}

// clientTLS is a client's TLS configuration trusting p's CA, with the
// key store keyStore as client certificate unless it is "".
func (p *pki) clientTLS(t *testing.T, keyStore string) *tls.Config {
	t.Helper()
	pool, err := pemtls.LoadPool(p.caFile)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}
	if keyStore != "" {
		cert, err := pemtls.LoadKeyPair(keyStore, "")
		if err != nil {
			t.Fatal(err)
		}
		// Sent whatever CAs the server asks for (Go's client would
		// otherwise send none from a CA the server does not name).
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &cert, nil }
	}
	return cfg
}

// withSSL adds an SSL listener on a free loopback port with p's server
// key store and CA, and the given ssl.client.auth.
func withSSL(p *pki, clientAuth string) func(*broker.Config) {
	return func(c *broker.Config) {
		c.MoreListeners = append(c.MoreListeners, broker.Listener{Name: "SSL", Addr: "127.0.0.1:0", AdvertisedHost: "127.0.0.1"})
		c.SSL.KeystoreLocation, c.SSL.TruststoreLocation, c.SSL.ClientAuth = p.server, p.caFile, clientAuth
	}
}

// logBuffer collects a broker's log lines for a test to look for.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if testing.Verbose() {
		os.Stderr.Write(p)
	}
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startLoggedBroker is testcluster.StartBroker with the broker's log
// lines kept in the returned buffer.
func startLoggedBroker(t *testing.T, id int, zk string, options ...func(*broker.Config)) (*testcluster.Broker, *logBuffer) {
	t.Helper()
	return startLoggedBrokerLevel(t, id, zk, slog.LevelInfo, options...)
}

// startLoggedBrokerLevel is startLoggedBroker logging from level on.
func startLoggedBrokerLevel(t *testing.T, id int, zk string, level slog.Level, options ...func(*broker.Config)) (*testcluster.Broker, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: level}))
	return testcluster.StartBrokerLogging(t, id, zk, "", log, options...), logs
}

// tlsClient is a franz-go client over TLS seeded with addr.
func tlsClient(t *testing.T, addr string, cfg *tls.Config, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(addr), kgo.DialTLSConfig(cfg), kgo.RequestRetries(2)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// produceConsume produces n records to topic through cl and reads them
// back through a new client made by mk; every record once, in order.
func produceConsume(t *testing.T, cl *kgo.Client, topic string, n int, consumer func(...kgo.Opt) *kgo.Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for i := 0; i < n; i++ {
		r := &kgo.Record{Topic: topic, Value: []byte(fmt.Sprintf("v-%04d", i))}
		if err := cl.ProduceSync(ctx, r).FirstErr(); err != nil {
			t.Fatalf("produce %d: %v", i, err)
		}
	}
	cc := consumer(kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	var got []string
	for len(got) < n {
		fs := cc.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("consumed %d of %d records", len(got), n)
		}
		fs.EachRecord(func(r *kgo.Record) { got = append(got, string(r.Value)) })
	}
	for i, v := range got {
		if v != fmt.Sprintf("v-%04d", i) {
			t.Fatalf("record %d is %q", i, v)
		}
	}
}

// metadataBrokers asks the broker at addr (over cfg's TLS when not nil)
// for its Metadata brokers, as host:port by node id.
func metadataBrokers(t *testing.T, addr string, cfg *tls.Config) map[int32]string {
	t.Helper()
	opts := []kgo.Opt{kgo.SeedBrokers(addr)}
	if cfg != nil {
		opts = append(opts, kgo.DialTLSConfig(cfg))
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := cl.SeedBrokers()[0].RetriableRequest(ctx, kmsg.NewPtrMetadataRequest())
	if err != nil {
		t.Fatal(err)
	}
	out := map[int32]string{}
	for _, b := range resp.(*kmsg.MetadataResponse).Brokers {
		out[b.NodeID] = net.JoinHostPort(b.Host, fmt.Sprint(b.Port))
	}
	return out
}

// TestSSLListenerFranzGo: a broker with a PLAINTEXT and an SSL listener
// serves franz-go over TLS, and each listener's Metadata names that
// listener's endpoint (Kafka's rule), so a TLS client never gets sent to
// the plaintext port nor the other way round.
func TestSSLListenerFranzGo(t *testing.T) {
	p := newPKI(t)
	zk := testcluster.Coordinator(t)
	b, _ := startLoggedBroker(t, 1, zk, withSSL(p, "none"))
	plain, ssl := b.Addr(), b.ListenerAddr("SSL")
	if ssl == "" || ssl == plain {
		t.Fatalf("SSL listener at %q, PLAINTEXT at %q", ssl, plain)
	}
	if got := metadataBrokers(t, plain, nil); got[1] != plain {
		t.Fatalf("PLAINTEXT Metadata: %v, want 1 at %s", got, plain)
	}
	if got := metadataBrokers(t, ssl, p.clientTLS(t, "")); got[1] != ssl {
		t.Fatalf("SSL Metadata: %v, want 1 at %s", got, ssl)
	}
	testcluster.CreateTopic(t, plain, "tls", 1)
	cl := tlsClient(t, ssl, p.clientTLS(t, ""))
	produceConsume(t, cl, "tls", 200, func(o ...kgo.Opt) *kgo.Client { return tlsClient(t, ssl, p.clientTLS(t, ""), o...) })

	// A consumer group's coordinator is found on the same listener.
	cl2, err := kgo.NewClient(kgo.SeedBrokers(ssl), kgo.DialTLSConfig(p.clientTLS(t, "")), kgo.ConsumerGroup("g"),
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
	p := newPKI(t)
	zk := testcluster.Coordinator(t)
	b, logs := startLoggedBroker(t, 1, zk, withSSL(p, "required"))
	ssl := b.ListenerAddr("SSL")
	testcluster.CreateTopic(t, b.Addr(), "t", 1)
	good := tlsClient(t, ssl, p.clientTLS(t, p.client))
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
	awaitLog(t, logs, "not a TLS client")
	serves("a plaintext client")

	// No client certificate with ssl.client.auth=required.
	expectRefused(t, ssl, p.clientTLS(t, ""))
	awaitLog(t, logs, "certificate")
	serves("no client certificate")

	// A client certificate from another CA.
	other, err := pemtls.NewCA("another CA", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	expectRefused(t, ssl, p.clientTLS(t, p.issue(t, other, "mallory.pem", "mallory", time.Time{}, time.Time{})))
	awaitLog(t, logs, "unknown authority")
	serves("an unknown CA")

	// An expired client certificate from the right CA.
	now := time.Now()
	expectRefused(t, ssl, p.clientTLS(t, p.issue(t, p.ca, "old.pem", "old", now.Add(-48*time.Hour), now.Add(-24*time.Hour))))
	awaitLog(t, logs, "expired")
	serves("an expired certificate")
}

// expectRefused dials addr with cfg and checks the broker ends the
// connection: the handshake or the first request fails.
func expectRefused(t *testing.T, addr string, cfg *tls.Config) {
	t.Helper()
	d := &tls.Dialer{Config: cfg}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return // refused in the handshake (TLS 1.2)
	}
	defer nc.Close()
	// TLS 1.3: the client's handshake ends before the server checks its
	// certificate; the server's alert comes with the first read.
	_ = nc.SetDeadline(time.Now().Add(30 * time.Second))
	frame := kmsg.NewRequestFormatter().AppendRequest(nil, kmsg.NewPtrApiVersionsRequest(), 1)
	_, _ = nc.Write(frame)
	_, err = io.ReadFull(nc, make([]byte, 4))
	if err == nil {
		t.Fatalf("the broker answered a client it should have refused")
	}
	if ne := net.Error(nil); errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the broker neither answered nor closed the connection")
	}
}

func awaitLog(t *testing.T, logs *logBuffer, want string) {
	t.Helper()
	await.Eventually(t, 30*time.Second, 20*time.Millisecond, func() error {
		for _, line := range strings.Split(logs.String(), "\n") {
			if strings.Contains(line, "TLS handshake failed") && strings.Contains(line, want) {
				return nil
			}
		}
		return fmt.Errorf("no log line of a failed TLS handshake with %q:\n%s", want, logs.String())
	})
}
