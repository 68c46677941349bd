package indexer

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/sluicelogs/sluice/internal/clientsec"
	"github.com/sluicelogs/sluice/internal/config"
	"github.com/sluicelogs/sluice/internal/keystore"
	"github.com/sluicelogs/sluice/pipelines"
)

// Config is an indexer.yml.
type Config struct {
	Kafka           KafkaConfig         `yaml:"kafka"`
	Elasticsearch   ElasticsearchConfig `yaml:"elasticsearch"`
	DeadLetterTopic string              `yaml:"dead_letter_topic"`
	Routes          []Route             `yaml:"routes"`

	// DeadLetterMaxBytes bounds a dead letter (key and value): a larger
	// one is cut to fit, and cut further while the broker refuses it as
	// too large (its message.max.bytes is smaller).
	DeadLetterMaxBytes int `yaml:"dead_letter_max_bytes"`
	// DeadLetterTimeout bounds the delivery of a chunk's dead letters,
	// retries included; those not acknowledged by then are given up on
	// (logged and counted) so that the records behind them are committed.
	DeadLetterTimeout time.Duration `yaml:"dead_letter_timeout"`
	// PipelineTimeout is the time budget of one event in its route's
	// pipeline; an event over it goes to the dead-letter topic. 0: none.
	PipelineTimeout time.Duration `yaml:"pipeline_timeout"`
	// GrokMaxBytes is the longest field a grok processor matches (a
	// longer one fails it), and UserAgentMaxBytes how much of a user agent
	// a user_agent processor parses, for the processors of every route's
	// pipeline that do not set their own max_bytes (pipelines.Options).
	GrokMaxBytes      int `yaml:"grok_max_bytes"`
	UserAgentMaxBytes int `yaml:"user_agent_max_bytes"`
	// GeoIPDatabaseDirectory is where the geoip processors of every
	// route's pipeline find their MaxMind DB files (database_file names a
	// file in it), relative to this file; "" means ingest-geoip beside
	// each pipeline definition. Each file is read once at start and
	// shared by all routes; sluice never downloads or reloads one.
	GeoIPDatabaseDirectory string `yaml:"geoip_database_directory"`

	// keystore.path: the keystore (internal/keystore) that ${NAME}
	// references are looked up in before the environment.
	keystore.Config `yaml:",inline"`

	// MaxPollRecords bounds one batch: the records fetched, indexed and
	// committed together.
	MaxPollRecords int `yaml:"max_poll_records"`
	// ShutdownTimeout is how long a stopping indexer keeps trying to
	// finish (index and commit) its current batch.
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
	// MaxBackoff caps the wait between retries of items Elasticsearch
	// refused with 429/5xx or could not be reached for.
	MaxBackoff time.Duration `yaml:"max_backoff"`
}

// KafkaConfig says where to consume from.
type KafkaConfig struct {
	Hosts []string `yaml:"hosts"`
	Group string   `yaml:"group"`
	// SessionTimeout is how long the group waits for a member that
	// stopped heartbeating (a killed indexer) before giving its
	// partitions to the others.
	SessionTimeout time.Duration `yaml:"session_timeout"`
	// ssl.*, username, password, sasl.mechanism: TLS and SASL, the keys
	// of the agent's output.kafka (Filebeat's).
	clientsec.Kafka `yaml:",inline"`
}

// ElasticsearchConfig says where to index.
type ElasticsearchConfig struct {
	Hosts    []string `yaml:"hosts"`
	Username string   `yaml:"username"`
	Password string   `yaml:"password"`
	// APIKey is "id:api_key" as Filebeat's and Logstash's api_key: sent
	// as Authorization: ApiKey base64(id:api_key), instead of a username.
	APIKey string `yaml:"api_key"`
	// SSL is Filebeat's ssl.* keys: CAs trusted, client certificate,
	// verification_mode (TLS is used for https:// hosts).
	SSL                 clientsec.SSL `yaml:"ssl"`
	clientsec.DottedSSL `yaml:",inline"`
	// Template names the index templates installed at start, one per
	// route index prefix: <template>-<prefix>; "-" installs none.
	Template string `yaml:"template"`
	// Shards and Replicas go into the template's settings.
	Shards   int `yaml:"shards"`
	Replicas int `yaml:"replicas"`
	// Workers is the number of concurrent bulk requests; FlushBytes the
	// size of each.
	Workers    int `yaml:"workers"`
	FlushBytes int `yaml:"flush_bytes"`
	// FlushInterval sends a bulk request smaller than FlushBytes after
	// this long without one; the indexer also flushes as soon as it has
	// caught up with a partition's end.
	FlushInterval time.Duration `yaml:"flush_interval"`
}

