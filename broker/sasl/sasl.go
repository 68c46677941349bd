package sasl

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// The mechanisms this package implements, by their SASL names.
const (
	Plain        = "PLAIN"
	ScramSHA256  = "SCRAM-SHA-256"
	ScramSHA512  = "SCRAM-SHA-512"
	gssapi       = "GSSAPI"
	oauthBearer  = "OAUTHBEARER"
	maxTokenSize = 64 << 10
)

// Supported lists the mechanisms a broker can enable.
var Supported = []string{Plain, ScramSHA256, ScramSHA512}

// IsSupported reports whether mech is one of Supported.
func IsSupported(mech string) bool { return slices.Contains(Supported, mech) }

// CheckMechanisms refuses a mechanism list (sasl.enabled.mechanisms) that
// names one this package does not implement, saying which.
func CheckMechanisms(mechs []string) error {
	if len(mechs) == 0 {
		return errors.New("no mechanism enabled")
	}
	for _, m := range mechs {
		if !IsSupported(m) {
			if m == gssapi || m == oauthBearer {
				return fmt.Errorf("%s is not supported by sluice (only %s)", m, strings.Join(Supported, ", "))
			}
			return fmt.Errorf("unknown SASL mechanism %q (supported: %s)", m, strings.Join(Supported, ", "))
		}
	}
	return nil
}

// ErrAuthentication is a failed authentication: its message is what the
// client is told (SASL_AUTHENTICATION_FAILED), as Kafka words it.
type ErrAuthentication struct{ Msg string }

func (e *ErrAuthentication) Error() string { return e.Msg }

// invalidCredentials is Kafka's answer to any failure inside a
// mechanism's exchange (its SaslServerAuthenticator's words).
func invalidCredentials(mech string) error {
	return &ErrAuthentication{Msg: "Authentication failed during authentication due to invalid credentials with SASL mechanism " + mech}
}

// Server is one connection's side of an exchange: Step takes the
// client's next token and returns the challenge to send back; once done,
// User names who authenticated. An error ends the exchange (and the
// connection).
type Server interface {
	Step(token []byte) (challenge []byte, done bool, err error)
	User() string
}

// Users answers the credentials of a user: PLAIN's passwords (from the
// JAAS user_<name> options) and SCRAM's stored credentials (from the
// coordinator). found is false for a user without them.
type Users interface {
	PlainPassword(user string) (password string, found bool)
	ScramCredential(mech, user string) (c Credential, found bool, err error)
}

// NewServer starts an exchange of mech (one of Supported).
func NewServer(mech string, users Users) (Server, error) {
	switch mech {
	case Plain:
		return &plainServer{users: users}, nil
	case ScramSHA256, ScramSHA512:
		return newScramServer(mech, users)
	}
	return nil, fmt.Errorf("sasl: unsupported mechanism %q", mech)
}
