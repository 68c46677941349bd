package sasl

import (
	"crypto/hmac"
	"encoding/base64"
	"errors"
	"strings"
)

// finalWithLongerNonce verifies a client-final message whose nonce is
// longer than the server's but ends with it, which xdg-go/scram refuses
// (RFC 5802 wants them equal) and Kafka's ScramSaslServer accepts (its
// check is endsWith): librdkafka 2.0 (Debian's kcat) sends its own nonce
// again in front of the server's. ok is false for any other message, which
// the RFC path (xdg-go/scram) then judges. The proof is checked as RFC
// 5802 §3 computes it, over the messages as they were sent.
func (s *scramServer) finalWithLongerNonce(c2 string) (ok bool, serverFinal string, err error) {
	fields := strings.Split(c2, ",")
	if len(fields) != 3 || !strings.HasPrefix(fields[0], "c=") || !strings.HasPrefix(fields[1], "r=") || !strings.HasPrefix(fields[2], "p=") {
		return false, "", nil
	}
	nonce := fields[1][2:]
	var serverNonce string
	for _, f := range strings.Split(s.serverFirst, ",") {
		if v, found := strings.CutPrefix(f, "r="); found {
			serverNonce = v
		}
	}
	if serverNonce == "" || nonce == serverNonce || !strings.HasSuffix(nonce, serverNonce) {
		return false, "", nil
	}
	// The gs2 header of the client-first message: "n,," or "y,,", or with
	// an authzid; no channel binding on this path.
	parts := strings.SplitN(s.clientFirst, ",", 3)
	if len(parts) != 3 || (parts[0] != "n" && parts[0] != "y") {
		return true, "", errors.New("client-final message without channel binding after a client-first with it")
	}
	if fields[0][2:] != base64.StdEncoding.EncodeToString([]byte(parts[0]+","+parts[1]+",")) {
		return true, "", errors.New("channel binding mismatch")
	}
	proof, err := base64.StdEncoding.DecodeString(fields[2][2:])
	if err != nil || len(proof) != len(s.cred.StoredKey) {
		return true, "", errors.New("malformed client proof")
	}
	authMessage := []byte(parts[2] + "," + s.serverFirst + "," + fields[0] + "," + fields[1])
	mac := func(key []byte) []byte {
		m := hmac.New(s.h, key)
		m.Write(authMessage)
		return m.Sum(nil)
	}
	clientKey := mac(s.cred.StoredKey)
	for i := range clientKey {
		clientKey[i] ^= proof[i]
	}
	sum := s.h()
	sum.Write(clientKey)
	if !hmac.Equal(sum.Sum(nil), s.cred.StoredKey) {
		return true, "", errors.New("challenge proof invalid")
	}
	s.user = s.conv.Username()
	if s.user == "" {
		return true, "", errors.New("no user")
	}
	return true, "v=" + base64.StdEncoding.EncodeToString(mac(s.cred.ServerKey)), nil
}
