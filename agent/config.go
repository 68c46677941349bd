package agent

import (
	"fmt"
	"os"
	"regexp"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/sluicelogs/sluice/agent/syslog"
	"github.com/sluicelogs/sluice/internal/clientsec"
	"github.com/sluicelogs/sluice/internal/config"
	"github.com/sluicelogs/sluice/internal/keystore"
	"github.com/sluicelogs/sluice/pipelines"
)

// DefaultConfigPath is where `sluice agent` looks for its configuration.
const DefaultConfigPath = "/etc/sluice/agent.yml"

// Config is agent.yml. Its keys follow filebeat.yml (filestream inputs and
// the Kafka output) so that an existing configuration carries over with
// few changes.
type Config struct {
	Name     string        `yaml:"name"` // agent.name; the host name when empty
	Inputs   []InputConfig `yaml:"inputs"`
	Output   OutputConfig  `yaml:"output"`
	Queue    QueueConfig   `yaml:"queue"`
	Registry struct {
		Path string `yaml:"path"` // folder holding the registry file
		// Flush is how long an acknowledged offset may wait to be written
		// (Filebeat's registry.flush, default 1s); 0: after each
		// acknowledged batch.
		Flush *time.Duration `yaml:"flush,omitempty"`
	} `yaml:"registry"`

	// The dotted spellings filebeat.yml users write ("output.kafka:",
	// "queue.mem.events: 4096"), folded into the fields above (so empty
	// when a Config is written out).
	DottedOutputKafka   *KafkaConfig   `yaml:"output.kafka,omitempty"`
	DottedQueueMem      *QueueMem      `yaml:"queue.mem,omitempty"`
	DottedQueueEvents   int            `yaml:"queue.mem.events,omitempty"`
	DottedQueueDisk     *QueueDisk     `yaml:"queue.disk,omitempty"`
	DottedRegistryPath  string         `yaml:"registry.path,omitempty"`
	DottedRegistryFlush *time.Duration `yaml:"registry.flush,omitempty"`

	// keystore.path: the keystore (internal/keystore) that ${NAME}
	// references are looked up in before the environment.
	keystore.Config `yaml:",inline"`

	file  string     // the file the config was read from, for errors
	lines *yaml.Node // its node tree, to locate keys in Validate's errors
}

// InputConfig is one entry of inputs:.
type InputConfig struct {
	ID              string         `yaml:"id"`
	Type            string         `yaml:"type"` // filestream (the default; "log" is taken as it), container, syslog or journald
	Enabled         *bool          `yaml:"enabled"`
	Paths           []string       `yaml:"paths"`
	ExcludeFiles    []string       `yaml:"exclude_files"`
	IncludeLines    []string       `yaml:"include_lines"`
	ExcludeLines    []string       `yaml:"exclude_lines"`
	Fields          map[string]any `yaml:"fields"`
	FieldsUnderRoot bool           `yaml:"fields_under_root"`
	Tags            []string       `yaml:"tags"`
	IgnoreOlder     time.Duration  `yaml:"ignore_older"`
	CloseInactive   time.Duration  `yaml:"close_inactive"`
	CleanRemoved    *bool          `yaml:"clean_removed"`  // forget files no longer found (default true)
	CleanInactive   time.Duration  `yaml:"clean_inactive"` // forget files not updated for this long (0: never)
	ScanFrequency   time.Duration  `yaml:"scan_frequency"`
	HarvesterLimit  int            `yaml:"harvester_limit"`
	MaxBytes        int            `yaml:"max_bytes"`
	Backoff         struct {
		Init time.Duration `yaml:"init"`
		Max  time.Duration `yaml:"max"`
	} `yaml:"backoff"`
	Parsers []ParserConfig `yaml:"parsers"`
	Stream  string         `yaml:"stream"` // type: container: stdout, stderr or all
	// format: type container: auto, docker or cri; type syslog: rfc3164,
	// rfc5424 or auto.
	Format string `yaml:"format"`

	// type: syslog (netconfig.go)
	Timezone string `yaml:"timezone"` // of RFC 3164 timestamps
	Protocol struct {
		UDP *NetConfig `yaml:"udp"`
		TCP *NetConfig `yaml:"tcp"`
	} `yaml:"protocol"`
	DottedUDP *NetConfig `yaml:"protocol.udp,omitempty"`
	DottedTCP *NetConfig `yaml:"protocol.tcp,omitempty"`
	format    syslog.Format
	location  *time.Location

	// file_identity and prospector.scanner.fingerprint (identity_config.go).
	IdentityConfig `yaml:",inline"`

	// The keys of a journald input (journald_config.go).
	JournaldConfig `yaml:",inline"`

	includeLines, excludeLines, excludeFiles []*regexp.Regexp
}

