// Package pemtls reads the PEM files that TLS settings name (key stores,
// trust stores, certificate authorities) into crypto/tls values, and makes
// certificate authorities and node certificates for a quick secure cluster
// and for tests.
//
// Every component takes PEM only: Kafka has read PEM key and trust stores
// since 2.7 (ssl.keystore.type=PEM), ZooKeeper since 3.5, and Filebeat and
// Elasticsearch clients take PEM certificate, key and CA files. JKS and
// PKCS12 stores are refused with a message saying how to convert them.
package pemtls
