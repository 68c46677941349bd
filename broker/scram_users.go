package broker

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/sluicelogs/sluice/broker/sasl"
)

// SCRAM credentials are kept where Kafka 2.x keeps them, one node per
// user with the user's name sanitized as Kafka's Sanitizer does (URL
// encoding, a space as %20, * as %2A):
//
//	/config/users/<user>   {"version":1,"config":{"SCRAM-SHA-512":"salt=…,stored_key=…,server_key=…,iterations=4096"}}
//
// written with a users/<user> change notification (configchanges.go), so
// kafka-configs.sh --zookeeper writes them as well as this broker's
// AlterUserScramCredentials. Every authentication reads the node again:
// a credential added, changed or deleted serves the next login at once,
// on every broker, without watching the notifications.

// userEntity is the config entity of user: users/<sanitized name>.
func userEntity(user string) string {
	s := url.QueryEscape(user)
	s = strings.NewReplacer("+", "%20", "~", "%7E").Replace(s)
	return "users/" + s
}

// saslUsers answers the credentials of the broker's SASL mechanisms:
// PLAIN's from the PLAIN login module's user_<name> options (each
// listener's own, or sasl.jaas.config's), SCRAM's from the coordinator.
type saslUsers struct {
	meta  *clusterMeta
	plain map[string]string
}

// saslListenerUsers holds the credentials of each SASL listener, by name.
type saslListenerUsers map[string]saslUsers

// of returns the credentials of listener.
func (u saslListenerUsers) of(listener string) saslUsers { return u[listener] }

func (u saslUsers) PlainPassword(user string) (string, bool) {
	p, ok := u.plain[user]
	return p, ok
}

func (u saslUsers) ScramCredential(mech, user string) (sasl.Credential, bool, error) {
	cfg, _, err := u.meta.entityConfig(userEntity(user))
	if err != nil {
		return sasl.Credential{}, false, err
	}
	v, ok := cfg[mech]
	if !ok {
		return sasl.Credential{}, false, nil
	}
	c, err := sasl.ParseCredential(v)
	if err != nil {
		return sasl.Credential{}, false, fmt.Errorf("broker: %s credential of %q: %w", mech, user, err)
	}
	return c, true, nil
}

func newSASLUsers(cfg *Config, meta *clusterMeta) saslListenerUsers {
	all := saslListenerUsers{}
	for _, l := range cfg.AllListeners() {
		u := saslUsers{meta: meta}
		if j, ok := cfg.SASL.LoginModule(l.Name, sasl.Plain); ok && j.Module == sasl.PlainLoginModule {
			u.plain = j.PlainUsers()
		}
		all[l.Name] = u
	}
	return all
}
