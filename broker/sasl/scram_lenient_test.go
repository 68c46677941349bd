package sasl

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha512"
	"encoding/base64"
	"strings"
	"testing"
)

// librdkafkaFinal is the client-final message librdkafka 2.0 sends: its own
// nonce again in front of the server's, with the proof over that message.
func librdkafkaFinal(t *testing.T, clientNonce, c1bare, s1, password string) string {
	t.Helper()
	var salt []byte
	var iters int
	var serverNonce string
	for _, f := range strings.Split(s1, ",") {
		switch {
		case strings.HasPrefix(f, "r="):
			serverNonce = f[2:]
		case strings.HasPrefix(f, "s="):
			salt, _ = base64.StdEncoding.DecodeString(f[2:])
		case strings.HasPrefix(f, "i="):
			for _, c := range f[2:] {
				iters = iters*10 + int(c-'0')
			}
		}
	}
	salted, err := pbkdf2.Key(sha512.New, password, salt, iters, sha512.Size)
	if err != nil {
		t.Fatal(err)
	}
	mac := func(key []byte, msg string) []byte {
		m := hmac.New(sha512.New, key)
		m.Write([]byte(msg))
		return m.Sum(nil)
	}
	clientKey := mac(salted, "Client Key")
	stored := sha512.Sum512(clientKey)
	c2wop := "c=biws,r=" + clientNonce + serverNonce
	sig := mac(stored[:], c1bare+","+s1+","+c2wop)
	for i := range sig {
		sig[i] ^= clientKey[i]
	}
	return c2wop + ",p=" + base64.StdEncoding.EncodeToString(sig)
}

func TestScramLongerClientNonce(t *testing.T) {
	u := testUsers(t)
	for _, tc := range []struct {
		password string
		ok       bool
	}{{"alice-secret", true}, {"wrong", false}} {
		srv, _ := NewServer(ScramSHA512, u)
		const nonce = `^r8Nuks}wJ?ams\>^Ei}J4Zl`
		c1bare := "n=alice,r=" + nonce
		s1, _, err := srv.Step([]byte("n,," + c1bare))
		if err != nil {
			t.Fatal(err)
		}
		s2, done, err := srv.Step([]byte(librdkafkaFinal(t, nonce, c1bare, string(s1), tc.password)))
		if !tc.ok {
			if err == nil || srv.User() != "" {
				t.Fatalf("wrong password accepted: %q %v", s2, err)
			}
			continue
		}
		if err != nil || !done || srv.User() != "alice" || !strings.HasPrefix(string(s2), "v=") {
			t.Fatalf("%q %v %v %q", s2, done, err, srv.User())
		}
		if _, _, err := srv.Step([]byte("again")); err == nil {
			t.Fatal("a step after success accepted")
		}
	}
}
