package coordinator

import "crypto/tls"

// quorumTLS holds the TLS settings of the peer port (sslQuorum; the
// configuration that enables it is not read yet).
type quorumTLS struct {
	server     *tls.Config // for accepted connections
	client     *tls.Config // for dialed ones; ServerName is set per peer
	verifyHost bool        // ssl.quorum.hostnameVerification
}

// clientFor returns the dialer's TLS settings for the member at host.
func (q *quorumTLS) clientFor(host string) *tls.Config {
	c := q.client.Clone()
	c.ServerName = host
	return c
}
