package broker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
	ksasl "github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/sluicelogs/sluice/broker/sasl"
)

// interBrokerMechanism is the client side of sasl.mechanism.inter.broker.protocol
// with the username and password of its login module (franz-go's
// client mechanisms), or nil when the inter-broker listener is no SASL
// listener.
func (c *Config) interBrokerMechanism() ksasl.Mechanism {
	ibl := c.interBrokerListener()
	if !saslProtocol(c.Protocol(ibl)) {
		return nil
	}
	j, _ := c.SASL.LoginModule(ibl, c.SASL.InterBrokerMechanism)
	switch c.SASL.InterBrokerMechanism {
	case sasl.Plain:
		return plain.Auth{User: j.Username(), Pass: j.Password()}.AsMechanism()
	case sasl.ScramSHA256:
		return scram.Auth{User: j.Username(), Pass: j.Password()}.AsSha256Mechanism()
	case sasl.ScramSHA512:
		return scram.Auth{User: j.Username(), Pass: j.Password()}.AsSha512Mechanism()
	}
	return nil // Validate refuses the others
}

// authenticatePeer runs SASL (handshake v1, then SaslAuthenticate v1) on a
// new connection to another broker.
func authenticatePeer(ctx context.Context, c *peerConn, mech ksasl.Mechanism, addr string, timeout time.Duration) error {
	hs := kmsg.NewPtrSASLHandshakeRequest()
	hs.SetVersion(1)
	hs.Mechanism = mech.Name()
	resp, err := c.do(hs, timeout)
	if err != nil {
		return err
	}
	if err := kerr.ErrorForCode(resp.(*kmsg.SASLHandshakeResponse).ErrorCode); err != nil {
		return fmt.Errorf("broker: SASL handshake with %s for %s: %w", addr, mech.Name(), err)
	}
	sess, token, err := mech.Authenticate(ctx, addr)
	if err != nil {
		return fmt.Errorf("broker: SASL %s with %s: %w", mech.Name(), addr, err)
	}
	for range 10 {
		req := kmsg.NewPtrSASLAuthenticateRequest()
		req.SetVersion(1)
		req.SASLAuthBytes = token
		resp, err := c.do(req, timeout)
		if err != nil {
			return err
		}
		ar := resp.(*kmsg.SASLAuthenticateResponse)
		if err := kerr.ErrorForCode(ar.ErrorCode); err != nil {
			msg := ""
			if ar.ErrorMessage != nil {
				msg = *ar.ErrorMessage
			}
			return fmt.Errorf("broker: SASL %s with %s: %w: %s", mech.Name(), addr, err, msg)
		}
		done, next, err := sess.Challenge(ar.SASLAuthBytes)
		if err != nil {
			return fmt.Errorf("broker: SASL %s with %s: %w", mech.Name(), addr, err)
		}
		if done {
			return nil
		}
		token = next
	}
	return errors.New("broker: SASL exchange with " + addr + " does not end")
}
