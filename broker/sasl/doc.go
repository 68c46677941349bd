// Package sasl holds the broker's SASL mechanisms as Kafka runs them on a
// SASL_PLAINTEXT or SASL_SSL listener: PLAIN (RFC 4616) and SCRAM-SHA-256
// and SCRAM-SHA-512 (RFC 5802/7677, the message steps from
// github.com/xdg-go/scram), the SCRAM credentials as Kafka stores them
// ("salt=…,stored_key=…,server_key=…,iterations=…", base64), and the JAAS
// login-module lines of sasl.jaas.config.
//
// The Kafka framing (SaslHandshake, SaslAuthenticate, the raw tokens of a
// v0 handshake) is the broker's (broker/sasl_conn.go); this package only
// turns tokens into challenges and, at the end, a user name. GSSAPI and
// OAUTHBEARER are not implemented.
//
// Concurrency: a Server is one connection's conversation, used by that
// connection's goroutine only; Credential and JAAS values are immutable.
package sasl
