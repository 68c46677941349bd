package broker

import (
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"strings"
)

// certPrincipal is the Kafka principal of a client certificate with
// ssl.principal.mapping.rules=DEFAULT: "User:" and the subject's
// distinguished name as Java's X500Principal.getName() prints it
// (RFC 2253): the last RDN first, the attribute types Java names by
// keyword (CN, C, L, ST, O, OU, STREET, DC, UID) by it, the others as
// dotted OIDs with the value's DER in hex, e.g. User:CN=alice,OU=eng,O=corp.
func certPrincipal(cert *x509.Certificate) string {
	var seq []rdnSET
	if rest, err := asn1.Unmarshal(cert.RawSubject, &seq); err != nil || len(rest) > 0 {
		return "User:" + cert.Subject.String()
	}
	var b strings.Builder
	for i := len(seq) - 1; i >= 0; i-- {
		if i < len(seq)-1 {
			b.WriteByte(',')
		}
		for j, atv := range seq[i] {
			if j > 0 {
				b.WriteByte('+')
			}
			writeATV(&b, atv)
		}
	}
	return "User:" + b.String()
}

// rfc2253Keywords are the attribute types Java's RFC 2253 form names.
var rfc2253Keywords = map[string]string{
	"2.5.4.3": "CN", "2.5.4.6": "C", "2.5.4.7": "L", "2.5.4.8": "ST", "2.5.4.10": "O", "2.5.4.11": "OU",
	"2.5.4.9": "STREET", "0.9.2342.19200300.100.1.25": "DC", "0.9.2342.19200300.100.1.1": "UID",
}

// rdnSET is a relative distinguished name (the asn1 package reads a
// type whose name ends in SET as a SET OF); values kept as their DER.
type rdnSET []rawATV

type rawATV struct {
	Type  asn1.ObjectIdentifier
	Value asn1.RawValue
}

func writeATV(b *strings.Builder, atv rawATV) {
	oid := atv.Type.String()
	name, known := rfc2253Keywords[oid]
	var s string
	_, err := asn1.Unmarshal(atv.Value.FullBytes, &s)
	if !known || err != nil {
		b.WriteString(oid)
		b.WriteString("=#")
		b.WriteString(hex.EncodeToString(atv.Value.FullBytes))
		return
	}
	b.WriteString(name)
	b.WriteByte('=')
	for i, r := range s {
		switch {
		case strings.ContainsRune(",+\"\\<>;", r),
			i == 0 && (r == '#' || r == ' '),
			i == len(s)-1 && r == ' ':
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
}
