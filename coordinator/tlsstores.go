package coordinator

import (
	"github.com/sluicelogs/sluice/internal/config"
	"github.com/sluicelogs/sluice/internal/pemtls"
)

// checkStores checks a key store and a trust store named by the keys
// prefix+"keyStore.location"/".type" and prefix+"trustStore.…" (prefix
// "ssl." for the secure client port, "ssl.quorum." for the peer port):
// both are required by the setting named in requiredBy, and must be PEM.
// An error about the type is reported under the type key, or under the
// location key when the type came from the file's extension.
func checkStores(prefix, requiredBy, keyStore, keyStoreType, trustStore, trustStoreType string) config.Errors {
	var errs config.Errors
	for _, s := range []struct{ name, location, typ string }{
		{"keyStore", keyStore, keyStoreType},
		{"trustStore", trustStore, trustStoreType},
	} {
		locKey, typKey := prefix+s.name+".location", prefix+s.name+".type"
		if s.location == "" {
			errs.Addf(locKey, "is required with %s", requiredBy)
			continue
		}
		key := typKey
		if s.typ == "" {
			key = locKey
		}
		if err := pemtls.CheckStoreType(s.location, s.typ, typKey); err != nil {
			errs.Addf(key, "%v", err)
		}
	}
	return errs
}