// Route sends topics through a pipeline into an index.
type Route struct {
	Topics []string `yaml:"topics"`
	// Group is this route's consumer group; by default kafka.group with one
	// route, kafka.group + "-" + the topics joined by "," with several.
	Group    string `yaml:"group"`
	Pipeline string `yaml:"pipeline"` // a definition file; "" leaves events unchanged
	Index    string `yaml:"index"`    // with %{+yyyy.MM.dd} and %{[field]}
	// DataStream, instead of Index, writes to a data stream with op_type
	// create (datastream.go).
	DataStream *DataStream `yaml:"data_stream"`
}

// Defaults returns a Config with every default set.
func Defaults() Config {
	return Config{
		Kafka:              KafkaConfig{Hosts: []string{"127.0.0.1:9092"}, Group: "sluice-indexer", SessionTimeout: 45 * time.Second},
		Elasticsearch:      ElasticsearchConfig{Hosts: []string{"http://127.0.0.1:9200"}, Template: "sluice", Shards: 1, Replicas: 1, Workers: 2, FlushBytes: 5 << 20, FlushInterval: time.Second},
		DeadLetterTopic:    "sluice-dlq",
		DeadLetterMaxBytes: 1000000,
		DeadLetterTimeout:  time.Minute,
		PipelineTimeout:    time.Second,
		GrokMaxBytes:       pipelines.DefaultGrokMaxBytes,
		UserAgentMaxBytes:  pipelines.DefaultUserAgentMaxBytes,
		MaxPollRecords:     10000,
		ShutdownTimeout:    30 * time.Second,
		MaxBackoff:         5 * time.Second,
	}
}

// LoadConfig reads an indexer.yml over the defaults and validates it.
// Pipeline paths are resolved relative to the file's folder.
// ${NAME} and ${NAME:default} references are expanded from the keystore
// (keystore.path) and the environment.
func LoadConfig(path string) (Config, error) {
	cfg := Defaults()
	text, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	if text, err = keystore.ExpandConfig(path, text, os.LookupEnv); err != nil {
		return Config{}, err
	}
	if err := config.DecodeYAML(path, text, &cfg); err != nil {
		return Config{}, err
	}
	var root yaml.Node
	_ = yaml.Unmarshal(text, &root) // it decoded above, so it parses
	if err := cfg.validate(path, &root); err != nil {
		return Config{}, err
	}
	dir := filepath.Dir(path)
	if d := cfg.GeoIPDatabaseDirectory; d != "" && !filepath.IsAbs(d) {
		cfg.GeoIPDatabaseDirectory = filepath.Join(dir, d)
	}
	for i := range cfg.Routes {
		if p := cfg.Routes[i].Pipeline; p != "" && !filepath.IsAbs(p) {
			cfg.Routes[i].Pipeline = filepath.Join(dir, p)
		}
	}
	return cfg, nil
}

// Validate checks a Config built in code.
func (c *Config) Validate() error { return c.validate("", nil) }

