package up

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/sluicelogs/sluice/agent"
	"github.com/sluicelogs/sluice/internal/clientsec"
	"github.com/sluicelogs/sluice/internal/config"
	"github.com/sluicelogs/sluice/pipelines"
)

// DefaultConfigFile is the file `sluice up` reads when it is there.
const DefaultConfigFile = "sluice.yml"

// Config is sluice.yml. Every section is optional; the flags of
// `sluice up` override or extend it. Relative paths are relative to the
// working directory, as in filebeat.yml.
type Config struct {
	// Data holds every component's state: coordinator/, broker/, agent/
	// and sluice.log.
	Data        string            `yaml:"data"`
	Coordinator CoordinatorConfig `yaml:"coordinator"`
	Broker      BrokerConfig      `yaml:"broker"`
	// Tail lists globs to tail, each "GLOB" (the input id is the file
	// name up to its first wildcard or dot: nginx*.log → nginx) or
	// "ID=GLOB".
	Tail []string `yaml:"tail"`
	// Inputs are full agent inputs, with the keys of agent.yml (and of
	// filebeat.yml's filestream inputs).
	Inputs []agent.InputConfig `yaml:"inputs"`
	// Pipelines is a folder of pipeline definitions: the events of input
	// ID go through ID.yml (or ID.yaml) when it is there, else unchanged.
	Pipelines     string              `yaml:"pipelines"`
	Elasticsearch ElasticsearchConfig `yaml:"elasticsearch"`
	// Metrics, when set, serves every component's Prometheus metrics on
	// this host:port's /metrics.
	Metrics string `yaml:"metrics"`
	// ShutdownTimeout bounds how long a stopping sluice up waits for the
	// indexer to take in what the agent shipped before it stopped (what
	// is left stays in the broker for the next start).
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`

	file    string            // sluice.yml's path, "" when there is none
	root    *yaml.Node        // its parse tree, for lines and the inputs' text
	origins map[string]string // config key → the flag that set it
}

// CoordinatorConfig is the embedded coordinator (standalone).
type CoordinatorConfig struct {
	Listen   string        `yaml:"listen"`    // client address, ZooKeeper protocol
	TickTime time.Duration `yaml:"tick_time"` // zoo.cfg's tickTime
}

// BrokerConfig is the embedded broker.
type BrokerConfig struct {
	Listen         string `yaml:"listen"`          // Kafka protocol
	Partitions     int    `yaml:"partitions"`      // of each input's topic
	RetentionHours int    `yaml:"retention_hours"` // log.retention.hours; -1 keeps forever
}

// ElasticsearchConfig says where the indexer writes.
type ElasticsearchConfig struct {
	Hosts    []string `yaml:"hosts"`
	Index    string   `yaml:"index"` // with %{+yyyy.MM.dd} and %{[field]}
	Username string   `yaml:"username"`
	Password string   `yaml:"password"`
	Replicas int      `yaml:"replicas"` // of the indices, in the index template
}

// Flags are the command line's values; zero values leave the file's.
type Flags struct {
	Data            string
	Tail            []string // added to the file's
	Pipelines       string
	ES              string
	Index           string
	CoordinatorAddr string
	BrokerAddr      string
}

// Defaults returns the configuration without a file or flags.
func Defaults() Config {
	return Config{
		Data:            "./data",
		Coordinator:     CoordinatorConfig{Listen: "127.0.0.1:2181", TickTime: 2 * time.Second},
		Broker:          BrokerConfig{Listen: "127.0.0.1:9092", Partitions: 1, RetentionHours: 168},
		Elasticsearch:   ElasticsearchConfig{Hosts: []string{"http://127.0.0.1:9200"}, Index: "logs-%{+yyyy.MM.dd}"},
		ShutdownTimeout: 15 * time.Second,
	}
}

// Load reads sluice.yml at path over the defaults ("" or, when optional,
// a missing file: defaults only), applies the flags and validates the
// result. Errors name file:line: key (or the flag).
func Load(path string, optional bool, f Flags) (*Config, error) {
	var text []byte
	if path != "" {
		b, err := os.ReadFile(path)
		switch {
		case err == nil:
			text = b
		case optional && errors.Is(err, fs.ErrNotExist):
			path = ""
		default:
			return nil, fmt.Errorf("config: %w", err)
		}
	}
	return Parse(path, text, f)
}

// Parse is Load for text already read; file names it in errors.
func Parse(file string, text []byte, f Flags) (*Config, error) {
	c := Defaults()
	c.file = file
	if len(text) > 0 {
		if err := config.DecodeYAML(file, text, &c); err != nil {
			return nil, err
		}
		var root yaml.Node
		if err := yaml.Unmarshal(text, &root); err != nil {
			return nil, fmt.Errorf("%s: %w", file, err) // decoded above, so it parses
		}
		c.root = &root
	}
	c.apply(f)
	if err := c.validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// apply sets the flags' values, remembering which key each one set.
func (c *Config) apply(f Flags) {
	c.origins = map[string]string{}
	set := func(dst *string, v, key, flag string) {
		if v != "" {
			*dst = v
			c.origins[key] = flag
		}
	}
	set(&c.Data, f.Data, "data", "--data")
	set(&c.Pipelines, f.Pipelines, "pipelines", "--pipelines")
	set(&c.Elasticsearch.Index, f.Index, "elasticsearch.index", "--index")
	set(&c.Coordinator.Listen, f.CoordinatorAddr, "coordinator.listen", "--coordinator-addr")
	set(&c.Broker.Listen, f.BrokerAddr, "broker.listen", "--broker-addr")
	if f.ES != "" {
		c.Elasticsearch.Hosts = []string{f.ES}
		c.origins["elasticsearch.hosts"] = "--es"
		c.origins["elasticsearch.hosts[0]"] = "--es"
	}
	for _, t := range f.Tail {
		c.origins[fmt.Sprintf("tail[%d]", len(c.Tail))] = "--tail"
		c.Tail = append(c.Tail, t)
	}
}

// errorAt locates an error about key: in sluice.yml with its line, or
// at the flag that set it.
func (c *Config) errorAt(key string, err error) *config.Error {
	if flag, ok := c.origins[key]; ok {
		return &config.Error{File: "flag " + flag, Key: key, Err: err}
	}
	file := c.file
	if file == "" {
		file = "defaults"
	}
	return &config.Error{File: file, Line: config.LineOf(c.root, key), Key: key, Err: err}
}

// validID is what a topic name may hold (Kafka's legal characters); an
// input's topic is logs-<id>.
var validID = regexp.MustCompile(`^[a-zA-Z0-9._-]{1,200}$`)

func (c *Config) validate() error {
	var errs config.Errors
	bad := func(key, format string, args ...any) {
		errs = append(errs, c.errorAt(key, fmt.Errorf(format, args...)))
	}
	if c.Data == "" {
		bad("data", "must not be empty")
	}
	for key, addr := range map[string]string{"coordinator.listen": c.Coordinator.Listen, "broker.listen": c.Broker.Listen} {
		if err := checkAddr(addr); err != nil {
			bad(key, "%q: %v", addr, err)
		}
	}
	if c.Coordinator.TickTime < 10*time.Millisecond {
		bad("coordinator.tick_time", "must be at least 10ms")
	}
	if c.Broker.Partitions < 1 {
		bad("broker.partitions", "must be at least 1")
	}
	if c.Broker.RetentionHours < -1 || c.Broker.RetentionHours == 0 {
		bad("broker.retention_hours", "must be positive, or -1 to keep forever")
	}
	if len(c.Elasticsearch.Hosts) == 0 {
		bad("elasticsearch.hosts", "at least one URL is needed")
	}
	for i, h := range c.Elasticsearch.Hosts {
		if u, err := url.Parse(h); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad(fmt.Sprintf("elasticsearch.hosts[%d]", i), "%q: want http://host:port or https://host:port", clientsec.RedactURL(h))
		}
	}
	if _, err := pipelines.ParseFormat(c.Elasticsearch.Index); err != nil || c.Elasticsearch.Index == "" {
		bad("elasticsearch.index", "%q: not an index name pattern: %v", c.Elasticsearch.Index, err)
	}
	if c.Elasticsearch.Replicas < 0 {
		bad("elasticsearch.replicas", "must not be negative")
	}
	if c.Metrics != "" {
		if err := checkAddr(c.Metrics); err != nil {
			bad("metrics", "%q: %v", c.Metrics, err)
		}
	}
	if c.ShutdownTimeout < 0 {
		bad("shutdown_timeout", "must not be negative")
	}
	if c.Pipelines != "" {
		if st, err := os.Stat(c.Pipelines); err != nil || !st.IsDir() {
			bad("pipelines", "%q is not a folder", c.Pipelines)
		}
	}
	ids := map[string]string{}
	use := func(id, key string) {
		if !validID.MatchString(id) {
			bad(key, "input id %q: use letters, digits, '.', '_' and '-' (it names the topic logs-%s)", id, id)
		} else if other, dup := ids[id]; dup {
			bad(key, "input id %q is also %s's (name it: ID=GLOB)", id, other)
		}
		ids[id] = key
	}
	for i, t := range c.Tail {
		key := fmt.Sprintf("tail[%d]", i)
		id, _, err := parseTail(t)
		if err != nil {
			bad(key, "%q: %v", t, err)
			continue
		}
		use(id, key)
	}
	for i, in := range c.Inputs {
		key := fmt.Sprintf("inputs[%d].id", i)
		if in.ID == "" {
			bad(key, "required (it names the input's topic and pipeline)")
			continue
		}
		use(in.ID, key)
	}
	if len(c.Tail)+len(c.Inputs) == 0 {
		bad("tail", "nothing to read: give --tail GLOB, or tail: or inputs: in %s", DefaultConfigFile)
	}
	return errs.Err()
}

// checkAddr accepts host:port with a port in [0, 65535].
func checkAddr(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("port %q is not a number in [0, 65535]", port)
	}
	return nil
}
