package broker_test

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicelogs/sluice/testkit/brokertest"
	"github.com/sluicelogs/sluice/testkit/testcluster"
)

// TestScramCredentialsAPI: AlterUserScramCredentials' and
// DescribeUserScramCredentials' refusals, one result per user, as Kafka's.
func TestScramCredentialsAPI(t *testing.T) {
	zkAddr := testcluster.Coordinator(t)
	addr := testcluster.StartBroker(t, 1, zkAddr, "").Addr()
	upsert := func(user string, mech int8, iters int32, salt, salted []byte) kmsg.AlterUserSCRAMCredentialsRequestUpsertion {
		u := kmsg.NewAlterUserSCRAMCredentialsRequestUpsertion()
		u.Name, u.Mechanism, u.Iterations, u.Salt, u.SaltedPassword = user, mech, iters, salt, salted
		return u
	}
	salt, salted := []byte("salt"), make([]byte, 32)
	req := kmsg.NewPtrAlterUserSCRAMCredentialsRequest()
	req.Upsertions = []kmsg.AlterUserSCRAMCredentialsRequestUpsertion{
		upsert("ok", 1, 4096, salt, salted),
		upsert("few", 1, 100, salt, salted),
		upsert("many", 2, 20000, salt, salted),
		upsert("nomech", 3, 4096, salt, salted),
		upsert("twice", 1, 4096, salt, salted),
		upsert("twice", 1, 8192, salt, salted),
		upsert("nosalt", 1, 4096, nil, salted),
		upsert("", 1, 4096, salt, salted),
	}
	del := kmsg.NewAlterUserSCRAMCredentialsRequestDeletion()
	del.Name, del.Mechanism = "ghost", 2
	req.Deletions = append(req.Deletions, del)
	resp := brokertest.AskBroker(t, addr, req).(*kmsg.AlterUserSCRAMCredentialsResponse)
	want := map[string]*kerr.Error{"ok": nil, "few": kerr.UnacceptableCredential, "many": kerr.UnacceptableCredential,
		"nomech": kerr.UnsupportedSaslMechanism, "twice": kerr.DuplicateResource, "nosalt": kerr.UnacceptableCredential,
		"": kerr.UnacceptableCredential, "ghost": kerr.ResourceNotFound}
	if len(resp.Results) != len(want) {
		t.Fatalf("%d results, want %d: %+v", len(resp.Results), len(want), resp.Results)
	}
	for _, r := range resp.Results {
		if err := kerr.ErrorForCode(r.ErrorCode); err != want[r.User] && !(err == nil && want[r.User] == nil) {
			t.Errorf("user %q: %v, want %v", r.User, err, want[r.User])
		}
	}

	dreq := kmsg.NewPtrDescribeUserSCRAMCredentialsRequest()
	for _, n := range []string{"ok", "few", "dup", "dup"} {
		u := kmsg.NewDescribeUserSCRAMCredentialsRequestUser()
		u.Name = n
		dreq.Users = append(dreq.Users, u)
	}
	dresp := brokertest.AskBroker(t, addr, dreq).(*kmsg.DescribeUserSCRAMCredentialsResponse)
	got := map[string]int16{}
	for _, r := range dresp.Results {
		got[r.User] = r.ErrorCode
		if r.User == "ok" && (len(r.CredentialInfos) != 1 || r.CredentialInfos[0].Mechanism != 1 || r.CredentialInfos[0].Iterations != 4096) {
			t.Errorf("ok: %+v", r.CredentialInfos)
		}
	}
	if got["ok"] != 0 || got["few"] != kerr.ResourceNotFound.Code || got["dup"] != kerr.DuplicateResource.Code || len(got) != 3 {
		t.Fatalf("describe results %v", got)
	}
	// Every user: only ok has a credential.
	dresp = brokertest.AskBroker(t, addr, kmsg.NewPtrDescribeUserSCRAMCredentialsRequest()).(*kmsg.DescribeUserSCRAMCredentialsResponse)
	if len(dresp.Results) != 1 || dresp.Results[0].User != "ok" {
		t.Fatalf("describe all: %+v", dresp.Results)
	}
}
