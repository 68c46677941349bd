package clientsec

import (
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/sluicelogs/sluice/internal/config"
)

// Kafka is the security of a Kafka client: Filebeat's output.kafka keys
// ssl.*, username, password and sasl.mechanism. Inline it (yaml ",inline")
// into the struct of the client's other keys.
type Kafka struct {
	SSL      SSL    `yaml:"ssl"`
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	SASL     struct {
		// Mechanism is PLAIN (the default when username is set),
		// SCRAM-SHA-256 or SCRAM-SHA-512.
		Mechanism string `yaml:"mechanism"`
	} `yaml:"sasl"`

	DottedSASLMechanism string `yaml:"sasl.mechanism,omitempty"`
	DottedSSL           `yaml:",inline"`
}

// Validate folds the dotted keys, checks k and loads its TLS files. Keys
// in errors are under prefix (e.g. "output.kafka.").
func (k *Kafka) Validate(prefix string, errs *config.Errors) {
	k.DottedSSL.Fold(&k.SSL, prefix, errs)
	if k.DottedSASLMechanism != "" {
		if k.SASL.Mechanism != "" {
			errs.Addf(prefix+"sasl.mechanism", "given twice (dotted and nested)")
		}
		k.SASL.Mechanism, k.DottedSASLMechanism = k.DottedSASLMechanism, ""
	}
	k.SSL.Validate(prefix, errs)
	switch k.SASL.Mechanism {
	case "", "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512":
	default:
		errs.Addf(prefix+"sasl.mechanism", "%q: want PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", k.SASL.Mechanism)
	}
	if k.Username == "" && (k.Password != "" || k.SASL.Mechanism != "") {
		errs.Addf(prefix+"username", "required with password and sasl.mechanism")
	}
}

// Options returns the franz-go options of a validated k: TLS dialing and
// a SASL mechanism, none when neither is configured.
func (k *Kafka) Options() []kgo.Opt {
	var opts []kgo.Opt
	if c := k.SSL.Config(); c != nil {
		opts = append(opts, kgo.DialTLSConfig(c))
	}
	if m := k.mechanism(); m != nil {
		opts = append(opts, kgo.SASL(m))
	}
	return opts
}

func (k *Kafka) mechanism() sasl.Mechanism {
	if k.Username == "" {
		return nil
	}
	switch k.SASL.Mechanism {
	case "SCRAM-SHA-256":
		return scram.Auth{User: k.Username, Pass: k.Password}.AsSha256Mechanism()
	case "SCRAM-SHA-512":
		return scram.Auth{User: k.Username, Pass: k.Password}.AsSha512Mechanism()
	default:
		return plain.Auth{User: k.Username, Pass: k.Password}.AsMechanism()
	}
}