// ParserConfig is one entry of an input's parsers: exactly one of its
// fields is set.
type ParserConfig struct {
	Multiline *MultilineConfig `yaml:"multiline"`
	NDJSON    *NDJSONConfig    `yaml:"ndjson"`
	Container *ContainerConfig `yaml:"container"`
}

// MultilineConfig joins lines into one event (type: pattern).
type MultilineConfig struct {
	Type     string        `yaml:"type"` // only "pattern"
	Pattern  string        `yaml:"pattern"`
	Negate   bool          `yaml:"negate"`
	Match    string        `yaml:"match"` // after | before
	MaxLines int           `yaml:"max_lines"`
	Timeout  time.Duration `yaml:"timeout"`

	re *regexp.Regexp
}

// NDJSONConfig decodes each line as a JSON object.
type NDJSONConfig struct {
	Target        string `yaml:"target"`      // key holding the object; "" puts its keys at the root
	MessageKey    string `yaml:"message_key"` // key whose value becomes message
	OverwriteKeys bool   `yaml:"overwrite_keys"`
	AddErrorKey   bool   `yaml:"add_error_key"`
}

// OutputConfig is output:. Only kafka is supported.
type OutputConfig struct {
	Kafka *KafkaConfig `yaml:"kafka"`
}

// KafkaConfig is output.kafka.
type KafkaConfig struct {
	Hosts           []string      `yaml:"hosts"`
	Topic           string        `yaml:"topic"`
	Key             string        `yaml:"key"`
	Partition       string        `yaml:"partition"` // hash | round_robin
	RequiredAcks    *int          `yaml:"required_acks"`
	Compression     string        `yaml:"compression"`
	MaxMessageBytes int           `yaml:"max_message_bytes"`
	BulkMaxSize     int           `yaml:"bulk_max_size"`
	Timeout         time.Duration `yaml:"timeout"`
	ClientID        string        `yaml:"client_id"`
	Backoff         struct {
		Init time.Duration `yaml:"init"`
		Max  time.Duration `yaml:"max"`
	} `yaml:"backoff"`
	// ssl.*, username, password, sasl.mechanism: TLS and SASL as
	// Filebeat's Kafka output.
	clientsec.Kafka `yaml:",inline"`

	topic, key *pipelines.Format
}

// QueueConfig is queue:.
type QueueConfig struct {
	Mem  QueueMem  `yaml:"mem"`
	Disk QueueDisk `yaml:"disk"`
}

// QueueMem is queue.mem: the producer buffers at most Events events.
type QueueMem struct {
	Events int `yaml:"events"`
}

// LoadConfig reads, defaults and validates the agent.yml at path,
// expanding its ${NAME} and ${NAME:default} references from the keystore
// (keystore.path) and the environment. Errors name the file, the line and
// the key.
func LoadConfig(path string) (*Config, error) {
	text, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return ParseConfig(path, text)
}

