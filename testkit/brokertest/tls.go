package brokertest

// TLS helpers of the broker's SSL and SASL_SSL tests: a CA and key
// stores made for a test, brokers with SSL listeners, TLS clients.

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

// PKI is a CA and the files a TLS test hands to brokers and clients: the
// CA's certificate (a trust store), a server key store for 127.0.0.1 and
// localhost, and a client key store for alice.
type PKI struct {
	CA                     *pemtls.CA
	Dir                    string
	CAFile, Server, Client string
}

func NewPKI(t *testing.T) *PKI {
	t.Helper()
	ca, err := pemtls.NewCA("sluice test CA", 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	p := &PKI{CA: ca, Dir: t.TempDir()}
	p.CAFile = p.Write(t, "ca.pem", ca.PEM())
	p.Server = p.Issue(t, ca, "server.pem", "broker", time.Time{}, time.Time{})
	p.Client = p.Issue(t, ca, "alice.pem", "alice", time.Time{}, time.Time{})
	return p
}

func (p *PKI) Write(t *testing.T, name string, b []byte) string {
	t.Helper()
	path := filepath.Join(p.Dir, name)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// Issue writes a key store (certificate and key) for name, issued by ca.
func (p *PKI) Issue(t *testing.T, ca *pemtls.CA, file, name string, notBefore, notAfter time.Time) string {
	t.Helper()
	c, err := ca.Issue(name, []string{"127.0.0.1", "localhost"}, notBefore, notAfter)
	if err != nil {
		t.Fatal(err)
	}
	return p.Write(t, file, c.KeyStore())
}

// ClientTLS is a client's TLS configuration trusting p's CA, with the
// key store keyStore as client certificate unless it is "".
func (p *PKI) ClientTLS(t testing.TB, keyStore string) *tls.Config {
	t.Helper()
	pool, err := pemtls.LoadPool(p.CAFile)
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

// WithSSL adds an SSL listener on a free loopback port with p's server
// key store and CA, and the given ssl.client.auth.
func WithSSL(p *PKI, clientAuth string) func(*broker.Config) {
	return func(c *broker.Config) {
		c.MoreListeners = append(c.MoreListeners, broker.Listener{Name: "SSL", Addr: "127.0.0.1:0", AdvertisedHost: "127.0.0.1"})
		c.SSL.KeystoreLocation, c.SSL.TruststoreLocation, c.SSL.ClientAuth = p.Server, p.CAFile, clientAuth
	}
}

// LogBuffer collects a broker's log lines for a test to look for.
type LogBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if testing.Verbose() {
		os.Stderr.Write(p)
	}
	return l.b.Write(p)
}

func (l *LogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// StartLoggedBroker is testcluster.StartBroker with the broker's log
// lines kept in the returned buffer.
func StartLoggedBroker(t *testing.T, id int, zk string, options ...func(*broker.Config)) (*testcluster.Broker, *LogBuffer) {
	t.Helper()
	return StartLoggedBrokerLevel(t, id, zk, slog.LevelInfo, options...)
}

// StartLoggedBrokerLevel is StartLoggedBroker logging from level on.
func StartLoggedBrokerLevel(t *testing.T, id int, zk string, level slog.Level, options ...func(*broker.Config)) (*testcluster.Broker, *LogBuffer) {
	t.Helper()
	logs := &LogBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: level}))
	return testcluster.StartBrokerLogging(t, id, zk, "", log, options...), logs
}

// TLSClient is a franz-go client over TLS seeded with addr.
func TLSClient(t testing.TB, addr string, cfg *tls.Config, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(addr), kgo.DialTLSConfig(cfg), kgo.RequestRetries(2)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// ProduceConsume produces n records to topic through cl and reads them
// back through a new client made by mk; every record once, in order.
func ProduceConsume(t *testing.T, cl *kgo.Client, topic string, n int, consumer func(...kgo.Opt) *kgo.Client) {
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

// MetadataBrokers asks the broker at addr (over cfg's TLS when not nil)
// for its Metadata brokers, as host:port by node id.
func MetadataBrokers(t *testing.T, addr string, cfg *tls.Config) map[int32]string {
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

// ExpectRefused dials addr with cfg and checks the broker ends the
// connection: the handshake or the first request fails.
func ExpectRefused(t *testing.T, addr string, cfg *tls.Config) {
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

func AwaitLog(t *testing.T, logs *LogBuffer, want string) {
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
