package broker

import (
	"reflect"
	"strings"
	"testing"
)

func TestConfigSASL(t *testing.T) {
	text := `broker.id=1
listeners=SASL_PLAINTEXT://127.0.0.1:9092
security.inter.broker.protocol=SASL_PLAINTEXT
log.dirs=/data
zookeeper.connect=127.0.0.1:2181
sasl.enabled.mechanisms=PLAIN, SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required \
    username="admin" password="admin-secret" user_admin="admin-secret" user_alice="alice-secret";
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="admin-secret";
`
	c, warnings, err := parseConfig(text)
	if err != nil || len(warnings) > 0 {
		t.Fatalf("%v %v", err, warnings)
	}
	if c.Protocol(c.AllListeners()[0].Name) != "SASL_PLAINTEXT" || !reflect.DeepEqual(c.SASL.EnabledMechanisms, []string{"PLAIN", "SCRAM-SHA-512"}) ||
		c.SASL.InterBrokerMechanism != "SCRAM-SHA-512" {
		t.Fatalf("%+v", c.SASL)
	}
	j, ok := c.SASL.LoginModule("SASL_PLAINTEXT", "PLAIN")
	if !ok || j.PlainUsers()["alice"] != "alice-secret" {
		t.Fatalf("PLAIN login module %+v", j)
	}
	if j, ok := c.SASL.LoginModule("SASL_PLAINTEXT", "SCRAM-SHA-512"); !ok || j.Username() != "admin" {
		t.Fatalf("SCRAM login module %+v", j)
	}
	back, _, err := parseConfig(string(c.Render()))
	if err != nil {
		t.Fatalf("%v\n%s", err, c.Render())
	}
	back.File, c.File = "", ""
	if !reflect.DeepEqual(back.SASL, c.SASL) || !reflect.DeepEqual(back.AllListeners(), c.AllListeners()) {
		t.Fatalf("render round trip:\n%s\n%+v", c.Render(), back.SASL)
	}
}

func TestConfigSASLErrors(t *testing.T) {
	base := "broker.id=1\nlog.dirs=/d\nzookeeper.connect=127.0.0.1:2181\nlisteners=SASL_PLAINTEXT://127.0.0.1:9092\nsecurity.inter.broker.protocol=SASL_PLAINTEXT\n"
	plain := `listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="a" password="b";` + "\n"
	for _, tc := range []struct{ extra, want string }{
		{"", "sasl.enabled.mechanisms: GSSAPI is not supported by sluice"},
		{"sasl.enabled.mechanisms=PLAIN\n", "sasl.jaas.config: is required for PLAIN"},
		{"sasl.enabled.mechanisms=PLAIN\nsasl.mechanism.inter.broker.protocol=PLAIN\n" + strings.Replace(plain, "plain.PlainLoginModule", "scram.ScramLoginModule", 1),
			"does not serve PLAIN"},
		{"sasl.enabled.mechanisms=PLAIN\n" + plain, `sasl.mechanism.inter.broker.protocol: "GSSAPI" is not in sasl.enabled.mechanisms`},
		{"sasl.enabled.mechanisms=PLAIN,CRAM-MD5\n", `unknown SASL mechanism "CRAM-MD5"`},
		{"sasl.jaas.config=Module required user=\"x;\n", "unterminated"},
	} {
		_, _, err := parseConfig(base + tc.extra)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err %v, want %q", tc.extra, err, tc.want)
		}
	}
	// A PLAINTEXT listener ignores the SASL keys' defaults.
	if _, _, err := parseConfig(strings.ReplaceAll(base, "SASL_PLAINTEXT", "PLAINTEXT")); err != nil {
		t.Fatal(err)
	}
}
