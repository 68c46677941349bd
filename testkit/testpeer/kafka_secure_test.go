package testpeer

import "testing"

// TestKafkaSASLSSLProperties: the lines StartKafkaSASLSSL gives Kafka
// (both SCRAM mechanisms) are the ones it wrote before they were shared
// with sluice-bench broker.
func TestKafkaSASLSSLProperties(t *testing.T) {
	got := KafkaSASLSSLProperties(9092, 9093, 9094, "/k/keystore.pem", "/k/ca.pem", "SCRAM-SHA-512", "SCRAM-SHA-256")
	want := `listeners=PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093,SASL_SSL://127.0.0.1:9094
advertised.listeners=PLAINTEXT://127.0.0.1:9092,SASL_SSL://127.0.0.1:9094
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL
sasl.enabled.mechanisms=SCRAM-SHA-512,SCRAM-SHA-256
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
ssl.keystore.type=PEM
ssl.keystore.location=/k/keystore.pem
ssl.truststore.type=PEM
ssl.truststore.location=/k/ca.pem
`
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
