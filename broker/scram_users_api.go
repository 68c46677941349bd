package broker

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/go-zookeeper/zk"
	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/sluicelogs/sluice/broker/sasl"
)

// scramMechanisms are the SCRAM mechanisms by their code in
// Describe/AlterUserScramCredentials (Kafka's ScramMechanism types).
var scramMechanisms = map[int8]string{1: sasl.ScramSHA256, 2: sasl.ScramSHA512}

func scramMechanismCode(mech string) int8 {
	for code, m := range scramMechanisms {
		if m == mech {
			return code
		}
	}
	return 0
}

// credentialError is a user's failed alteration or description: the code
// and Kafka's message.
type credentialError struct {
	code *kerr.Error
	msg  string
}

func (e *credentialError) Error() string { return e.msg }

func credErr(code *kerr.Error, msg string) *credentialError { return &credentialError{code, msg} }

// errorOf is the code and message a result carries for err.
func errorOf(err error) (int16, *string) {
	if err == nil {
		return 0, nil
	}
	msg := err.Error()
	if ce := (*credentialError)(nil); errors.As(err, &ce) {
		return ce.code.Code, &msg
	}
	return kerr.UnknownServerError.Code, &msg
}

// scramUsers lists the users that have a node under /config/users, by
// their unsanitized names.
func (m *clusterMeta) scramUsers() ([]string, error) {
	names, _, err := m.conn.Children(m.p("/config/users"))
	if errors.Is(err, zk.ErrNoNode) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("broker: list /config/users: %w", err)
	}
	users := make([]string, 0, len(names))
	for _, n := range names {
		if u, err := url.QueryUnescape(n); err == nil {
			users = append(users, u)
		}
	}
	slices.Sort(users)
	return users, nil
}

// scramCredentials are the SCRAM mechanisms of user's configs with their
// iterations, sorted by mechanism code.
func (m *clusterMeta) scramCredentials(user string) ([]int8, []int32, error) {
	cfg, _, err := m.entityConfig(userEntity(user))
	if err != nil {
		return nil, nil, err
	}
	var codes []int8
	var iters []int32
	for _, code := range []int8{1, 2} {
		v, ok := cfg[scramMechanisms[code]]
		if !ok {
			continue
		}
		c, err := sasl.ParseCredential(v)
		if err != nil {
			return nil, nil, fmt.Errorf("broker: %s credential of %q: %w", scramMechanisms[code], user, err)
		}
		codes, iters = append(codes, code), append(iters, int32(c.Iterations))
	}
	return codes, iters, nil
}

// scramAlteration is one user's deletions and upsertions.
type scramAlteration struct {
	deletions []int8
	upserts   map[int8]sasl.Credential
}

// alterScramCredentials applies a user's alterations in one write of its
// config node (with a users/<user> change notification), keeping its other
// keys (quotas).
func (m *clusterMeta) alterScramCredentials(user string, a scramAlteration) error {
	return m.alterEntityConfig(userEntity(user), func(cur map[string]string) (map[string]string, error) {
		next := make(map[string]string, len(cur)+len(a.upserts))
		for k, v := range cur {
			next[k] = v
		}
		for _, code := range a.deletions {
			mech := scramMechanisms[code]
			if _, ok := next[mech]; !ok {
				return nil, credErr(kerr.ResourceNotFound, "Attempt to delete a user credential that does not exist")
			}
			delete(next, mech)
		}
		for code, c := range a.upserts {
			next[scramMechanisms[code]] = c.String()
		}
		return next, nil
	})
}

// checkScramUser refuses a name Kafka refuses.
func checkScramUser(name string) error {
	if strings.TrimSpace(name) == "" {
		return credErr(kerr.UnacceptableCredential, "Username must not be empty")
	}
	return nil
}
