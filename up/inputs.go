package up

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/sluicelogs/sluice/agent"
	"github.com/sluicelogs/sluice/indexer"
	"github.com/sluicelogs/sluice/internal/config"
)

// TopicPrefix starts the topic of every input: input nginx ships to
// logs-nginx.
const TopicPrefix = "logs-"

// group is the consumer group of input id's topic.
func group(id string) string { return "sluice-up-" + id }

// parseTail splits a --tail value, "GLOB" or "ID=GLOB", into the input id
// and the glob. Without an ID it is the file name of the glob up to its
// first wildcard or dot, without trailing '-', '_' or '.':
// logs/nginx*.log → nginx, /var/log/syslog → syslog, app-json.log → app-json.
func parseTail(s string) (id, glob string, err error) {
	if i := strings.IndexByte(s, '='); i > 0 && !strings.ContainsAny(s[:i], `/\*?[`) {
		id, glob = s[:i], s[i+1:]
	} else {
		glob = s
		base := filepath.Base(glob)
		if j := strings.IndexAny(base, "*?[."); j >= 0 {
			base = base[:j]
		}
		id = strings.TrimRight(base, "-_.")
	}
	if glob == "" {
		return "", "", errors.New("no glob")
	}
	if _, err := filepath.Match(glob, ""); err != nil {
		return "", "", fmt.Errorf("glob: %w", err)
	}
	if id == "" {
		return "", "", errors.New("cannot name an input after this glob: give ID=GLOB")
	}
	return id, glob, nil
}

// input is one input as sluice up runs it.
type input struct {
	ID       string
	Paths    []string
	Topic    string
	Pipeline string // definition file; "" passes events unchanged
}

// inputs lists the configured inputs: tail: and --tail first, then
// inputs:, each with its topic and pipeline.
func (c *Config) inputs() []input {
	var out []input
	add := func(id string, paths []string) {
		out = append(out, input{ID: id, Paths: paths, Topic: TopicPrefix + id, Pipeline: c.pipelineOf(id)})
	}
	for _, t := range c.Tail {
		id, glob, _ := parseTail(t) // validated
		add(id, []string{glob})
	}
	for _, in := range c.Inputs {
		add(in.ID, in.Paths)
	}
	return out
}

// pipelineOf returns the pipeline file of input id, "" when there is none.
func (c *Config) pipelineOf(id string) string {
	if c.Pipelines == "" {
		return ""
	}
	for _, ext := range []string{".yml", ".yaml"} {
		p := filepath.Join(c.Pipelines, id+ext)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
	}
	return ""
}

// agentConfig builds the agent's configuration: the inputs (tail: and
// --tail, then sluice.yml's inputs:), shipping to the broker at addr, the
// registry in dir. It writes it to dir/agent.yml for people to read, and
// reports its errors at sluice.yml's lines or the --tail flag.
func (c *Config) agentConfig(brokerAddr, dir string) (*agent.Config, error) {
	cfg := &agent.Config{}
	for _, t := range c.Tail {
		id, glob, _ := parseTail(t) // validated
		cfg.Inputs = append(cfg.Inputs, agent.InputConfig{ID: id, Paths: []string{glob}})
	}
	for _, in := range c.Inputs {
		in.Parsers = clonedParsers(in.Parsers) // SetDefaults and Validate write into them
		cfg.Inputs = append(cfg.Inputs, in)
	}
	cfg.Output.Kafka = &agent.KafkaConfig{Hosts: []string{brokerAddr}, Topic: TopicPrefix + "%{[input.id]}"}
	cfg.Registry.Path = dir
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, c.relocate(err)
	}
	body, err := yaml.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("agent config: %w", err)
	}
	text := append([]byte("# Written by sluice up from its flags and sluice.yml at each start; edit those instead.\n"), body...)
	if err := os.WriteFile(filepath.Join(dir, "agent.yml"), text, 0o640); err != nil {
		return nil, fmt.Errorf("agent config: %w", err)
	}
	return cfg, nil
}

// clonedParsers copies an input's parsers, with what they point to.
func clonedParsers(ps []agent.ParserConfig) []agent.ParserConfig {
	if ps == nil {
		return nil
	}
	out := make([]agent.ParserConfig, len(ps))
	for i, p := range ps {
		if p.Multiline != nil {
			m := *p.Multiline
			out[i].Multiline = &m
		}
		if p.NDJSON != nil {
			n := *p.NDJSON
			out[i].NDJSON = &n
		}
	}
	return out
}

// relocate turns the agent's errors about its inputs[i] into errors
// about the tail[i] or inputs[j] they came from.
func (c *Config) relocate(err error) error {
	var list config.Errors
	var one *config.Error
	switch {
	case errors.As(err, &list):
	case errors.As(err, &one):
		list = config.Errors{one}
	default:
		return err
	}
	out := make(config.Errors, 0, len(list))
	for _, e := range list {
		var i int
		var rest string
		if n, _ := fmt.Sscanf(e.Key, "inputs[%d]", &i); n == 1 {
			rest = e.Key[strings.IndexByte(e.Key, ']')+1:]
			if i < len(c.Tail) {
				out = append(out, c.errorAt(fmt.Sprintf("tail[%d]", i), fmt.Errorf("%s: %w", strings.TrimPrefix(rest, "."), e.Err)))
			} else {
				out = append(out, c.errorAt(fmt.Sprintf("inputs[%d]%s", i-len(c.Tail), rest), e.Err))
			}
			continue
		}
		out = append(out, e)
	}
	return out
}

// indexerConfig routes each input's topic through its pipeline into the
// index.
func (c *Config) indexerConfig(brokerAddr string) indexer.Config {
	cfg := indexer.Defaults()
	cfg.Kafka.Hosts = []string{brokerAddr}
	cfg.Kafka.Group = "sluice-up"
	cfg.Kafka.SessionTimeout = 10 * time.Second
	cfg.Elasticsearch.Hosts = c.Elasticsearch.Hosts
	cfg.Elasticsearch.Username = c.Elasticsearch.Username
	cfg.Elasticsearch.Password = c.Elasticsearch.Password
	cfg.Elasticsearch.Replicas = c.Elasticsearch.Replicas
	cfg.ShutdownTimeout = max(c.ShutdownTimeout, 5*time.Second)
	for _, in := range c.inputs() {
		cfg.Routes = append(cfg.Routes, indexer.Route{
			Topics: []string{in.Topic}, Group: group(in.ID), Pipeline: in.Pipeline, Index: c.Elasticsearch.Index,
		})
	}
	return cfg
}
