package pemtls

import (
	"crypto/tls"
	"fmt"
)

// X509KeyPair parses a certificate chain and its unencrypted private key
// given inline (Kafka's ssl.keystore.certificate.chain and
// ssl.keystore.key); an encrypted key is refused as LoadKeyPair refuses
// it.
func X509KeyPair(certPEM, keyPEM []byte) (tls.Certificate, error) {
	if encrypted(keyPEM) {
		return tls.Certificate{}, fmt.Errorf("the private key is encrypted; only unencrypted PEM keys are supported (openssl pkey -in key.pem -out plain.pem)")
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("want a PEM certificate and its private key: %w", err)
	}
	return cert, nil
}
