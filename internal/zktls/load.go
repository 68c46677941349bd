package zktls

import (
	"errors"

	"github.com/sluicelogs/sluice/internal/config"
)

// Load reads the settings spelt as k from the properties file at path (a
// tool's --zk-tls-config-file or -client-configuration) over Defaults,
// and validates them; errors name file, line and key. Other keys are
// ignored, as Kafka's tools and ZooKeeper's client ignore them.
func (k Keys) Load(path string) (Settings, error) {
	s := Defaults()
	p, err := config.LoadProperties(path)
	if err != nil {
		return s, err
	}
	var errs config.Errors
	k.Read(p, &s, func(err error) {
		var e *config.Error
		switch {
		case errors.As(err, &e):
			errs = append(errs, e)
		case err != nil:
			errs = append(errs, &config.Error{Err: err})
		}
	})
	if err := p.Locate(errs.Err()).Err(); err != nil {
		return s, err
	}
	return s, p.Locate(k.Validate(s)).Err()
}
