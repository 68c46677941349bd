package broker

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicelogs/sluice/broker/sasl"
)

// SASL on a SASL_PLAINTEXT or SASL_SSL listener (after the TLS
// handshake), as Kafka's SaslServerAuthenticator:
//
//  1. ApiVersions (any number) and SaslHandshake name a mechanism; one
//     that is not enabled is answered UNSUPPORTED_SASL_MECHANISM with the
//     enabled list, and the connection closed.
//  2. After a v1 handshake the mechanism's tokens come in SaslAuthenticate
//     requests; after a v0 handshake (KIP-43) they come as raw frames, a
//     4-byte size and the token, answered the same way (rawExchange).
//  3. A failure is answered SASL_AUTHENTICATION_FAILED with Kafka's
//     message (v1; a v0 exchange has nowhere to say it) and the connection
//     closed. Success makes conn.principal User:<name>.
//
// Before that, any other request closes the connection, and no frame may
// exceed saslMaxReceive. Re-authentication (connections.max.reauth.ms,
// KIP-368) is not implemented: after success, SaslHandshake and
// SaslAuthenticate are answered ILLEGAL_SASL_STATE, as on a PLAINTEXT
// listener.

// saslMaxReceive is Kafka's sasl.server.max.receive.size default: the
// largest frame an unauthenticated client may send.
const saslMaxReceive = 524288

// saslState is a connection's progress through SASL; nil on a PLAINTEXT
// listener.
type saslState struct {
	listener string      // the listener's name, for its login modules
	mech     string      // chosen by the handshake, "" before it
	server   sasl.Server // the mechanism's exchange, after the handshake
	raw      bool        // a v0 handshake: the tokens come as raw frames
	done     bool        // authenticated
}

var errSASLState = errors.New("request not allowed before SASL authentication")

// newSASLState is the state of a new connection on l: nil unless l is a
// SASL_PLAINTEXT or SASL_SSL listener.
func newSASLState(l *listener) *saslState {
	if l == nil || !saslProtocol(l.protocol) {
		return nil
	}
	return &saslState{listener: l.Name}
}

// authenticating reports whether c has yet to authenticate.
func (c *conn) authenticating() bool { return c.sasl != nil && !c.sasl.done }

// maxRequestBytes is the largest request frame c may send now.
func (c *conn) maxRequestBytes() int32 {
	if c.authenticating() {
		return min(c.b.cfg.MaxRequestBytes, saslMaxReceive)
	}
	return c.b.cfg.MaxRequestBytes
}

// authenticate lets through what an unauthenticated connection may send:
// ApiVersions and SaslHandshake before the handshake, SaslAuthenticate
// after a v1 one; anything else is an error that closes the connection.
func (c *conn) authenticate(r *request) error {
	if !c.authenticating() {
		return nil
	}
	switch {
	case r.key == kmsg.ApiVersions && c.sasl.mech == "":
	case r.key == kmsg.SASLHandshake && c.sasl.mech == "":
	case r.key == kmsg.SASLAuthenticate && c.sasl.mech != "" && !c.sasl.raw:
	default:
		return fmt.Errorf("%w: %s", errSASLState, r.key.Name())
	}
	return nil
}

// authSucceeded records who authenticated.
func (c *conn) authSucceeded(user string) {
	c.sasl.done = true
	c.principal = "User:" + user
	c.b.log.Debug("SASL authentication succeeded", "remote", c.nc.RemoteAddr(), "mechanism", c.sasl.mech, "principal", c.principal)
}

// authFailed logs and counts a failed authentication.
func (c *conn) authFailed(err error) {
	c.b.metrics.saslFailures.Inc()
	c.b.log.Info("SASL authentication failed: closing the connection", "remote", c.nc.RemoteAddr(), "mechanism", c.sasl.mech, "err", err)
}

// rawExchange runs the exchange of a v0 handshake: raw size-prefixed
// tokens in, raw size-prefixed challenges out, until the mechanism is done
// (nil) or fails (an error: close the connection).
func (c *conn) rawExchange(r *bufio.Reader, w *bufio.Writer) error {
	for !c.sasl.done {
		var size [4]byte
		if _, err := io.ReadFull(r, size[:]); err != nil {
			return fmt.Errorf("broker: reading a SASL token: %w", err)
		}
		n := int32(binary.BigEndian.Uint32(size[:]))
		if n < 0 || n > saslMaxReceive {
			return fmt.Errorf("broker: SASL token of %d bytes", n)
		}
		token := make([]byte, n)
		if _, err := io.ReadFull(r, token); err != nil {
			return fmt.Errorf("broker: reading a SASL token: %w", err)
		}
		challenge, done, err := c.sasl.server.Step(token)
		if err != nil {
			c.authFailed(err)
			return err
		}
		if done {
			c.authSucceeded(c.sasl.server.User())
		}
		// Every step is answered, with an empty frame when the mechanism
		// has nothing to say (PLAIN's success), as Kafka does.
		out := binary.BigEndian.AppendUint32(nil, uint32(len(challenge)))
		if _, err := w.Write(append(out, challenge...)); err != nil {
			return err
		}
		if err := w.Flush(); err != nil {
			return err
		}
	}
	return nil
}
