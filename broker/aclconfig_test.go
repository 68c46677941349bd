package broker

import (
	"reflect"
	"strings"
	"testing"
)

// TestAuthzConfig: Kafka's authorizer keys are read, checked and
// rendered; an authorizer sluice does not have is an error naming the key.
func TestAuthzConfig(t *testing.T) {
	const zk = "zookeeper.connect=127.0.0.1:2181\n"
	cfg, warnings, err := parseConfig(zk + "authorizer.class.name=kafka.security.auth.SimpleAclAuthorizer\n" +
		"super.users=User:admin; User:broker\nallow.everyone.if.no.acl.found=true\n")
	if err != nil || len(warnings) > 0 {
		t.Fatalf("parse: %v %v", err, warnings)
	}
	want := AuthzConfig{ClassName: simpleAuthorizerName, SuperUsers: []string{"User:admin", "User:broker"}, AllowIfNoACL: true}
	if !reflect.DeepEqual(cfg.Authz, want) {
		t.Fatalf("Authz = %+v, want %+v", cfg.Authz, want)
	}
	again, _, err := parseConfig(string(cfg.Render()))
	if err != nil || !reflect.DeepEqual(again.Authz, want) {
		t.Fatalf("rendered and read back: %+v, %v", again.Authz, err)
	}
	if d, _, _ := parseConfig(zk); d.Authz.Enabled() || d.Authz.AllowIfNoACL {
		t.Fatalf("default Authz = %+v, want none (Kafka's defaults)", d.Authz)
	}
	for _, bad := range []struct{ text, key string }{
		{"authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer\n", authorizerClassKey},
		{"super.users=admin\n", superUsersKey},
		{"allow.everyone.if.no.acl.found=maybe\n", allowIfNoACLKey},
	} {
		if _, _, err := parseConfig(zk + bad.text); err == nil || !strings.Contains(err.Error(), bad.key) {
			t.Errorf("%q: %v, want an error naming %s", bad.text, err, bad.key)
		}
	}
}
