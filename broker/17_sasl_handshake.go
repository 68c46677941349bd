package broker

import (
	"context"
	"slices"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicelogs/sluice/broker/sasl"
)

// SaslHandshake v0–v1 picks the connection's SASL mechanism (sasl_conn.go).
// v0: the mechanism's tokens follow as raw size-prefixed frames (KIP-43);
// v1: they come in SaslAuthenticate requests (KIP-152). Either way the
// response lists the enabled mechanisms; one not enabled is answered
// UNSUPPORTED_SASL_MECHANISM and the connection closed. On a PLAINTEXT
// listener, or after authentication, the answer is ILLEGAL_SASL_STATE.
var saslHandshakeAPI = api{key: kmsg.SASLHandshake, min: 0, max: 1, handle: (*Broker).handleSaslHandshake}

func (b *Broker) handleSaslHandshake(_ context.Context, c *conn, r *request) (kmsg.Response, error) {
	req := r.kreq.(*kmsg.SASLHandshakeRequest)
	resp := req.ResponseKind().(*kmsg.SASLHandshakeResponse)
	if !c.authenticating() {
		resp.ErrorCode = kerr.IllegalSaslState.Code
		return resp, nil
	}
	resp.SupportedMechanisms = slices.Clone(b.cfg.SASL.EnabledMechanisms)
	if !slices.Contains(b.cfg.SASL.EnabledMechanisms, req.Mechanism) || !sasl.IsSupported(req.Mechanism) {
		resp.ErrorCode = kerr.UnsupportedSaslMechanism.Code
		c.closeAfter = true
		b.log.Info("SASL handshake with a mechanism not enabled: closing the connection", "remote", c.nc.RemoteAddr(), "mechanism", req.Mechanism)
		return resp, nil
	}
	srv, err := sasl.NewServer(req.Mechanism, b.users.of(c.sasl.listener))
	if err != nil { // a supported mechanism always has a server: not reached
		return nil, err
	}
	c.sasl.mech, c.sasl.server, c.sasl.raw = req.Mechanism, srv, r.version == 0
	return resp, nil
}
