package pemtls

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// StoreType returns the type of a key or trust store: typ upper-cased, or,
// when typ is empty, the type its file extension says (as ZooKeeper's
// X509Util does); "" when neither tells.
func StoreType(location, typ string) string {
	if typ != "" {
		return strings.ToUpper(typ)
	}
	switch strings.ToLower(filepath.Ext(location)) {
	case ".pem", ".crt", ".cer", ".key":
		return "PEM"
	case ".jks":
		return "JKS"
	case ".p12", ".pfx":
		return "PKCS12"
	case ".bcfks":
		return "BCFKS"
	}
	return ""
}

// CheckStoreType returns an error unless the store at location (of type
// typ, or as its extension says) is PEM; typKey is the configuration key
// that sets the type, named in the message.
func CheckStoreType(location, typ, typKey string) error {
	switch t := StoreType(location, typ); t {
	case "PEM":
		return nil
	case "":
		return fmt.Errorf("cannot tell the store type of %q from its extension: set %s=PEM", location, typKey)
	default:
		return fmt.Errorf("%s stores are not supported, only PEM: convert it (e.g. keytool -importkeystore to PKCS12, then openssl pkcs12 -nodes) and set %s=PEM", t, typKey)
	}
}

// LoadKeyPair reads a certificate chain and its unencrypted private key.
// keyFile may be certFile or empty: a PEM key store holds both.
func LoadKeyPair(certFile, keyFile string) (tls.Certificate, error) {
	if keyFile == "" {
		keyFile = certFile
	}
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return tls.Certificate{}, err
	}
	keyPEM := certPEM
	if keyFile != certFile {
		if keyPEM, err = os.ReadFile(keyFile); err != nil {
			return tls.Certificate{}, err
		}
	}
	if encrypted(keyPEM) {
		return tls.Certificate{}, fmt.Errorf("%s: the private key is encrypted; only unencrypted PEM keys are supported (openssl pkey -in key.pem -out plain.pem)", keyFile)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		if keyFile == certFile {
			return tls.Certificate{}, fmt.Errorf("%s: want a PEM certificate and its private key: %w", certFile, err)
		}
		return tls.Certificate{}, fmt.Errorf("%s, %s: want a PEM certificate and its private key: %w", certFile, keyFile, err)
	}
	return cert, nil
}

func encrypted(b []byte) bool {
	for {
		var blk *pem.Block
		if blk, b = pem.Decode(b); blk == nil {
			return false
		}
		if blk.Type == "ENCRYPTED PRIVATE KEY" || blk.Headers["Proc-Type"] != "" {
			return true
		}
	}
}

// LoadPool reads the CA certificates of PEM bundles into a pool.
func LoadPool(files ...string) (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		if !pool.AppendCertsFromPEM(b) {
			return nil, fmt.Errorf("%s: no PEM certificate in it", f)
		}
	}
	return pool, nil
}

// VerifyChain returns a tls.Config.VerifyConnection that checks the peer's
// certificate chains to roots for the given use, without checking its host
// name: Filebeat's verification_mode "certificate", ZooKeeper's and
// Kafka's hostname verification turned off. Use it with
// InsecureSkipVerify (client side) so that only the name check is skipped.
func VerifyChain(roots *x509.CertPool, usage x509.ExtKeyUsage) func(tls.ConnectionState) error {
	return func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return errors.New("the peer sent no certificate")
		}
		opts := x509.VerifyOptions{Roots: roots, Intermediates: x509.NewCertPool(), KeyUsages: []x509.ExtKeyUsage{usage}}
		for _, c := range cs.PeerCertificates[1:] {
			opts.Intermediates.AddCert(c)
		}
		_, err := cs.PeerCertificates[0].Verify(opts)
		return err
	}
}
