package sasl

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	kscram "github.com/twmb/franz-go/pkg/sasl/scram"
)

// users is a Users over maps.
type users struct {
	plain map[string]string
	scram map[string]Credential // by mech + "/" + user
}

func (u users) PlainPassword(user string) (string, bool) { p, ok := u.plain[user]; return p, ok }
func (u users) ScramCredential(mech, user string) (Credential, bool, error) {
	c, ok := u.scram[mech+"/"+user]
	return c, ok, nil
}

func testUsers(t *testing.T) users {
	u := users{plain: map[string]string{"alice": "alice-secret"}, scram: map[string]Credential{}}
	for _, mech := range []string{ScramSHA256, ScramSHA512} {
		c, err := NewCredential(mech, "alice-secret", MinIterations)
		if err != nil {
			t.Fatal(err)
		}
		u.scram[mech+"/alice"] = c
	}
	return u
}

// exchange runs client against a server of mech until either side ends.
func exchange(t *testing.T, mech string, u Users, client sasl.Mechanism) (string, error) {
	t.Helper()
	srv, err := NewServer(mech, u)
	if err != nil {
		t.Fatal(err)
	}
	sess, tok, err := client.Authenticate(context.Background(), "127.0.0.1:9092")
	if err != nil {
		t.Fatal(err)
	}
	for range 4 {
		ch, done, err := srv.Step(tok)
		if err != nil {
			return "", err
		}
		cdone, next, cerr := sess.Challenge(ch)
		if cerr != nil {
			t.Fatalf("client refuses the server's answer: %v", cerr)
		}
		if done {
			if !cdone && mech != Plain {
				t.Fatal("server done before the client")
			}
			return srv.User(), nil
		}
		tok = next
	}
	t.Fatal("exchange does not end")
	return "", nil
}

func TestMechanisms(t *testing.T) {
	u := testUsers(t)
	scramAuth := func(user, pass string) kscram.Auth { return kscram.Auth{User: user, Pass: pass} }
	for _, tc := range []struct {
		name, mech string
		client     sasl.Mechanism
		wantErr    string
	}{
		{"plain", Plain, plain.Auth{User: "alice", Pass: "alice-secret"}.AsMechanism(), ""},
		{"plain wrong password", Plain, plain.Auth{User: "alice", Pass: "nope"}.AsMechanism(), "Authentication failed: Invalid username or password"},
		{"plain unknown user", Plain, plain.Auth{User: "bob", Pass: "alice-secret"}.AsMechanism(), "Authentication failed: Invalid username or password"},
		{"plain other authzid", Plain, plain.Auth{Zid: "admin", User: "alice", Pass: "alice-secret"}.AsMechanism(), "authorization id that is different"},
		{"sha256", ScramSHA256, scramAuth("alice", "alice-secret").AsSha256Mechanism(), ""},
		{"sha512", ScramSHA512, scramAuth("alice", "alice-secret").AsSha512Mechanism(), ""},
		{"sha512 wrong password", ScramSHA512, scramAuth("alice", "nope").AsSha512Mechanism(),
			"Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512"},
		{"sha256 unknown user", ScramSHA256, scramAuth("bob", "x").AsSha256Mechanism(),
			"Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			user, err := exchange(t, tc.mech, u, tc.client)
			if tc.wantErr == "" {
				if err != nil || user != "alice" {
					t.Fatalf("user %q, err %v", user, err)
				}
				return
			}
			var ae *ErrAuthentication
			if !errors.As(err, &ae) || !strings.Contains(ae.Msg, tc.wantErr) {
				t.Fatalf("err %v, want an authentication failure %q", err, tc.wantErr)
			}
		})
	}
}

func TestScramGarbage(t *testing.T) {
	for _, tok := range []string{"", "garbage", "n,,n=alice", strings.Repeat("a", 70000)} {
		srv, _ := NewServer(ScramSHA512, testUsers(t))
		if _, _, err := srv.Step([]byte(tok)); err == nil {
			t.Errorf("client-first %q accepted", tok)
		}
		if srv.User() != "" {
			t.Errorf("user after %q", tok)
		}
	}
	// A client-final that is not one.
	srv, _ := NewServer(ScramSHA512, testUsers(t))
	if _, _, err := srv.Step([]byte("n,,n=alice,r=abcdef")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := srv.Step([]byte("c=biws,r=abcdef,p=AAAA")); err == nil || srv.User() != "" {
		t.Fatalf("bad client-final accepted: %v", err)
	}
}

func TestCredentialText(t *testing.T) {
	c, err := CredentialFromPassword(ScramSHA256, "pencil", []byte("salty"), 4096)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseCredential(c.String())
	if err != nil || back.String() != c.String() {
		t.Fatalf("%q → %v %q", c, err, back)
	}
	for _, bad := range []string{"", "salt=AA==", "salt=!!,stored_key=AA==,server_key=AA==,iterations=1",
		"salt=AA==,stored_key=AA==,server_key=AA==,iterations=0", "salt=AA==,salt=AA==", "x=1"} {
		if _, err := ParseCredential(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestParseJAAS(t *testing.T) {
	j, err := ParseJAAS(`org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" user_admin="admin-secret" user_alice="alice \"q\"";`)
	if err != nil {
		t.Fatal(err)
	}
	if j.Module != PlainLoginModule || j.Username() != "admin" || j.Password() != "admin-secret" {
		t.Fatalf("%+v", j)
	}
	if u := j.PlainUsers(); len(u) != 2 || u["alice"] != `alice "q"` || u["admin"] != "admin-secret" {
		t.Fatalf("users %v", u)
	}
	j, err = ParseJAAS("org.apache.kafka.common.security.scram.ScramLoginModule required\n username=alice password=s;")
	if err != nil || j.Module != ScramLoginModule || j.Username() != "alice" || j.Password() != "s" {
		t.Fatalf("%+v %v", j, err)
	}
	for _, bad := range []string{"", "M required", "M required a=b", "M maybe a=b;", `M required a="b;`, "M required a b;",
		"M required a=b; N required c=d;"} {
		if _, err := ParseJAAS(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestCheckMechanisms(t *testing.T) {
	if err := CheckMechanisms([]string{Plain, ScramSHA512}); err != nil {
		t.Fatal(err)
	}
	for _, bad := range [][]string{nil, {"GSSAPI"}, {"PLAIN", "CRAM-MD5"}} {
		if err := CheckMechanisms(bad); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

func FuzzTokens(f *testing.F) {
	f.Add([]byte("n,,n=alice,r=abc"), []byte("c=biws,r=abc,p=AAAA"))
	f.Add([]byte("\x00alice\x00alice-secret"), []byte("salt=AA==,stored_key=AA==,server_key=AA==,iterations=4096"))
	f.Add([]byte(`M required a="b" c=d;`), []byte{0, 0})
	u := users{plain: map[string]string{"alice": "alice-secret"}, scram: map[string]Credential{}}
	c, _ := CredentialFromPassword(ScramSHA512, "alice-secret", []byte("salt"), 1)
	u.scram[ScramSHA512+"/alice"] = c
	f.Fuzz(func(t *testing.T, first, second []byte) {
		_, _, _, _ = ParsePlain(first)
		_, _ = ParseCredential(string(first))
		_, _ = ParseJAAS(string(first))
		for _, mech := range Supported {
			srv, _ := NewServer(mech, u)
			if _, done, err := srv.Step(first); err == nil && !done {
				if _, _, err := srv.Step(second); err == nil && srv.User() == "" {
					t.Fatal("exchange succeeded without a user")
				}
			}
		}
	})
}
