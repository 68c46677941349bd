package broker_test

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	ksasl "github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/sluicelogs/sluice/broker"
	"github.com/sluicelogs/sluice/testkit/brokertest"
	"github.com/sluicelogs/sluice/testkit/testcluster"
)

// saslAdminJAAS is the PLAIN login module of the SASL tests' brokers: admin
// is the inter-broker user, alice a PLAIN client.
const saslAdminJAAS = brokertest.AdminPlainJAAS

// withSASL makes a broker's listener SASL_PLAINTEXT with PLAIN and both
// SCRAMs, inter-broker over interBroker (PLAIN, or SCRAM as admin, whose
// credential the test must create first).
func withSASL(interBroker string) func(*broker.Config) {
	return func(c *broker.Config) {
		c.ListenerName, c.InterBrokerListener = "SASL_PLAINTEXT", "SASL_PLAINTEXT"
		c.SASL.EnabledMechanisms = []string{"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"}
		c.SASL.InterBrokerMechanism = interBroker
		c.SASL.JAAS = map[string]string{
			"sasl_plaintext.PLAIN": saslAdminJAAS,
			"":                     brokertest.AdminScramJAAS,
		}
	}
}

func saslClient(t *testing.T, addr string, mech ksasl.Mechanism, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(addr), kgo.SASL(mech)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

func adminPlain() ksasl.Mechanism {
	return plain.Auth{User: "admin", Pass: "admin-secret"}.AsMechanism()
}

// upsertScram gives user a credential of mech through AlterUserScramCredentials.
func upsertScram(t *testing.T, addr, user, pass string, mech kadm.ScramMechanism) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	adm := kadm.NewClient(saslClient(t, addr, adminPlain()))
	res, err := adm.AlterUserSCRAMs(ctx, nil, []kadm.UpsertSCRAM{{User: user, Mechanism: mech, Iterations: 8192, Password: pass}})
	if err != nil {
		t.Fatal(err)
	}
	if err := res.Error(); err != nil {
		t.Fatal(err)
	}
}

func TestSASLFranzGo(t *testing.T) {
	zkAddr := testcluster.Coordinator(t)
	b := testcluster.StartBroker(t, 1, zkAddr, "", withSASL("PLAIN"))
	addr := b.Addr()
	upsertScram(t, addr, "alice", "alice-secret", kadm.ScramSha256)
	upsertScram(t, addr, "alice", "alice-secret", kadm.ScramSha512)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for _, tc := range []struct {
		name string
		mech ksasl.Mechanism
	}{
		{"plain", plain.Auth{User: "alice", Pass: "alice-plain"}.AsMechanism()},
		{"scram-sha-256", scram.Auth{User: "alice", Pass: "alice-secret"}.AsSha256Mechanism()},
		{"scram-sha-512", scram.Auth{User: "alice", Pass: "alice-secret"}.AsSha512Mechanism()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			topic := "sasl-" + tc.name
			cl := saslClient(t, addr, tc.mech, kgo.DefaultProduceTopic(topic), kgo.AllowAutoTopicCreation(),
				kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
			if err := cl.ProduceSync(ctx, kgo.StringRecord("hello "+tc.name)).FirstErr(); err != nil {
				t.Fatal(err)
			}
			fs := cl.PollRecords(ctx, 1)
			if err := fs.Err0(); err != nil {
				t.Fatal(err)
			}
			if recs := fs.Records(); len(recs) != 1 || string(recs[0].Value) != "hello "+tc.name {
				t.Fatalf("records %v", recs)
			}
		})
	}

	// Wrong password, unknown user: SASL_AUTHENTICATION_FAILED with
	// Kafka's words; the broker serves the next client.
	for _, tc := range []struct {
		name, want string
		mech       ksasl.Mechanism
	}{
		{"wrong password", "Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512",
			scram.Auth{User: "alice", Pass: "nope"}.AsSha512Mechanism()},
		{"unknown user", "Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256",
			scram.Auth{User: "mallory", Pass: "x"}.AsSha256Mechanism()},
		{"plain wrong password", "Authentication failed: Invalid username or password", plain.Auth{User: "alice", Pass: "alice-secret"}.AsMechanism()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cl := saslClient(t, addr, tc.mech, kgo.RequestRetries(0))
			_, err := kmsg.NewPtrMetadataRequest().RequestWith(ctx, cl)
			if !errors.Is(err, kerr.SaslAuthenticationFailed) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want SASL_AUTHENTICATION_FAILED: %s", err, tc.want)
			}
		})
	}
}

// rawConn is a client connection that writes Kafka frames by hand.
type rawConn struct {
	t  *testing.T
	nc net.Conn
	f  *kmsg.RequestFormatter
	c  int32
}

func dialRaw(t *testing.T, addr string) *rawConn {
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	_ = nc.SetDeadline(time.Now().Add(30 * time.Second))
	return &rawConn{t: t, nc: nc, f: kmsg.NewRequestFormatter()}
}

// frame sends b with its size; a write the broker cut short by closing
// shows in the next read.
func (r *rawConn) frame(b []byte) {
	_, _ = r.nc.Write(append(binary.BigEndian.AppendUint32(nil, uint32(len(b))), b...))
}

// read returns the next frame, or nil once the broker closed.
func (r *rawConn) read() []byte {
	r.t.Helper()
	var size [4]byte
	if _, err := io.ReadFull(r.nc, size[:]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) {
			return nil
		}
		r.t.Fatal(err)
	}
	b := make([]byte, binary.BigEndian.Uint32(size[:]))
	if _, err := io.ReadFull(r.nc, b); err != nil {
		r.t.Fatal(err)
	}
	return b
}

