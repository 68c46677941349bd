package agent

import (
	"strings"
	"testing"
)

// TestSyslogConfigErrors: a syslog input's bad keys are named with their
// file and line.
func TestSyslogConfigErrors(t *testing.T) {
	text := `inputs:
  - id: net
    type: syslog
    format: rfc9999
    protocol.tcp:
      host: nowhere
      framing: smoke-signals
      max_message_size: 20MiB
output.kafka:
  hosts: [127.0.0.1:9092]
  topic: t
`
	_, err := ParseConfig("agent.yml", []byte(text))
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{
		`agent.yml:4: inputs[0].format: "rfc9999"`,
		`agent.yml:6: inputs[0].protocol.tcp.host: "nowhere"`,
		`agent.yml:7: inputs[0].protocol.tcp.framing: "smoke-signals"`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	c, err := ParseConfig("agent.yml", []byte(strings.NewReplacer("rfc9999", "auto", "nowhere", "127.0.0.1:5514", "smoke-signals", "rfc6587").Replace(text)))
	if err != nil {
		t.Fatal(err)
	}
	in := c.Inputs[0]
	if in.Protocol.TCP.MaxMessageSize != 20<<20 || in.Protocol.TCP.Timeout == 0 || in.Protocol.UDP != nil {
		t.Fatalf("tcp %+v, udp %v", in.Protocol.TCP, in.Protocol.UDP)
	}
}