// ParseConfig is LoadConfig for text already read; file names it in errors.
func ParseConfig(file string, text []byte) (*Config, error) {
	text, err := keystore.ExpandConfig(file, text, os.LookupEnv)
	if err != nil {
		return nil, err
	}
	c := &Config{}
	if err := config.DecodeYAML(file, text, c); err != nil {
		return nil, err
	}
	if err := c.finish(file, text); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Config) finish(file string, text []byte) error {
	c.file = file
	var root yaml.Node
	if yaml.Unmarshal(text, &root) == nil {
		c.lines = &root
	}
	if err := c.foldDotted(); err != nil {
		return err
	}
	c.SetDefaults()
	return c.Validate()
}

// SetDefaults gives every unset field of c, and of each of its inputs,
// its default (LoadConfig does it after reading the file). A Config built
// in code calls it, then Validate.
func (c *Config) SetDefaults() {
	for i := range c.Inputs {
		in := &c.Inputs[i]
		def(&in.Type, "filestream")
		if in.Type == inputSyslog {
			in.netDefaults()
		}
		defDur(&in.CloseInactive, 5*time.Minute)
		if in.CleanRemoved == nil {
			yes := true
			in.CleanRemoved = &yes
		}
		defDur(&in.ScanFrequency, 10*time.Second)
		defDur(&in.Backoff.Init, 100*time.Millisecond)
		defDur(&in.Backoff.Max, 2*time.Second)
		if in.MaxBytes == 0 {
			in.MaxBytes = 10 << 20
		}
		containerDefaults(in)
		in.setIdentityDefaults()
		if in.Type == inputJournald {
			in.journaldDefaults()
		}
		for _, p := range in.Parsers {
			if m := p.Multiline; m != nil {
				def(&m.Type, "pattern")
				def(&m.Match, "after")
				if m.MaxLines == 0 {
					m.MaxLines = 500
				}
				defDur(&m.Timeout, 5*time.Second)
			}
		}
	}
	if k := c.Output.Kafka; k != nil {
		def(&k.Topic, "")
		def(&k.Partition, "hash")
		if k.RequiredAcks == nil {
			all := -1
			k.RequiredAcks = &all
		}
		def(&k.Compression, "zstd")
		if k.MaxMessageBytes == 0 {
			k.MaxMessageBytes = 1000000
		}
		if k.BulkMaxSize == 0 {
			k.BulkMaxSize = 2048
		}
		defDur(&k.Timeout, 30*time.Second)
		def(&k.ClientID, "sluice-agent")
		defDur(&k.Backoff.Init, 250*time.Millisecond)
		defDur(&k.Backoff.Max, 5*time.Second)
	}
	if c.Queue.Mem.Events == 0 {
		c.Queue.Mem.Events = 4096
	}
	def(&c.Registry.Path, "/var/lib/sluice/agent")
	if c.Registry.Flush == nil {
		d := DefaultRegistryFlush
		c.Registry.Flush = &d
	}
}

// DefaultRegistryFlush is registry.flush's default: Filebeat's since 8.x,
// whose registry was written after each acknowledged batch before (0s).
// A kill -9 sends again at most what was acknowledged in the last second;
// those events keep their ids, so the indexer writes each once.
const DefaultRegistryFlush = time.Second