func (r *rawConn) ask(req kmsg.Request, resp kmsg.Response) kmsg.Response {
	r.t.Helper()
	r.c++
	out := r.f.AppendRequest(nil, req, r.c)
	if _, err := r.nc.Write(out); err != nil {
		r.t.Fatal(err)
	}
	b := r.read()
	if b == nil {
		return nil
	}
	b = b[4:]
	resp.SetVersion(req.GetVersion())
	if resp.IsFlexible() {
		b = b[1:] // no tags in our responses' headers
	}
	if err := resp.ReadFrom(b); err != nil {
		r.t.Fatal(err)
	}
	return resp
}

// closed waits for the broker to close the connection.
func (r *rawConn) closed() {
	r.t.Helper()
	if b := r.read(); b != nil {
		r.t.Fatalf("connection not closed: got %d bytes", len(b))
	}
}

func handshake(r *rawConn, version int16, mech string) *kmsg.SASLHandshakeResponse {
	req := kmsg.NewPtrSASLHandshakeRequest()
	req.SetVersion(version)
	req.Mechanism = mech
	resp := r.ask(req, kmsg.NewPtrSASLHandshakeResponse())
	if resp == nil {
		return nil
	}
	return resp.(*kmsg.SASLHandshakeResponse)
}

func TestSASLProtocol(t *testing.T) {
	zkAddr := testcluster.Coordinator(t)
	b := testcluster.StartBroker(t, 1, zkAddr, "", withSASL("PLAIN"))
	addr := b.Addr()
	alive := func() {
		t.Helper()
		cl := saslClient(t, addr, adminPlain())
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := kmsg.NewPtrMetadataRequest().RequestWith(ctx, cl); err != nil {
			t.Fatalf("broker no longer serves: %v", err)
		}
	}

	t.Run("request before authentication", func(t *testing.T) {
		r := dialRaw(t, addr)
		if resp := r.ask(kmsg.NewPtrMetadataRequest(), kmsg.NewPtrMetadataResponse()); resp != nil {
			t.Fatal("metadata answered before authentication")
		}
		r = dialRaw(t, addr)
		if handshake(r, 1, "PLAIN") == nil {
			t.Fatal("handshake closed")
		}
		if resp := r.ask(kmsg.NewPtrMetadataRequest(), kmsg.NewPtrMetadataResponse()); resp != nil {
			t.Fatal("metadata answered between handshake and authentication")
		}
		alive()
	})
	t.Run("unsupported mechanism", func(t *testing.T) {
		r := dialRaw(t, addr)
		resp := handshake(r, 1, "GSSAPI")
		if resp == nil || resp.ErrorCode != kerr.UnsupportedSaslMechanism.Code ||
			strings.Join(resp.SupportedMechanisms, ",") != "PLAIN,SCRAM-SHA-256,SCRAM-SHA-512" {
			t.Fatalf("%+v", resp)
		}
		r.closed()
		alive()
	})
	t.Run("v0 raw tokens", func(t *testing.T) {
		r := dialRaw(t, addr)
		if resp := handshake(r, 0, "PLAIN"); resp == nil || resp.ErrorCode != 0 {
			t.Fatalf("%+v", resp)
		}
		r.frame([]byte("\x00alice\x00alice-plain"))
		if b := r.read(); b == nil || len(b) != 0 {
			t.Fatalf("PLAIN success answered %q", b)
		}
		if resp := r.ask(kmsg.NewPtrMetadataRequest(), kmsg.NewPtrMetadataResponse()); resp == nil {
			t.Fatal("no metadata after authentication")
		}
		// Wrong password over v0: closed without an answer.
		r = dialRaw(t, addr)
		handshake(r, 0, "PLAIN")
		r.frame([]byte("\x00alice\x00wrong"))
		r.closed()
		alive()
	})
	t.Run("garbage tokens", func(t *testing.T) {
		for _, mech := range []string{"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"} {
			r := dialRaw(t, addr)
			handshake(r, 1, mech)
			req := kmsg.NewPtrSASLAuthenticateRequest()
			req.SetVersion(2)
			req.SASLAuthBytes = []byte("\xff\x00garbage,,=")
			resp := r.ask(req, kmsg.NewPtrSASLAuthenticateResponse())
			if resp == nil || resp.(*kmsg.SASLAuthenticateResponse).ErrorCode != kerr.SaslAuthenticationFailed.Code {
				t.Fatalf("%s: %+v", mech, resp)
			}
			r.closed()
			// A raw token larger than sasl.server.max.receive.size.
			r = dialRaw(t, addr)
			handshake(r, 0, mech)
			r.frame(make([]byte, 600<<10))
			r.closed()
		}
		alive()
	})
	t.Run("after authentication", func(t *testing.T) {
		r := dialRaw(t, addr)
		handshake(r, 1, "PLAIN")
		req := kmsg.NewPtrSASLAuthenticateRequest()
		req.SetVersion(1)
		req.SASLAuthBytes = []byte("\x00admin\x00admin-secret")
		if resp := r.ask(req, kmsg.NewPtrSASLAuthenticateResponse()).(*kmsg.SASLAuthenticateResponse); resp.ErrorCode != 0 {
			t.Fatalf("%+v", resp)
		}
		if resp := handshake(r, 1, "PLAIN"); resp == nil || resp.ErrorCode != kerr.IllegalSaslState.Code {
			t.Fatalf("second handshake: %+v", resp)
		}
	})
}

func TestSASLOnPlaintextListener(t *testing.T) {
	zkAddr := testcluster.Coordinator(t)
	b := testcluster.StartBroker(t, 1, zkAddr, "")
	r := dialRaw(t, b.Addr())
	if resp := handshake(r, 1, "PLAIN"); resp == nil || resp.ErrorCode != kerr.IllegalSaslState.Code {
		t.Fatalf("%+v", resp)
	}
}
