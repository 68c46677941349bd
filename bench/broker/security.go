package broker

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	sluicebroker "github.com/sluicelogs/sluice/broker"
	"github.com/sluicelogs/sluice/internal/clientsec"
	"github.com/sluicelogs/sluice/internal/config"
	"github.com/sluicelogs/sluice/internal/pemtls"
	"github.com/sluicelogs/sluice/testkit/proc"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// The client security of a run (Config.Security).
const (
	// SecurityPlaintext: the load client talks PLAINTEXT to the brokers.
	SecurityPlaintext = "plaintext"
	// SecuritySASLSSL: every broker of both targets has, beside the
	// PLAINTEXT listener its readiness check, the bench's admin and
	// replication use, a SASL_SSL listener (a PEM key store issued by a CA
	// of the run, as `sluice certs` makes, SCRAM-SHA-512 only); the load
	// client dials it with TLS and logs in as benchUser with SCRAM-SHA-512.
	SecuritySASLSSL = "sasl_ssl"
)

// The SCRAM-SHA-512 user of a SASL_SSL run's load client.
const (
	benchUser     = "bench"
	benchPassword = "bench-secret"
	// scramIterations is what kafka-storage.sh uses by default (Kafka's
	// user is made with it), so both targets verify the same work at login.
	scramIterations = 4096
)

// ParseSecurity reads a comma-separated -security value: each of
// plaintext and sasl_ssl at most once, in the order given.
func ParseSecurity(v string) ([]string, error) {
	var out []string
	for _, s := range strings.Split(v, ",") {
		s = strings.ToLower(strings.TrimSpace(s))
		switch s {
		case SecurityPlaintext, SecuritySASLSSL:
		default:
			return nil, fmt.Errorf("-security: unknown setting %q (want plaintext, sasl_ssl)", s)
		}
		for _, o := range out {
			if o == s {
				return nil, fmt.Errorf("-security: %s given twice", s)
			}
		}
		out = append(out, s)
	}
	return out, nil
}

// saslSSL is the SASL_SSL side of one target's start: its PKI files and
// the SASL_SSL port of each broker (index id-1), picked before the
// brokers start.
type saslSSL struct {
	caFile, keyStore string
	ports            []int
}