// Validate checks the values that decoding cannot, compiling the regexps
// and format strings. Every error names the key and, when the config came
// from a file, its line.
func (c *Config) Validate() error {
	var errs config.Errors
	bad := func(key string, format string, args ...any) {
		errs = append(errs, &config.Error{File: c.file, Line: c.lineOf(key), Key: key, Err: fmt.Errorf(format, args...)})
	}
	if len(c.Inputs) == 0 {
		bad("inputs", "at least one input is required")
	}
	ids := map[string]bool{}
	for i := range c.Inputs {
		in := &c.Inputs[i]
		p := fmt.Sprintf("inputs[%d]", i)
		if in.ID == "" {
			bad(p+".id", "required (it keys the input's files in the registry)")
		} else if ids[in.ID] {
			bad(p+".id", "%q is used by another input", in.ID)
		}
		ids[in.ID] = true
		switch in.Type {
		case "filestream", "log", inputContainer:
			validateContainer(in, p, bad)
		case inputSyslog:
			in.validateNet(p, bad)
		case inputJournald:
			in.validateJournald(p, bad)
		default:
			bad(p+".type", "%q: want filestream, log, container, syslog or journald", in.Type)
		}
		if len(in.Paths) == 0 && in.Type != inputSyslog && in.Type != inputJournald {
			bad(p+".paths", "at least one path or glob is required")
		}
		if in.Type != inputJournald {
			for _, k := range in.journaldKeys() {
				bad(p+"."+k, "only for a journald input (type: journald)")
			}
		}
		for j, g := range in.Paths {
			if _, err := globMatch(g, ""); err != nil {
				bad(fmt.Sprintf("%s.paths[%d]", p, j), "%q: %v", g, err)
			}
		}
		compile := func(key string, srcs []string) []*regexp.Regexp {
			var out []*regexp.Regexp
			for j, s := range srcs {
				re, err := regexp.Compile(s)
				if err != nil {
					bad(fmt.Sprintf("%s.%s[%d]", p, key, j), "%v", err)
					continue
				}
				out = append(out, re)
			}
			return out
		}
		in.includeLines = compile("include_lines", in.IncludeLines)
		in.excludeLines = compile("exclude_lines", in.ExcludeLines)
		in.excludeFiles = compile("exclude_files", in.ExcludeFiles)
		if in.MaxBytes < 0 {
			bad(p+".max_bytes", "must be positive")
		}
		in.validateIdentity(p, bad)
		if in.HarvesterLimit < 0 {
			bad(p+".harvester_limit", "must be 0 (no limit) or positive")
		}
		for _, d := range []struct {
			key string
			v   time.Duration
		}{{"ignore_older", in.IgnoreOlder}, {"close_inactive", in.CloseInactive}, {"scan_frequency", in.ScanFrequency}, {"clean_inactive", in.CleanInactive}} {
			if d.v < 0 {
				bad(p+"."+d.key, "must not be negative")
			}
		}
		// As in Filebeat: a file forgotten while it could still be picked
		// up again would be read again from its start.
		if in.CleanInactive > 0 && (in.IgnoreOlder == 0 || in.CleanInactive <= in.IgnoreOlder+in.ScanFrequency) {
			bad(p+".clean_inactive", "%v: must be greater than ignore_older + scan_frequency (%v + %v), and ignore_older must be set",
				in.CleanInactive, in.IgnoreOlder, in.ScanFrequency)
		}
		for j, pc := range in.Parsers {
			pp := in.parserKey(p, j)
			switch {
			case (pc.Multiline != nil) && (pc.NDJSON != nil || pc.Container != nil) || pc.NDJSON != nil && pc.Container != nil:
				bad(pp, "one parser per list item: multiline, ndjson or container")
			case pc.Multiline != nil:
				m := pc.Multiline
				if m.Type != "pattern" {
					bad(pp+".multiline.type", "%q: only pattern is supported", m.Type)
				}
				if m.Pattern == "" {
					bad(pp+".multiline.pattern", "required")
				} else if re, err := regexp.Compile(m.Pattern); err != nil {
					bad(pp+".multiline.pattern", "%v", err)
				} else {
					m.re = re
				}
				if m.Match != "after" && m.Match != "before" {
					bad(pp+".multiline.match", "%q: want after or before", m.Match)
				}
				if m.MaxLines < 1 {
					bad(pp+".multiline.max_lines", "must be positive")
				}
			case pc.NDJSON != nil, pc.Container != nil: // container: validateContainer
			default:
				bad(pp, "empty parser: want multiline, ndjson or container")
			}
		}
	}
	k := c.Output.Kafka
	if k == nil {
		bad("output", "output.kafka is required")
	} else {
		if len(k.Hosts) == 0 {
			bad("output.kafka.hosts", "at least one broker host:port is required")
		}
		if k.Topic == "" {
			bad("output.kafka.topic", "required")
		} else if f, err := pipelines.ParseFormat(k.Topic); err != nil {
			bad("output.kafka.topic", "%v", err)
		} else {
			k.topic = f
		}
		if k.Key != "" {
			if f, err := pipelines.ParseFormat(k.Key); err != nil {
				bad("output.kafka.key", "%v", err)
			} else {
				k.key = f
			}
		}
		if k.Partition != "hash" && k.Partition != "round_robin" {
			bad("output.kafka.partition", "%q: want hash or round_robin", k.Partition)
		}
		if a := *k.RequiredAcks; a != -1 && a != 0 && a != 1 {
			bad("output.kafka.required_acks", "%d: want -1 (all), 0 or 1", a)
		}
		switch k.Compression {
		case "none", "gzip", "snappy", "lz4", "zstd":
		default:
			bad("output.kafka.compression", "%q: want none, gzip, snappy, lz4 or zstd", k.Compression)
		}
		if k.MaxMessageBytes < 1024 {
			bad("output.kafka.max_message_bytes", "%d: must be at least 1024", k.MaxMessageBytes)
		}
		if k.BulkMaxSize < 1 {
			bad("output.kafka.bulk_max_size", "must be positive")
		}
		var sec config.Errors
		k.Kafka.Validate("output.kafka.", &sec)
		for _, e := range sec {
			bad(e.Key, "%w", e.Err)
		}
	}
	if c.Queue.Mem.Events < 1 {
		bad("queue.mem.events", "must be positive")
	}
	if c.Registry.Flush != nil && *c.Registry.Flush < 0 {
		bad("registry.flush", "must not be negative")
	}
	return errs.Err()
}

