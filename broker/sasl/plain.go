package sasl

import (
	"bytes"
	"crypto/subtle"
	"errors"
	"fmt"
)

// plainServer checks one PLAIN token: [authzid] NUL user NUL password.
type plainServer struct {
	users Users
	user  string
}

// ParsePlain decodes a PLAIN token into its three fields.
func ParsePlain(token []byte) (authzid, user, password string, err error) {
	if len(token) > maxTokenSize {
		return "", "", "", fmt.Errorf("Invalid SASL/PLAIN response: %d bytes", len(token))
	}
	parts := bytes.Split(token, []byte{0})
	if len(parts) != 3 {
		return "", "", "", fmt.Errorf("Invalid SASL/PLAIN response: expected 3 tokens, got %d", len(parts))
	}
	authzid, user, password = string(parts[0]), string(parts[1]), string(parts[2])
	if user == "" {
		return "", "", "", errors.New("Authentication failed: username not specified")
	}
	if password == "" {
		return "", "", "", errors.New("Authentication failed: password not specified")
	}
	return authzid, user, password, nil
}

func (s *plainServer) Step(token []byte) ([]byte, bool, error) {
	if s.user != "" {
		return nil, false, errors.New("sasl: PLAIN exchange already complete")
	}
	authzid, user, password, err := ParsePlain(token)
	if err != nil {
		return nil, false, &ErrAuthentication{Msg: err.Error()}
	}
	if authzid != "" && authzid != user {
		return nil, false, &ErrAuthentication{Msg: "Authentication failed: Client requested an authorization id that is different from username"}
	}
	want, ok := s.users.PlainPassword(user)
	if !ok || subtle.ConstantTimeCompare([]byte(want), []byte(password)) != 1 {
		return nil, false, &ErrAuthentication{Msg: "Authentication failed: Invalid username or password"}
	}
	s.user = user
	return nil, true, nil
}

func (s *plainServer) User() string { return s.user }
