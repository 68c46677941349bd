package broker_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/IBM/sarama"
	"github.com/xdg-go/scram"

	"github.com/sluicelogs/sluice/testkit/brokertest"
	"github.com/sluicelogs/sluice/testkit/testcluster"
)

// saramaScram is sarama's SCRAM client over xdg-go/scram's.
type saramaScram struct {
	gen  scram.HashGeneratorFcn
	conv *scram.ClientConversation
}

func (s *saramaScram) Begin(user, pass, authzID string) error {
	c, err := s.gen.NewClient(user, pass, authzID)
	if err != nil {
		return err
	}
	s.conv = c.NewConversation()
	return nil
}
func (s *saramaScram) Step(challenge string) (string, error) { return s.conv.Step(challenge) }
func (s *saramaScram) Done() bool                            { return s.conv.Done() }

// TestSASLSarama: sarama logs in with PLAIN over a v0 handshake (the
// tokens as raw frames, KIP-43) and with SCRAM-SHA-512 over v1, and lists
// the topics; a wrong password fails.
func TestSASLSarama(t *testing.T) {
	zkAddr := testcluster.Coordinator(t)
	addr := testcluster.StartBroker(t, 1, zkAddr, "", withSASL("PLAIN")).Addr()
	upsertScram(t, addr, "alice", "alice-secret", 2) // kadm.ScramSha512
	for _, tc := range []struct {
		name    string
		mech    sarama.SASLMechanism
		version int16
		pass    string
		ok      bool
	}{
		{"plain v0", sarama.SASLTypePlaintext, sarama.SASLHandshakeV0, "alice-plain", true},
		{"plain v1", sarama.SASLTypePlaintext, sarama.SASLHandshakeV1, "alice-plain", true},
		{"scram v1", sarama.SASLTypeSCRAMSHA512, sarama.SASLHandshakeV1, "alice-secret", true},
		{"plain v0 wrong password", sarama.SASLTypePlaintext, sarama.SASLHandshakeV0, "wrong", false},
		{"scram wrong password", sarama.SASLTypeSCRAMSHA512, sarama.SASLHandshakeV1, "wrong", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := brokertest.SaramaConfig()
			cfg.Metadata.Retry.Max = 0
			cfg.Net.SASL.Enable = true
			cfg.Net.SASL.Mechanism = tc.mech
			cfg.Net.SASL.Version = tc.version
			cfg.ApiVersionsRequest = tc.version != sarama.SASLHandshakeV0 // as sarama requires
			cfg.Net.SASL.User, cfg.Net.SASL.Password = "alice", tc.pass
			cfg.Net.SASL.SCRAMClientGeneratorFunc = func() sarama.SCRAMClient { return &saramaScram{gen: scram.SHA512} }
			cl, err := sarama.NewClient([]string{addr}, cfg)
			if !tc.ok {
				if err == nil {
					cl.Close()
					t.Fatal("logged in with a wrong password")
				}
				if tc.version == sarama.SASLHandshakeV1 && !errors.Is(err, sarama.ErrSASLAuthenticationFailed) && !strings.Contains(err.Error(), "Authentication failed") {
					t.Fatalf("err %v, want SASL_AUTHENTICATION_FAILED", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer cl.Close()
			if _, err := cl.Topics(); err != nil {
				t.Fatal(err)
			}
		})
	}
}
