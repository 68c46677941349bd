// Package clientsec turns the TLS and SASL keys of Filebeat's outputs
// (ssl.enabled, ssl.certificate_authorities, ssl.certificate, ssl.key,
// ssl.verification_mode, ssl.supported_protocols; username, password,
// sasl.mechanism) into a crypto/tls configuration and franz-go options, for
// the agent's Kafka output and both sides of the indexer (Kafka and
// Elasticsearch), so that the two read the same keys the same way.
//
// It also hides secrets from logs: RedactURL masks the password of a URL
// as Filebeat does (https://elastic:xxxxx@host).
//
// The keys are given nested (ssl: {certificate: …}) or dotted
// (ssl.certificate: …) as in filebeat.yml; Fold moves the dotted spellings
// into the nested fields. Validate loads the files named, so that a missing
// or unreadable certificate is a configuration error naming its key.
package clientsec
