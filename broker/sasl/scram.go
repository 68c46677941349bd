package sasl

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"strings"

	"github.com/xdg-go/scram"
)

// Kafka's bounds on a SCRAM credential's iterations (ScramMechanism's
// minimum; AlterUserScramCredentials refuses more than MaxIterations).
const (
	MinIterations = 4096
	MaxIterations = 16384
)

// Credential is what a server keeps of a SCRAM password (RFC 5802 §3):
// the salt, the iteration count and the two keys derived from them.
type Credential struct {
	Salt       []byte
	StoredKey  []byte
	ServerKey  []byte
	Iterations int
}

func hashOf(mech string) (func() hash.Hash, scram.HashGeneratorFcn, error) {
	switch mech {
	case ScramSHA256:
		return sha256.New, scram.SHA256, nil
	case ScramSHA512:
		return sha512.New, scram.SHA512, nil
	}
	return nil, nil, fmt.Errorf("sasl: %q is not a SCRAM mechanism", mech)
}

// IsScram reports whether mech is SCRAM-SHA-256 or SCRAM-SHA-512.
func IsScram(mech string) bool { return mech == ScramSHA256 || mech == ScramSHA512 }

// NewCredential derives the credential of password with a fresh random
// salt, as kafka-configs.sh does.
func NewCredential(mech, password string, iterations int) (Credential, error) {
	salt := make([]byte, 32)
	_, _ = rand.Read(salt)
	return CredentialFromPassword(mech, password, salt, iterations)
}

// CredentialFromPassword derives the credential of password with salt.
func CredentialFromPassword(mech, password string, salt []byte, iterations int) (Credential, error) {
	h, _, err := hashOf(mech)
	if err != nil {
		return Credential{}, err
	}
	if iterations < 1 {
		return Credential{}, fmt.Errorf("sasl: %d iterations", iterations)
	}
	salted, err := pbkdf2.Key(h, password, salt, iterations, h().Size())
	if err != nil {
		return Credential{}, fmt.Errorf("sasl: salting the password: %w", err)
	}
	return CredentialFromSalted(mech, salted, salt, iterations)
}

// CredentialFromSalted derives the credential from a salted password (what
// AlterUserScramCredentials carries): StoredKey = H(HMAC(salted, "Client
// Key")), ServerKey = HMAC(salted, "Server Key").
func CredentialFromSalted(mech string, salted, salt []byte, iterations int) (Credential, error) {
	h, _, err := hashOf(mech)
	if err != nil {
		return Credential{}, err
	}
	mac := func(key []byte, msg string) []byte {
		m := hmac.New(h, key)
		m.Write([]byte(msg))
		return m.Sum(nil)
	}
	sum := h()
	sum.Write(mac(salted, "Client Key"))
	return Credential{Salt: salt, StoredKey: sum.Sum(nil), ServerKey: mac(salted, "Server Key"), Iterations: iterations}, nil
}

// String is the credential as Kafka writes it in /config/users/<user>.
func (c Credential) String() string {
	enc := base64.StdEncoding.EncodeToString
	return fmt.Sprintf("salt=%s,stored_key=%s,server_key=%s,iterations=%d",
		enc(c.Salt), enc(c.StoredKey), enc(c.ServerKey), c.Iterations)
}

// ParseCredential reads a credential as Kafka writes it (the order of the
// fields does not matter; every one is required).
func ParseCredential(s string) (Credential, error) {
	var c Credential
	seen := map[string]bool{}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return Credential{}, fmt.Errorf("sasl: credential field %q is not key=value", kv)
		}
		if seen[k] {
			return Credential{}, fmt.Errorf("sasl: credential field %q twice", k)
		}
		seen[k] = true
		var err error
		switch k {
		case "salt":
			c.Salt, err = base64.StdEncoding.DecodeString(v)
		case "stored_key":
			c.StoredKey, err = base64.StdEncoding.DecodeString(v)
		case "server_key":
			c.ServerKey, err = base64.StdEncoding.DecodeString(v)
		case "iterations":
			c.Iterations, err = strconv.Atoi(v)
			if err == nil && c.Iterations < 1 {
				err = errors.New("not positive")
			}
		default:
			return Credential{}, fmt.Errorf("sasl: unknown credential field %q", k)
		}
		if err != nil {
			return Credential{}, fmt.Errorf("sasl: credential field %s: %w", k, err)
		}
	}
	for _, k := range []string{"salt", "stored_key", "server_key", "iterations"} {
		if !seen[k] {
			return Credential{}, fmt.Errorf("sasl: credential without %s", k)
		}
	}
	return c, nil
}

// scramServer runs xdg-go/scram's server conversation over the
// credentials Users keeps.
type scramServer struct {
	mech string
	conv *scram.ServerConversation
	h    func() hash.Hash

	// For finalWithLongerNonce: the first two messages and the
	// credential looked up.
	clientFirst, serverFirst string
	cred                     Credential
	user                     string // set by finalWithLongerNonce's success
}

var errUnknownUser = errors.New("no SCRAM credential for the user")

func newScramServer(mech string, users Users) (*scramServer, error) {
	h, gen, err := hashOf(mech)
	if err != nil {
		return nil, err
	}
	s := &scramServer{mech: mech, h: h}
	srv, err := gen.NewServer(func(user string) (scram.StoredCredentials, error) {
		c, ok, err := users.ScramCredential(mech, user)
		if err != nil {
			return scram.StoredCredentials{}, err
		}
		if !ok {
			return scram.StoredCredentials{}, errUnknownUser
		}
		s.cred = c
		return scram.StoredCredentials{KeyFactors: scram.KeyFactors{Salt: string(c.Salt), Iters: c.Iterations},
			StoredKey: c.StoredKey, ServerKey: c.ServerKey}, nil
	})
	if err != nil {
		return nil, fmt.Errorf("sasl: %s server: %w", mech, err)
	}
	s.conv = srv.NewConversation()
	return s, nil
}

// Step takes the client-first message, then the client-final one. Every
// failure (an unknown user, a wrong proof, a malformed message) is
// answered with Kafka's one message.
func (s *scramServer) Step(token []byte) ([]byte, bool, error) {
	if s.conv.Done() || s.user != "" || len(token) > maxTokenSize {
		return nil, false, invalidCredentials(s.mech)
	}
	if s.serverFirst != "" {
		if ok, out, err := s.finalWithLongerNonce(string(token)); ok {
			if err != nil {
				return nil, false, fmt.Errorf("%w (%v)", invalidCredentials(s.mech), err)
			}
			return []byte(out), true, nil
		}
	} else {
		s.clientFirst = string(token)
	}
	out, err := s.conv.Step(string(token))
	if err != nil {
		return nil, false, fmt.Errorf("%w (%v)", invalidCredentials(s.mech), err)
	}
	if s.serverFirst == "" {
		s.serverFirst = out
	}
	done := s.conv.Done()
	if done && !s.conv.Valid() {
		return nil, false, invalidCredentials(s.mech)
	}
	return []byte(out), done, nil
}

func (s *scramServer) User() string {
	if s.user != "" {
		return s.user
	}
	if !s.conv.Valid() {
		return ""
	}
	return s.conv.Username()
}
