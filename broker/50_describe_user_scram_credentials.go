package broker

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// DescribeUserScramCredentials v0 (flexible) lists the SCRAM mechanisms and
// iterations of the users named, or of every user with a credential when
// none is named (scram_users_api.go), as Kafka's ZooKeeper-mode broker: a
// named user without one is RESOURCE_NOT_FOUND, a user named twice
// DUPLICATE_RESOURCE.
var describeUserScramCredentialsAPI = api{key: kmsg.DescribeUserSCRAMCredentials, min: 0, max: 0, handle: (*Broker).handleDescribeUserScramCredentials}

func (b *Broker) handleDescribeUserScramCredentials(_ context.Context, _ *conn, r *request) (kmsg.Response, error) {
	req := r.kreq.(*kmsg.DescribeUserSCRAMCredentialsRequest)
	resp := req.ResponseKind().(*kmsg.DescribeUserSCRAMCredentialsResponse)
	var names []string
	all := len(req.Users) == 0
	if all {
		users, err := b.meta.scramUsers()
		if err != nil {
			resp.ErrorCode, resp.ErrorMessage = errorOf(err)
			return resp, nil
		}
		names = users
	}
	count := map[string]int{}
	for _, u := range req.Users {
		names = append(names, u.Name)
		count[u.Name]++
	}
	seen := map[string]bool{}
	for _, name := range names {
		if seen[name] {
			continue
		}
		seen[name] = true
		res := kmsg.NewDescribeUserSCRAMCredentialsResponseResult()
		res.User = name
		codes, iters, err := b.meta.scramCredentials(name)
		switch {
		case count[name] > 1:
			err = credErr(kerr.DuplicateResource, "Cannot describe SCRAM credentials for the same user twice in a single request: "+name)
		case err == nil && len(codes) == 0:
			if all {
				continue // a user node with quotas only
			}
			err = credErr(kerr.ResourceNotFound, "Attempt to describe a user credential that does not exist: "+name)
		}
		if err != nil {
			res.ErrorCode, res.ErrorMessage = errorOf(err)
		}
		for i, code := range codes {
			if err != nil {
				break
			}
			ci := kmsg.NewDescribeUserSCRAMCredentialsResponseResultCredentialInfo()
			ci.Mechanism, ci.Iterations = code, iters[i]
			res.CredentialInfos = append(res.CredentialInfos, ci)
		}
		resp.Results = append(resp.Results, res)
	}
	return resp, nil
}
