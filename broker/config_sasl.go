package broker

import (
	"maps"
	"slices"
	"strings"

	"github.com/sluicelogs/sluice/broker/sasl"
	"github.com/sluicelogs/sluice/internal/config"
)

// The listener security protocols this broker serves (Kafka's names).
const (
	protocolPlaintext     = "PLAINTEXT"
	protocolSASLPlaintext = "SASL_PLAINTEXT"
)

// SASLConfig is the SASL side of a SASL_PLAINTEXT listener, with Kafka's
// keys. Kafka's default mechanism, GSSAPI (Kerberos), is kept as the
// default but not implemented: a SASL listener must name PLAIN and/or
// SCRAM-SHA-256/512 in sasl.enabled.mechanisms and
// sasl.mechanism.inter.broker.protocol, or Validate says so.
type SASLConfig struct {
	EnabledMechanisms    []string // sasl.enabled.mechanisms
	InterBrokerMechanism string   // sasl.mechanism.inter.broker.protocol
	// JAAS is each mechanism's login module line, from
	// listener.name.<listener>.<mechanism>.sasl.jaas.config, and under ""
	// sasl.jaas.config, which serves the mechanisms without one of
	// their own.
	JAAS map[string]string
}

func defaultSASL() SASLConfig {
	return SASLConfig{EnabledMechanisms: []string{"GSSAPI"}, InterBrokerMechanism: "GSSAPI"}
}

// listenerScheme is the upper-cased scheme of the first listener of v
// (parseListener has checked it).
func listenerScheme(v string) string {
	first := strings.TrimSpace(strings.Split(v, ",")[0])
	scheme, _, _ := strings.Cut(first, "://")
	return strings.ToUpper(scheme)
}

// jaasKey is the listener-prefixed sasl.jaas.config key of mech.
func (c *Config) jaasKey(mech string) string {
	return "listener.name." + strings.ToLower(c.SecurityProtocol) + "." + strings.ToLower(mech) + ".sasl.jaas.config"
}

// readSASL reads the SASL keys; Validate checks them against the listener.
func (c *Config) readSASL(p *config.Properties) error {
	var errs config.Errors
	if v, ok := p.Lookup("sasl.enabled.mechanisms"); ok {
		c.SASL.EnabledMechanisms = nil
		for _, m := range strings.Split(v, ",") {
			if m = strings.TrimSpace(m); m != "" {
				c.SASL.EnabledMechanisms = append(c.SASL.EnabledMechanisms, m)
			}
		}
	}
	if v, ok := p.Lookup("sasl.mechanism.inter.broker.protocol"); ok {
		c.SASL.InterBrokerMechanism = strings.TrimSpace(v)
	}
	setJAAS := func(mech, key string) {
		v, ok := p.Lookup(key)
		if !ok {
			return
		}
		if _, err := sasl.ParseJAAS(v); err != nil {
			errs = append(errs, p.Errorf(key, "%v", err))
			return
		}
		if c.SASL.JAAS == nil {
			c.SASL.JAAS = map[string]string{}
		}
		c.SASL.JAAS[mech] = v
	}
	setJAAS("", "sasl.jaas.config")
	for _, key := range p.Prefixed("listener.name.") {
		rest, ok := strings.CutSuffix(key, ".sasl.jaas.config")
		if !ok {
			continue
		}
		listener, mech, ok := strings.Cut(strings.TrimPrefix(rest, "listener.name."), ".")
		if !ok || !strings.EqualFold(listener, c.SecurityProtocol) {
			p.Lookup(key) // another listener's: read, unused
			continue
		}
		setJAAS(strings.ToUpper(mech), key)
	}
	return errs.Err()
}

// LoginModule is mech's JAAS entry: its own, else sasl.jaas.config's.
func (s SASLConfig) LoginModule(mech string) (sasl.JAAS, bool) {
	v, ok := s.JAAS[mech]
	if !ok {
		v, ok = s.JAAS[""]
	}
	if !ok {
		return sasl.JAAS{}, false
	}
	j, err := sasl.ParseJAAS(v)
	return j, err == nil
}

// validateSASL checks the listener's protocol and, on a SASL listener,
// that every enabled mechanism is implemented and has its login module,
// and that the inter-broker mechanism is one of them with credentials.
func (c *Config) validateSASL(errs *config.Errors) {
	switch c.SecurityProtocol {
	case protocolPlaintext:
		return
	case protocolSASLPlaintext:
	default:
		errs.Addf("listeners", "security protocol %q: only PLAINTEXT and SASL_PLAINTEXT are supported", c.SecurityProtocol)
		return
	}
	if err := sasl.CheckMechanisms(c.SASL.EnabledMechanisms); err != nil {
		errs.Addf("sasl.enabled.mechanisms", "%v", err)
		return
	}
	for _, mech := range c.SASL.EnabledMechanisms {
		want := sasl.ScramLoginModule
		if mech == sasl.Plain {
			want = sasl.PlainLoginModule
		}
		j, ok := c.SASL.LoginModule(mech)
		switch {
		case !ok:
			errs.Addf(c.jaasKey(mech), "is required for %s on a %s listener (or sasl.jaas.config)", mech, c.SecurityProtocol)
		case j.Module != want:
			errs.Addf(c.jaasKey(mech), "login module %s does not serve %s (want %s)", j.Module, mech, want)
		}
	}
	ib := c.SASL.InterBrokerMechanism
	switch j, ok := c.SASL.LoginModule(ib); {
	case !slices.Contains(c.SASL.EnabledMechanisms, ib):
		errs.Addf("sasl.mechanism.inter.broker.protocol", "%q is not in sasl.enabled.mechanisms %v (Kafka's default GSSAPI is not supported by sluice)", ib, c.SASL.EnabledMechanisms)
	case ok && (j.Username() == "" || j.Password() == ""):
		errs.Addf(c.jaasKey(ib), "needs username and password: the credentials this broker presents to the others")
	}
}

// renderSASL writes the SASL keys that differ from the defaults.
func (c *Config) renderSASL(line func(key string, v any)) {
	def := defaultSASL()
	if !slices.Equal(c.SASL.EnabledMechanisms, def.EnabledMechanisms) {
		line("sasl.enabled.mechanisms", strings.Join(c.SASL.EnabledMechanisms, ","))
	}
	if c.SASL.InterBrokerMechanism != def.InterBrokerMechanism {
		line("sasl.mechanism.inter.broker.protocol", c.SASL.InterBrokerMechanism)
	}
	for _, mech := range slices.Sorted(maps.Keys(c.SASL.JAAS)) {
		key := "sasl.jaas.config"
		if mech != "" {
			key = c.jaasKey(mech)
		}
		line(key, strings.ReplaceAll(c.SASL.JAAS[mech], "\n", " "))
	}
}