// newSASLSSL writes a CA and a key store for 127.0.0.1 and localhost
// into dir and picks a SASL_SSL port for each of brokers brokers.
func newSASLSSL(dir string, brokers int) (*saslSSL, error) {
	ca, err := pemtls.NewCA("sluice bench CA", 24*time.Hour)
	if err != nil {
		return nil, fmt.Errorf("bench CA: %w", err)
	}
	cert, err := ca.Issue("broker", []string{"127.0.0.1", "localhost"}, time.Time{}, time.Time{})
	if err != nil {
		return nil, fmt.Errorf("bench broker certificate: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	s := &saslSSL{caFile: filepath.Join(dir, "ca.pem"), keyStore: filepath.Join(dir, "keystore.pem")}
	for f, b := range map[string][]byte{s.caFile: ca.PEM(), s.keyStore: cert.KeyStore()} {
		if err := os.WriteFile(f, b, 0o600); err != nil {
			return nil, fmt.Errorf("bench PKI: %w", err)
		}
	}
	for range max(brokers, 1) {
		p, err := proc.FreePort()
		if err != nil {
			return nil, err
		}
		s.ports = append(s.ports, p)
	}
	return s, nil
}

// Addrs are the SASL_SSL listeners' host:port, broker 1 first.
func (s *saslSSL) Addrs() []string {
	out := make([]string, len(s.ports))
	for i, p := range s.ports {
		out[i] = "127.0.0.1:" + strconv.Itoa(p)
	}
	return out
}

// apply adds the SASL_SSL listener to spec: Kafka's server.properties
// lines and SCRAM users (created when its storage is formatted), or the
// sluice brokers' configuration.
func (s *saslSSL) apply(spec *testpeer.BrokersSpec) {
	spec.KafkaProperties = s.kafkaProperties
	spec.KafkaSCRAM = []string{fmt.Sprintf("SCRAM-SHA-512=[name=%s,password=%s]", benchUser, benchPassword)}
	spec.Configure = s.configureSluice
}

// kafkaProperties are the lines a Kafka node gets: its PLAINTEXT listener
// (readiness, admin, inter-broker as deploy/kafka/run.sh sets) and
// CONTROLLER as before, plus SASL_SSL with SCRAM-SHA-512.
func (s *saslSSL) kafkaProperties(node, port, controllerPort int) string {
	return testpeer.KafkaSASLSSLProperties(port, controllerPort, s.ports[node-1], s.keyStore, s.caFile, "SCRAM-SHA-512")
}

// configureSluice gives sluice broker id the same: a SASL_SSL listener
// after its PLAINTEXT one, which stays the inter-broker listener.
func (s *saslSSL) configureSluice(id int, cfg *sluicebroker.Config) {
	port := s.ports[id-1]
	cfg.MoreListeners = append(cfg.MoreListeners, sluicebroker.Listener{Name: "SASL_SSL",
		Addr: "127.0.0.1:" + strconv.Itoa(port), AdvertisedHost: "127.0.0.1", AdvertisedPort: int32(port)})
	cfg.SSL.KeystoreType, cfg.SSL.KeystoreLocation = "PEM", s.keyStore
	cfg.SSL.TruststoreType, cfg.SSL.TruststoreLocation = "PEM", s.caFile
	cfg.SASL.EnabledMechanisms = []string{"SCRAM-SHA-512"}
	cfg.SASL.InterBrokerMechanism = "SCRAM-SHA-512"
	cfg.SASL.JAAS = map[string]string{"sasl_ssl.SCRAM-SHA-512": testpeer.ScramJAAS}
}

// ClientOpts are the load client's options: TLS trusting the run's CA
// and SCRAM-SHA-512 as benchUser, built as the agent's output.kafka does.
func (s *saslSSL) ClientOpts() ([]kgo.Opt, error) {
	k := clientsec.Kafka{Username: benchUser, Password: benchPassword}
	k.SASL.Mechanism = "SCRAM-SHA-512"
	k.SSL.CertificateAuthorities = []string{s.caFile}
	var errs config.Errors
	k.Validate("", &errs)
	if err := errs.Err(); err != nil {
		return nil, fmt.Errorf("bench client security: %w", err)
	}
	return k.Options(), nil
}

// addUser creates benchUser's SCRAM-SHA-512 credential through the
// PLAINTEXT listener at addr (AlterUserScramCredentials: the sluice
// brokers keep it under the coordinator's /config/users), for the target
// whose users are not made at start (sluice).
func addUser(ctx context.Context, addr string) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		return err
	}
	defer cl.Close()
	res, err := kadm.NewClient(cl).AlterUserSCRAMs(ctx, nil, []kadm.UpsertSCRAM{{
		User: benchUser, Mechanism: kadm.ScramSha512, Iterations: scramIterations, Password: benchPassword}})
	if err == nil {
		err = res.Error()
	}
	if err != nil {
		return fmt.Errorf("AlterUserScramCredentials %s: %w", benchUser, err)
	}
	return nil
}

// loggedIn waits until a client with opts gets Metadata from each of
// addrs in turn: every listener takes TLS and knows the credential.
func loggedIn(ctx context.Context, addrs []string, procs []*proc.Process, opts []kgo.Opt) error {
	for _, addr := range addrs {
		err := proc.WaitReady(ctx, 250*time.Millisecond, func(ctx context.Context) error {
			cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(addr)}, opts...)...)
			if err != nil {
				return err
			}
			defer cl.Close()
			_, err = kmsg.NewPtrMetadataRequest().RequestWith(ctx, cl)
			return err
		}, procs...)
		if err != nil {
			return fmt.Errorf("SASL_SSL login at %s: %w", addr, err)
		}
	}
	return nil
}

// login readies started target t for the load client: the sluice brokers
// get benchUser's credential (Kafka's was made at format time), then it
// waits until the client logs in at every SASL_SSL listener. It returns
// the listeners and the client's options.
func (s *saslSSL) login(ctx context.Context, t *testpeer.Brokers) ([]string, []kgo.Opt, error) {
	opts, err := s.ClientOpts()
	if err != nil {
		return nil, nil, err
	}
	if t.Spec.Kind == testpeer.KindSluice {
		if err := addUser(ctx, t.Addr); err != nil {
			return nil, nil, err
		}
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := loggedIn(ctx, s.Addrs(), t.Servers, opts); err != nil {
		return nil, nil, err
	}
	return s.Addrs(), opts, nil
}
