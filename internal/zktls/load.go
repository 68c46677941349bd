package zktls

import (
	"errors"

	"github.com/sluicelogs/sluice/internal/config"
)

// Load reads the settings spelt as k from the properties file at path (a
// tool's --zk-tls-config-file or -client-configuration) over Defaults,
// and validates them; errors name file, line and key. Revocation checks
// (CRL, OCSP) set to true are refused: they are not done. Other keys
// (cipher suites, enabled protocols among them: Go's defaults apply) are
// ignored, as Kafka's tools and ZooKeeper's client ignore unknown keys.
func (k Keys) Load(path string) (Settings, error) {
	s := Defaults()
	p, err := config.LoadProperties(path)
	if err != nil {
		return s, err
	}
	var errs config.Errors
	add := func(err error) {
		var e *config.Error
		switch {
		case errors.As(err, &e):
			errs = append(errs, e)
		case err != nil:
			errs = append(errs, &config.Error{Err: err})
		}
	}
	k.Read(p, &s, add)
	for _, key := range []string{k.CRL, k.OCSP} {
		on, err := p.Bool(key, false)
		if err == nil && on {
			err = p.Errorf(key, "certificate revocation checks are not supported: leave it false")
		}
		add(err)
	}
	if err := p.Locate(errs.Err()).Err(); err != nil {
		return s, err
	}
	return s, p.Locate(k.Validate(s)).Err()
}
