package agent

import (
	"fmt"
	"net"
	"path/filepath"
	"time"

	"github.com/sluicelogs/sluice/agent/syslog"
	"github.com/sluicelogs/sluice/internal/clientsec"
	"github.com/sluicelogs/sluice/internal/config"
)

// inputSyslog is the type of a syslog input.
const inputSyslog = "syslog"

// NetConfig is protocol.udp or protocol.tcp of a syslog input (Filebeat's
// keys).
type NetConfig struct {
	Host           string        `yaml:"host"`             // address to listen on, host:port
	MaxMessageSize ByteSize      `yaml:"max_message_size"` // longer messages are cut (and flagged truncated)
	Framing        string        `yaml:"framing"`          // tcp: delimiter | rfc6587 (both framings, told apart per message)
	LineDelimiter  string        `yaml:"line_delimiter"`   // tcp, delimiter framing: one byte, "\n" by default
	MaxConnections int           `yaml:"max_connections"`  // tcp: 0 for no limit
	Timeout        time.Duration `yaml:"timeout"`          // tcp: a connection silent this long is closed
	// udp: the socket's receive buffer asked for (SO_RCVBUF; Linux caps
	// it at net.core.rmem_max and doubles it). Filebeat's key; its
	// default is the system's (208 KiB, ~250 small datagrams), ours 1 MiB:
	// the receiver waits a little between reads (syslog_udp.go), and the
	// buffer takes the bursts that come meanwhile.
	ReadBuffer ByteSize `yaml:"read_buffer"`
	// tcp: TLS (Filebeat's ssl keys for a listener: certificate, key,
	// certificate_authorities, client_authentication, supported_protocols).
	SSL clientsec.ServerSSL `yaml:"ssl"`

	framing syslog.Framing
}

// QueueDisk is queue.disk: where the disk queue of the inputs whose
// sources cannot be read again (syslog) lives, and its bound per input.
type QueueDisk struct {
	Path    string   `yaml:"path"`     // default: <registry.path>/diskqueue
	MaxSize ByteSize `yaml:"max_size"` // bytes not yet acknowledged, per input
}

// ByteSize is a size in bytes, written as a number or with a unit as
// Filebeat writes them (10KiB, 20MiB, 1GB).
type ByteSize int64

// UnmarshalText reads 1024, 10KiB, 10KB, 1.5MiB, 2GB.
func (b *ByteSize) UnmarshalText(text []byte) error {
	v, err := parseByteSize(string(text))
	if err != nil {
		return err
	}
	*b = ByteSize(v)
	return nil
}

func parseByteSize(s string) (int64, error) {
	var n float64
	var unit string
	if _, err := fmt.Sscanf(s, "%g%s", &n, &unit); err != nil {
		if _, err2 := fmt.Sscanf(s, "%g", &n); err2 != nil {
			return 0, fmt.Errorf("%q: not a size (e.g. 1024, 10KiB, 20MiB)", s)
		}
		unit = ""
	}
	mult := map[string]float64{"": 1, "B": 1, "KB": 1e3, "KiB": 1 << 10, "MB": 1e6, "MiB": 1 << 20, "GB": 1e9, "GiB": 1 << 30, "TB": 1e12, "TiB": 1 << 40}[unit]
	if mult == 0 || n < 0 || n*mult > 1<<62 {
		return 0, fmt.Errorf("%q: not a size (e.g. 1024, 10KiB, 20MiB)", s)
	}
	return int64(n * mult), nil
}

// maxMessageSize bounds max_message_size: a message is one disk queue
// record, and one event.
const maxMessageSize = 100 << 20

// queueRecordBytes is the largest disk queue record of the input: its
// largest message and the queue's header (queued: time, flags, address).
func (in *InputConfig) queueRecordBytes() int {
	n := int64(0)
	for _, c := range []*NetConfig{in.Protocol.UDP, in.Protocol.TCP} {
		if c != nil {
			n = max(n, int64(c.MaxMessageSize))
		}
	}
	return int(n) + 10 + 255
}

// netDefaults gives a syslog input's unset keys Filebeat's defaults.
func (in *InputConfig) netDefaults() {
	def(&in.Format, "rfc3164")
	def(&in.Timezone, "Local")
	if u := in.Protocol.UDP; u != nil {
		if u.MaxMessageSize == 0 {
			u.MaxMessageSize = 10 << 10
		}
		if u.ReadBuffer == 0 {
			u.ReadBuffer = 1 << 20
		}
	}
	if t := in.Protocol.TCP; t != nil {
		if t.MaxMessageSize == 0 {
			t.MaxMessageSize = 20 << 20
		}
		def(&t.Framing, "delimiter")
		def(&t.LineDelimiter, "\n")
		defDur(&t.Timeout, 300*time.Second)
	}
}

// validateNet checks a syslog input's keys; p is its key prefix.
func (in *InputConfig) validateNet(p string, bad func(key, format string, args ...any)) {
	var err error
	if in.format, err = syslog.ParseFormat(in.Format); err != nil {
		bad(p+".format", "%v", err)
	}
	if in.location, err = time.LoadLocation(in.Timezone); err != nil {
		bad(p+".timezone", "%q: %v", in.Timezone, err)
	}
	if in.Protocol.UDP == nil && in.Protocol.TCP == nil {
		bad(p+".protocol", "protocol.udp or protocol.tcp (or both) is required")
	}
	if len(in.Paths) > 0 {
		bad(p+".paths", "a syslog input listens: it has no paths")
	}
	if len(in.Parsers) > 0 {
		bad(p+".parsers", "a syslog input parses syslog itself: it takes no parsers")
	}
	for _, nc := range []struct {
		key string
		c   *NetConfig
	}{{"protocol.udp", in.Protocol.UDP}, {"protocol.tcp", in.Protocol.TCP}} {
		if nc.c == nil {
			continue
		}
		k := p + "." + nc.key
		if _, _, err := net.SplitHostPort(nc.c.Host); err != nil {
			bad(k+".host", "%q: want host:port (%v)", nc.c.Host, err)
		}
		if nc.c.MaxMessageSize < 1 || nc.c.MaxMessageSize > maxMessageSize {
			bad(k+".max_message_size", "%d: between 1 byte and %d", nc.c.MaxMessageSize, maxMessageSize)
		}
		if nc.key == "protocol.udp" {
			continue
		}
		if nc.c.ReadBuffer != 0 {
			bad(k+".read_buffer", "protocol.udp only")
		}
		if nc.c.framing, err = syslog.ParseFraming(nc.c.Framing); err != nil {
			bad(k+".framing", "%v", err)
		}
		if len(nc.c.LineDelimiter) != 1 {
			bad(k+".line_delimiter", "%q: one byte", nc.c.LineDelimiter)
		}
		if nc.c.MaxConnections < 0 {
			bad(k+".max_connections", "must be 0 (no limit) or positive")
		}
		if nc.c.Timeout < 0 {
			bad(k+".timeout", "must not be negative")
		}
		var sec config.Errors
		nc.c.SSL.Validate(k+".", &sec)
		for _, e := range sec {
			bad(e.Key, "%w", e.Err)
		}
	}
}

// diskQueueDir is where input id keeps its disk queue.
func (c *Config) diskQueueDir(id string) string {
	base := c.Queue.Disk.Path
	if base == "" {
		base = filepath.Join(c.Registry.Path, "diskqueue")
	}
	return filepath.Join(base, id)
}
