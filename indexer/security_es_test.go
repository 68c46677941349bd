package indexer_test

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sluicelogs/sluice/indexer"
	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/internal/clientsec"
	"github.com/sluicelogs/sluice/internal/pemtls"
	"github.com/sluicelogs/sluice/testkit/logcapture"
	"github.com/sluicelogs/sluice/testkit/testcluster"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// Secrets the indexer must present and never log.
const (
	esUser, esPass = "elastic", "s3cret-Pa55"
	apiID, apiKey  = "VuaCfGcBCdbkQm-e5aOx", "ui2lp2axTNmsyakw9tvNnw"
)

// esGuard stands in for Elasticsearch's security: no security plugin is
// published to Maven Central, so the real Elasticsearch 7.17 node runs
// without one, behind this TLS-terminating reverse proxy that checks the
// credentials the way Elasticsearch would (basic auth, ApiKey, or a client
// certificate from the CA) and answers 401 otherwise.
type esGuard struct {
	mode             string // basic, apikey or cert
	proxy            *httputil.ReverseProxy
	allowed, refused atomic.Int64
}

func (g *esGuard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ok := false
	switch g.mode {
	case "basic":
		u, p, has := r.BasicAuth()
		ok = has && u == esUser && p == esPass
	case "apikey":
		// HTTP authentication schemes are case-insensitive (RFC 9110
		// 11.1): Filebeat sends ApiKey, go-elasticsearch APIKey.
		scheme, cred, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		ok = strings.EqualFold(scheme, "ApiKey") && cred == base64.StdEncoding.EncodeToString([]byte(apiID+":"+apiKey))
	case "cert":
		ok = r.TLS != nil && len(r.TLS.VerifiedChains) > 0
	}
	if !ok {
		g.refused.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"error":{"type":"security_exception","reason":"unable to authenticate request"},"status":401}`)
		return
	}
	g.allowed.Add(1)
	r.Header.Del("Authorization")
	g.proxy.ServeHTTP(w, r)
}

// secPKI is a CA the proxy trusts, its certificates, and one from an
// unknown CA, as PEM files.
type secPKI struct {
	dir                                  string
	ca                                   *pemtls.CA
	server, expiredServer, client, stale pemtls.Cert
}

func newSecPKI(t *testing.T) *secPKI {
	t.Helper()
	ca, err := pemtls.NewCA("sluice test CA", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	p := &secPKI{dir: t.TempDir(), ca: ca}
	past := time.Now().Add(-48 * time.Hour)
	for _, c := range []struct {
		out        *pemtls.Cert
		name       string
		from, till time.Time
	}{
		{&p.server, "es", time.Time{}, time.Time{}},
		{&p.expiredServer, "es", past, past.Add(time.Hour)},
		{&p.client, "indexer", time.Time{}, time.Time{}},
		{&p.stale, "indexer", past, past.Add(time.Hour)},
	} {
		if *c.out, err = ca.Issue(c.name, []string{"127.0.0.1"}, c.from, c.till); err != nil {
			t.Fatal(err)
		}
	}
	other, err := pemtls.NewCA("unknown CA", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	p.write(t, "ca.pem", ca.PEM())
	p.write(t, "other-ca.pem", other.PEM())
	p.write(t, "client.pem", p.client.CertPEM)
	p.write(t, "client.key", p.client.KeyPEM)
	p.write(t, "stale.pem", p.stale.CertPEM)
	p.write(t, "stale.key", p.stale.KeyPEM)
	return p
}

func (p *secPKI) write(t *testing.T, name string, b []byte) {
	if err := os.WriteFile(filepath.Join(p.dir, name), b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func (p *secPKI) file(name string) string { return filepath.Join(p.dir, name) }

// startGuard starts the proxy in front of es with the server certificate
// cert, asking for (not requiring) a client certificate from the CA.
func (p *secPKI) startGuard(t *testing.T, es *testpeer.Elasticsearch, mode string, cert pemtls.Cert) (*esGuard, string) {
	t.Helper()
	target, err := url.Parse(es.URL)
	if err != nil {
		t.Fatal(err)
	}
	kp, err := tls.X509KeyPair(cert.CertPEM, cert.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := pemtls.LoadPool(p.file("ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	g := &esGuard{mode: mode, proxy: httputil.NewSingleHostReverseProxy(target)}
	srv := httptest.NewUnstartedServer(g)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{kp}, ClientCAs: pool, ClientAuth: tls.VerifyClientCertIfGiven}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are the point
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return g, srv.URL
}

// TestIndexerElasticsearchSecurity runs the indexer's Elasticsearch TLS
// and authentication options against a real Elasticsearch 7.17 node
// behind esGuard (a proxy: see there why), with a sluice broker: basic
// auth, an API key and a client certificate index every record; a wrong
// password, an unknown CA and expired certificates give a clear error in
// the log and index nothing, and the records are all indexed once the
// configuration is fixed. No secret ever reaches the log.
func TestIndexerElasticsearchSecurity(t *testing.T) {
	es := testpeer.StartElasticsearch(t)
	zk := testcluster.Coordinator(t)
	b := testcluster.StartBroker(t, 1, zk, "")
	testcluster.CreateTopic(t, b.Addr(), "sluice-dlq", 1)
	p := newSecPKI(t)
	const records = 20

	run := func(t *testing.T, name string, cfg indexer.Config, wantLog string) *logcapture.Buffer {
		t.Helper()
		logger, logs := logcapture.New()
		ix, err := indexer.New(cfg, logger)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- ix.Run(ctx) }()
		defer func() {
			if t.Failed() {
				t.Logf("%s: the indexer's log:\n%s", name, logs)
			}
			cancel()
			if err := <-done; err != nil {
				t.Errorf("%s: Run: %v", name, err)
			}
			for _, secret := range []string{esPass, apiKey} {
				if logs.Contains(secret) {
					t.Errorf("%s: the log holds a secret:\n%s", name, logs)
				}
			}
		}()
		if wantLog != "" {
			await.Eventually(t, 2*time.Minute, 50*time.Millisecond, func() error {
				if !logs.Contains(wantLog) {
					return fmt.Errorf("no %q in the log yet:\n%s", wantLog, logs)
				}
				return nil
			})
			return logs
		}
		waitIndexed(t, es, cfg.Routes[0].Index, records)
		return logs
	}
	config := func(name, host string) indexer.Config {
		cfg := indexer.Defaults()
		cfg.Kafka.Hosts = []string{b.Addr()}
		cfg.Kafka.Group = "sec-" + name
		cfg.Elasticsearch.Hosts = []string{host}
		cfg.Elasticsearch.Replicas = 0
		cfg.MaxBackoff = 200 * time.Millisecond
		cfg.Routes = []indexer.Route{{Topics: []string{"sec-" + name}, Index: "sec-" + name}}
		cfg.Elasticsearch.SSL.CertificateAuthorities = []string{p.file("ca.pem")}
		produceN(t, b.Addr(), "sec-"+name, records)
		return cfg
	}

	t.Run("BasicAuth", func(t *testing.T) {
		g, host := p.startGuard(t, es, "basic", p.server)
		cfg := config("basic", host)
		cfg.Elasticsearch.Username, cfg.Elasticsearch.Password = esUser, "wrong-"+esPass
		run(t, "wrong password", cfg, "401 Unauthorized")
		if g.allowed.Load() != 0 {
			t.Fatalf("the proxy let %d requests through with a wrong password", g.allowed.Load())
		}
		cfg.Elasticsearch.Password = esPass
		run(t, "right password", cfg, "")
	})
	t.Run("APIKey", func(t *testing.T) {
		_, host := p.startGuard(t, es, "apikey", p.server)
		cfg := config("apikey", host)
		cfg.Elasticsearch.APIKey = apiID + ":wrong-" + apiKey
		run(t, "wrong api key", cfg, "401 Unauthorized")
		cfg.Elasticsearch.APIKey = apiID + ":" + apiKey
		run(t, "api key", cfg, "")
	})
	t.Run("ClientCertificate", func(t *testing.T) {
		g, host := p.startGuard(t, es, "cert", p.server)
		cfg := config("cert", host)
		cfg.Elasticsearch.SSL.Certificate, cfg.Elasticsearch.SSL.Key = p.file("stale.pem"), p.file("stale.key")
		run(t, "expired client certificate", cfg, "tls:")
		if g.allowed.Load() != 0 {
			t.Fatalf("the proxy let %d requests through with an expired certificate", g.allowed.Load())
		}
		cfg.Elasticsearch.SSL.Certificate, cfg.Elasticsearch.SSL.Key = p.file("client.pem"), p.file("client.key")
		run(t, "client certificate", cfg, "")
	})
	t.Run("UnknownCA", func(t *testing.T) {
		g, host := p.startGuard(t, es, "basic", p.server)
		cfg := config("unknownca", host)
		cfg.Elasticsearch.Username, cfg.Elasticsearch.Password = esUser, esPass
		cfg.Elasticsearch.SSL.CertificateAuthorities = []string{p.file("other-ca.pem")}
		run(t, "unknown CA", cfg, "certificate signed by unknown authority")
		if g.allowed.Load()+g.refused.Load() != 0 {
			t.Fatal("a request went through a TLS connection the indexer should not trust")
		}
		cfg.Elasticsearch.SSL.CertificateAuthorities = []string{p.file("ca.pem")}
		run(t, "right CA", cfg, "")
	})
	t.Run("ExpiredServerCertificate", func(t *testing.T) {
		_, host := p.startGuard(t, es, "basic", p.expiredServer)
		cfg := config("expired", host)
		cfg.Elasticsearch.Username, cfg.Elasticsearch.Password = esUser, esPass
		run(t, "expired server certificate", cfg, "certificate has expired")
	})
	t.Run("PasswordInURLRedacted", func(t *testing.T) {
		// The password in the host URL; the proxy refuses (basic auth
		// from the URL is not what is tested): nothing logged shows it.
		_, host := p.startGuard(t, es, "apikey", p.server)
		u, _ := url.Parse(host)
		u.User = url.UserPassword(esUser, esPass)
		cfg := config("inurl", u.String())
		logs := run(t, "password in URL", cfg, "401 Unauthorized")
		if strings.Contains(logs.String(), esPass) {
			t.Fatalf("the log holds the password:\n%s", logs)
		}
		if got := clientsec.RedactURL(u.String()); !strings.Contains(got, esUser+":xxxxx@") {
			t.Fatalf("RedactURL gave %s", got)
		}
	})
}

// produceN writes n records to topic.
func produceN(t *testing.T, addr, topic string, n int) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.AllowAutoTopicCreation())
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for i := range n {
		v := fmt.Sprintf(`{"message":"line %d"}`, i)
		if err := cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Value: []byte(v)}).FirstErr(); err != nil {
			t.Fatalf("produce: %v", err)
		}
	}
}

// waitIndexed waits until index holds want documents, as long as the
// count moves.
func waitIndexed(t *testing.T, es *testpeer.Elasticsearch, index string, want int) {
	t.Helper()
	await.Progress(t, 2*time.Minute, 5*time.Minute, 100*time.Millisecond, func() (int64, error) {
		ctx := context.Background()
		_ = es.Do(ctx, "POST", "/"+index+"/_refresh", nil, nil)
		var c struct {
			Count int64 `json:"count"`
		}
		if err := es.Do(ctx, "GET", "/"+index+"/_count", nil, &c); err != nil {
			return 0, err
		}
		if c.Count > int64(want) {
			t.Fatalf("%s holds %d documents, want %d", index, c.Count, want)
		}
		if c.Count == int64(want) {
			return c.Count, nil
		}
		return c.Count, fmt.Errorf("%s holds %d of %d documents", index, c.Count, want)
	})
}
