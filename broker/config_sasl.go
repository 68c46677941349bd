package broker

import (
	"maps"
	"slices"
	"strings"

	"github.com/sluicelogs/sluice/broker/sasl"
	"github.com/sluicelogs/sluice/internal/config"
)

// SASLConfig is the SASL side of the SASL_PLAINTEXT and SASL_SSL
// listeners, with Kafka's keys. Kafka's default mechanism, GSSAPI (Kerberos), is kept as the
// default but not implemented: a SASL listener must name PLAIN and/or
// SCRAM-SHA-256/512 in sasl.enabled.mechanisms and
// sasl.mechanism.inter.broker.protocol, or Validate says so.
type SASLConfig struct {
	EnabledMechanisms    []string // sasl.enabled.mechanisms
	InterBrokerMechanism string   // sasl.mechanism.inter.broker.protocol
	// JAAS is the login module lines: under "<listener>.<MECHANISM>"
	// (the listener's name lower-cased) from
	// listener.name.<listener>.<mechanism>.sasl.jaas.config, and under ""
	// sasl.jaas.config, which serves the listeners and mechanisms without
	// one of their own.
	JAAS map[string]string
}

func defaultSASL() SASLConfig {
	return SASLConfig{EnabledMechanisms: []string{"GSSAPI"}, InterBrokerMechanism: "GSSAPI"}
}

// saslProtocol reports whether proto is a SASL listener's protocol.
func saslProtocol(proto string) bool { return proto == protoSASLPlaintext || proto == protoSASLSSL }

// jaasEntry is the JAAS map key of listener's mech.
func jaasEntry(listener, mech string) string {
	return strings.ToLower(listener) + "." + strings.ToUpper(mech)
}

// jaasKey is the listener-prefixed sasl.jaas.config key of mech.
func jaasKey(listener, mech string) string {
	return "listener.name." + strings.ToLower(listener) + "." + strings.ToLower(mech) + ".sasl.jaas.config"
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
		if !ok {
			continue
		}
		setJAAS(jaasEntry(listener, mech), key)
	}
	return errs.Err()
}

// LoginModule is the JAAS entry of mech on listener: its own, else
// sasl.jaas.config's.
func (s SASLConfig) LoginModule(listener, mech string) (sasl.JAAS, bool) {
	v, ok := s.JAAS[jaasEntry(listener, mech)]
	if !ok {
		v, ok = s.JAAS[""]
	}
	if !ok {
		return sasl.JAAS{}, false
	}
	j, err := sasl.ParseJAAS(v)
	return j, err == nil
}

// validateSASL checks, for each SASL listener, that every enabled
// mechanism is implemented and has its login module, and, when the
// inter-broker listener is a SASL one, that the inter-broker mechanism is
// enabled with credentials.
func (c *Config) validateSASL(errs *config.Errors) {
	checked := false
	for _, l := range c.AllListeners() {
		proto := c.Protocol(l.Name)
		if !saslProtocol(proto) {
			continue
		}
		if !checked {
			if err := sasl.CheckMechanisms(c.SASL.EnabledMechanisms); err != nil {
				errs.Addf("sasl.enabled.mechanisms", "%v", err)
				return
			}
			checked = true
		}
		for _, mech := range c.SASL.EnabledMechanisms {
			want := sasl.ScramLoginModule
			if mech == sasl.Plain {
				want = sasl.PlainLoginModule
			}
			j, ok := c.SASL.LoginModule(l.Name, mech)
			switch {
			case !ok:
				errs.Addf(jaasKey(l.Name, mech), "is required for %s on the %s listener %s (or sasl.jaas.config)", mech, proto, l.Name)
			case j.Module != want:
				errs.Addf(jaasKey(l.Name, mech), "login module %s does not serve %s (want %s)", j.Module, mech, want)
			}
		}
	}
	ibl := c.interBrokerListener()
	if !saslProtocol(c.Protocol(ibl)) {
		return
	}
	ib := c.SASL.InterBrokerMechanism
	switch j, ok := c.SASL.LoginModule(ibl, ib); {
	case !slices.Contains(c.SASL.EnabledMechanisms, ib):
		errs.Addf("sasl.mechanism.inter.broker.protocol", "%q is not in sasl.enabled.mechanisms %v (Kafka's default GSSAPI is not supported by sluice)", ib, c.SASL.EnabledMechanisms)
	case ok && (j.Username() == "" || j.Password() == ""):
		errs.Addf(jaasKey(ibl, ib), "needs username and password: the credentials this broker presents to the others")
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
	for _, entry := range slices.Sorted(maps.Keys(c.SASL.JAAS)) {
		key := "sasl.jaas.config"
		if listener, mech, ok := strings.Cut(entry, "."); ok {
			key = jaasKey(listener, mech)
		}
		line(key, strings.ReplaceAll(c.SASL.JAAS[entry], "\n", " "))
	}
}
