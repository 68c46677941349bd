package broker

import (
	"context"
	"fmt"
	"slices"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicelogs/sluice/broker/sasl"
)

// AlterUserScramCredentials v0 (flexible) deletes and upserts SCRAM
// credentials, one result per user, as Kafka's ZooKeeper-mode broker: an
// upsertion carries the salt and the salted password, from which the
// stored and server keys are derived here; a user's alterations are all
// checked first (an unknown mechanism UNSUPPORTED_SASL_MECHANISM, fewer
// than 4096 or more than 16384 iterations or an empty name, salt or salted
// password UNACCEPTABLE_CREDENTIAL, one mechanism altered twice
// DUPLICATE_RESOURCE, deleting a missing credential RESOURCE_NOT_FOUND),
// then written together or not at all.
var alterUserScramCredentialsAPI = api{key: kmsg.AlterUserSCRAMCredentials, min: 0, max: 0, handle: (*Broker).handleAlterUserScramCredentials}

func (b *Broker) handleAlterUserScramCredentials(_ context.Context, _ *conn, r *request) (kmsg.Response, error) {
	req := r.kreq.(*kmsg.AlterUserSCRAMCredentialsRequest)
	resp := req.ResponseKind().(*kmsg.AlterUserSCRAMCredentialsResponse)
	var order []string
	alts := map[string]*scramAlteration{}
	failed := map[string]error{}
	touched := map[string]bool{} // user + mechanism
	entry := func(user string, code int8) *scramAlteration {
		a, ok := alts[user]
		if !ok {
			a = &scramAlteration{upserts: map[int8]sasl.Credential{}}
			alts[user] = a
			order = append(order, user)
		}
		key := fmt.Sprintf("%s\x00%d", user, code)
		if err := checkScramUser(user); err != nil && failed[user] == nil {
			failed[user] = err
		}
		if _, ok := scramMechanisms[code]; !ok && failed[user] == nil {
			failed[user] = credErr(kerr.UnsupportedSaslMechanism, "Unknown SCRAM mechanism")
		}
		if touched[key] && failed[user] == nil {
			failed[user] = credErr(kerr.DuplicateResource, "A user credential cannot be altered twice in the same request")
		}
		touched[key] = true
		return a
	}
	for _, d := range req.Deletions {
		a := entry(d.Name, d.Mechanism)
		a.deletions = append(a.deletions, d.Mechanism)
	}
	for _, u := range req.Upsertions {
		a := entry(u.Name, u.Mechanism)
		if failed[u.Name] != nil {
			continue
		}
		switch {
		case u.Iterations < sasl.MinIterations:
			failed[u.Name] = credErr(kerr.UnacceptableCredential, fmt.Sprintf("Too few iterations (%d, at least %d)", u.Iterations, sasl.MinIterations))
		case u.Iterations > sasl.MaxIterations:
			failed[u.Name] = credErr(kerr.UnacceptableCredential, fmt.Sprintf("Too many iterations (%d, at most %d)", u.Iterations, sasl.MaxIterations))
		case len(u.Salt) == 0:
			failed[u.Name] = credErr(kerr.UnacceptableCredential, "Credential salt must not be empty")
		case len(u.SaltedPassword) == 0:
			failed[u.Name] = credErr(kerr.UnacceptableCredential, "Credential saltedPassword must not be empty")
		default:
			c, err := sasl.CredentialFromSalted(scramMechanisms[u.Mechanism], u.SaltedPassword, u.Salt, int(u.Iterations))
			if err != nil {
				failed[u.Name] = credErr(kerr.UnacceptableCredential, err.Error())
			} else {
				a.upserts[u.Mechanism] = c
			}
		}
	}
	for _, user := range order {
		err := failed[user]
		if err == nil {
			a := alts[user]
			slices.Sort(a.deletions)
			err = b.meta.alterScramCredentials(user, *a)
		}
		res := kmsg.NewAlterUserSCRAMCredentialsResponseResult()
		res.User = user
		res.ErrorCode, res.ErrorMessage = errorOf(err)
		if err != nil {
			b.log.Info("SCRAM credentials not altered", "user", user, "err", err)
		} else {
			b.log.Info("SCRAM credentials altered", "user", user)
		}
		resp.Results = append(resp.Results, res)
	}
	return resp, nil
}