// lineOf returns the line of the dotted key (with [i] list indexes) in the
// config file, or of its nearest ancestor that is there; 0 when unknown.
func (c *Config) lineOf(key string) int {
	if l := config.LineOf(c.lines, key); l > 0 {
		return l
	}
	if c.lines != nil && len(c.lines.Content) > 0 {
		return c.lines.Content[0].Line // a key not in the file: its top
	}
	return 0
}

// foldDotted moves the dotted spellings into the nested fields.
func (c *Config) foldDotted() error {
	var errs config.Errors
	twice := func(key string) {
		errs = append(errs, &config.Error{File: c.file, Line: c.lineOf(key), Key: key, Err: fmt.Errorf("given twice (dotted and nested)")})
	}
	if c.DottedOutputKafka != nil {
		if c.Output.Kafka != nil {
			twice("output.kafka")
		}
		c.Output.Kafka = c.DottedOutputKafka
	}
	if c.DottedQueueMem != nil {
		c.Queue.Mem = *c.DottedQueueMem
	}
	if c.DottedQueueEvents != 0 {
		if c.Queue.Mem.Events != 0 {
			twice("queue.mem.events")
		}
		c.Queue.Mem.Events = c.DottedQueueEvents
	}
	if c.DottedQueueDisk != nil {
		c.Queue.Disk = *c.DottedQueueDisk
	}
	for i := range c.Inputs {
		in := &c.Inputs[i]
		p := fmt.Sprintf("inputs[%d].", i)
		if in.DottedUDP != nil {
			if in.Protocol.UDP != nil {
				twice(p + "protocol.udp")
			}
			in.Protocol.UDP, in.DottedUDP = in.DottedUDP, nil
		}
		if in.DottedTCP != nil {
			if in.Protocol.TCP != nil {
				twice(p + "protocol.tcp")
			}
			in.Protocol.TCP, in.DottedTCP = in.DottedTCP, nil
		}
	}
	if c.DottedRegistryPath != "" {
		c.Registry.Path = c.DottedRegistryPath
	}
	if c.DottedRegistryFlush != nil {
		c.Registry.Flush, c.DottedRegistryFlush = c.DottedRegistryFlush, nil
	}
	return errs.Err()
}

func def(s *string, v string) {
	if *s == "" {
		*s = v
	}
}

func defDur(d *time.Duration, v time.Duration) {
	if *d == 0 {
		*d = v
	}
}
