package agent

import (
	"fmt"
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
	if in.Protocol.TCP.MaxMessageSize != 20<<20 || in.Protocol.TCP.ReadBuffer != 0 || in.Protocol.TCP.Timeout == 0 || in.Protocol.UDP != nil {
		t.Fatalf("tcp %+v, udp %v", in.Protocol.TCP, in.Protocol.UDP)
	}
}

// TestSyslogUDPReadBuffer: protocol.udp.read_buffer is 1 MiB unless set,
// and protocol.tcp has none.
func TestSyslogUDPReadBuffer(t *testing.T) {
	text := "inputs:\n  - id: net\n    type: syslog\n    protocol.udp:\n      host: 127.0.0.1:5514\n%soutput.kafka:\n  hosts: [127.0.0.1:9092]\n  topic: t\n"
	for _, tc := range []struct {
		extra string
		want  ByteSize
	}{{"", 1 << 20}, {"      read_buffer: 4MiB\n", 4 << 20}} {
		c, err := ParseConfig("agent.yml", []byte(fmt.Sprintf(text, tc.extra)))
		if err != nil {
			t.Fatal(err)
		}
		if got := c.Inputs[0].Protocol.UDP.ReadBuffer; got != tc.want {
			t.Errorf("%q: read_buffer %d, want %d", tc.extra, got, tc.want)
		}
	}
	tcp := strings.Replace(fmt.Sprintf(text, "      read_buffer: 4MiB\n"), "protocol.udp", "protocol.tcp", 1)
	if _, err := ParseConfig("agent.yml", []byte(tcp)); err == nil || !strings.Contains(err.Error(), "agent.yml:6: inputs[0].protocol.tcp.read_buffer: protocol.udp only") {
		t.Errorf("read_buffer on tcp: %v", err)
	}
}