// validate checks c and fills in the routes' groups; root, when not nil,
// is the parsed file, for the line of each error.
func (c *Config) validate(file string, root *yaml.Node) error {
	var errs config.Errors
	bad := func(key, msg string, args ...any) {
		errs = append(errs, &config.Error{File: file, Line: lineOf(root, key), Key: key, Err: fmt.Errorf(msg, args...)})
	}
	if len(c.Kafka.Hosts) == 0 {
		bad("kafka.hosts", "at least one broker is needed")
	}
	if c.Kafka.Group == "" {
		bad("kafka.group", "must not be empty")
	}
	if c.Kafka.SessionTimeout < time.Second {
		bad("kafka.session_timeout", "must be at least 1s")
	}
	if len(c.Elasticsearch.Hosts) == 0 {
		bad("elasticsearch.hosts", "at least one URL is needed")
	}
	var sec config.Errors
	c.Kafka.Kafka.Validate("kafka.", &sec)
	es := &c.Elasticsearch
	es.DottedSSL.Fold(&es.SSL, "elasticsearch.", &sec)
	es.SSL.Validate("elasticsearch.", &sec)
	for _, e := range sec {
		bad(e.Key, "%w", e.Err)
	}
	if es.APIKey != "" {
		if id, key, ok := strings.Cut(es.APIKey, ":"); !ok || id == "" || key == "" {
			bad("elasticsearch.api_key", "want id:api_key (the id and api_key fields of the create API key answer)")
		}
		if es.Username != "" || es.Password != "" {
			bad("elasticsearch.api_key", "set either api_key or username and password, not both")
		}
	}
	for i, h := range es.Hosts {
		if u, err := url.Parse(h); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad(fmt.Sprintf("elasticsearch.hosts[%d]", i), "%q: want http://host:port or https://host:port", clientsec.RedactURL(h))
		}
	}
	if c.Elasticsearch.Workers < 1 {
		bad("elasticsearch.workers", "must be at least 1")
	}
	if c.Elasticsearch.FlushBytes < 1 {
		bad("elasticsearch.flush_bytes", "must be at least 1")
	}
	if c.Elasticsearch.FlushInterval <= 0 {
		bad("elasticsearch.flush_interval", "must be positive")
	}
	if c.DeadLetterTopic == "" {
		bad("dead_letter_topic", "must not be empty: rejected events go there")
	}
	if c.DeadLetterMaxBytes < minLetterBytes || c.DeadLetterMaxBytes > 1<<30 {
		bad("dead_letter_max_bytes", "must be from %d to %d", minLetterBytes, 1<<30)
	}
	if c.DeadLetterTimeout < time.Second {
		bad("dead_letter_timeout", "must be at least 1s (franz-go's least record timeout)")
	}
	if c.PipelineTimeout < 0 {
		bad("pipeline_timeout", "must not be negative (0: no budget)")
	}
	if c.GrokMaxBytes < 1 {
		bad("grok_max_bytes", "must be at least 1")
	}
	if c.UserAgentMaxBytes < 1 {
		bad("user_agent_max_bytes", "must be at least 1")
	}
	if c.Elasticsearch.Template == "" {
		c.Elasticsearch.Template = "sluice"
	}
	if c.MaxPollRecords < 1 {
		bad("max_poll_records", "must be at least 1")
	}
	if len(c.Routes) == 0 {
		bad("routes", "at least one route is needed")
	}
	groups := map[string]int{}
	for i := range c.Routes {
		r := &c.Routes[i]
		key := fmt.Sprintf("routes[%d]", i)
		if len(r.Topics) == 0 {
			bad(key+".topics", "at least one topic is needed")
		}
		switch {
		case r.DataStream != nil && r.Index != "":
			bad(key+".index", "set either index or data_stream, not both")
		case r.DataStream != nil:
			r.DataStream.fill()
			r.DataStream.validate(key+".data_stream.", bad)
		case r.Index == "":
			bad(key+".index", "must not be empty (or set data_stream)")
		default:
			if _, err := parseIndexName(r.Index); err != nil {
				bad(key+".index", "%v", err)
			}
		}
		if r.Group == "" {
			r.Group = c.Kafka.Group
			if len(c.Routes) > 1 {
				r.Group += "-" + strings.Join(r.Topics, ",")
			}
		}
		if j, dup := groups[r.Group]; dup {
			bad(key+".group", "consumer group %q is also routes[%d]'s", r.Group, j)
		}
		groups[r.Group] = i
	}
	c.checkTemplateOverlap(bad)
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// pipelineOptions are the options the routes' pipelines are loaded with:
// give every route the same, so that they share the geoip databases.
func (c *Config) pipelineOptions() pipelines.Options {
	return pipelines.Options{Budget: c.PipelineTimeout, GrokMaxBytes: c.GrokMaxBytes, UserAgentMaxBytes: c.UserAgentMaxBytes,
		GeoIP: pipelines.NewGeoIPDatabases(c.GeoIPDatabaseDirectory)}
}

// lineOf returns the line of the dotted key ("routes[1].index") in the
// parsed file, or of its deepest parent there; 0 when root is nil.
func lineOf(root *yaml.Node, key string) int { return config.LineOf(root, key) }
