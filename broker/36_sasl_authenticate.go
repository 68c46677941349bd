package broker

import (
	"context"
	"errors"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicelogs/sluice/broker/sasl"
)

// SaslAuthenticate v0–v2 carries one token of the mechanism chosen by a v1
// SaslHandshake and answers its challenge (sasl_conn.go). v1 adds
// SessionLifetimeMillis, always 0 here (no re-authentication, KIP-368);
// v2 is flexible. A failed step is answered SASL_AUTHENTICATION_FAILED
// with Kafka's message and the connection closed; on a PLAINTEXT
// listener, or after authentication, the answer is ILLEGAL_SASL_STATE.
var saslAuthenticateAPI = api{key: kmsg.SASLAuthenticate, min: 0, max: 2, handle: (*Broker).handleSaslAuthenticate}

func (b *Broker) handleSaslAuthenticate(_ context.Context, c *conn, r *request) (kmsg.Response, error) {
	req := r.kreq.(*kmsg.SASLAuthenticateRequest)
	resp := req.ResponseKind().(*kmsg.SASLAuthenticateResponse)
	if !c.authenticating() {
		resp.ErrorCode = kerr.IllegalSaslState.Code
		msg := "SaslAuthenticate request received after successful authentication"
		if c.sasl == nil {
			msg = "SaslAuthenticate request received on a listener without SASL"
		}
		resp.ErrorMessage = &msg
		return resp, nil
	}
	challenge, done, err := c.sasl.server.Step(req.SASLAuthBytes)
	if err != nil {
		c.authFailed(err)
		msg := "Authentication failed during authentication due to invalid credentials with SASL mechanism " + c.sasl.mech
		if ae := (*sasl.ErrAuthentication)(nil); errors.As(err, &ae) {
			msg = ae.Msg
		}
		resp.ErrorCode = kerr.SaslAuthenticationFailed.Code
		resp.ErrorMessage = &msg
		c.closeAfter = true
		return resp, nil
	}
	resp.SASLAuthBytes = challenge
	if done {
		c.authSucceeded(c.sasl.server.User())
	}
	return resp, nil
}
