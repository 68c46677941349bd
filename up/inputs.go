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

// agentConfig builds the agent's configuration: the inputs (those of
// sluice.yml with their own text), shipping to the broker at addr, the
// registry in dir. It writes it to dir/agent.yml for people to read, and
// reports its errors at sluice.yml's lines or the --tail flag.
func (c *Config) agentConfig(brokerAddr, dir string) (*agent.Config, error) {
	var inputs []any
	for _, t := range c.Tail {
		id, glob, _ := parseTail(t)
		inputs = append(inputs, map[string]any{"id": id, "paths": []string{glob}})
	}
	if n := c.inputsNode(); n != nil {
		for _, in := range n.Content {
			inputs = append(inputs, in)
		}
	}
	doc := map[string]any{
		"inputs": inputs,
		"output": map[string]any{"kafka": map[string]any{
			"hosts": []string{brokerAddr},
			"topic": TopicPrefix + "%{[input.id]}",
		}},
		"registry": map[string]any{"path": dir},
	}
	body, err := yaml.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("agent config: %w", err)
	}
	text := append([]byte("# Written by sluice up from its flags and sluice.yml at each start; edit those instead.\n"), body...)
	path := filepath.Join(dir, "agent.yml")
	if err := os.WriteFile(path, text, 0o640); err != nil {
		return nil, fmt.Errorf("agent config: %w", err)
	}
	cfg, err := agent.ParseConfig(path, text)
	if err != nil {
		return nil, c.relocate(err)
	}
	return cfg, nil
}

// inputsNode is the inputs: sequence of sluice.yml, nil when there is none.
func (c *Config) inputsNode() *yaml.Node {
	if c.root == nil || len(c.root.Content) == 0 {
		return nil
	}
	m := c.root.Content[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == "inputs" && m.Content[i+1].Kind == yaml.SequenceNode {
			return m.Content[i+1]
		}
	}
	return nil
}

// relocate turns the agent's errors about inputs[i] of the generated
// agent.yml into errors about the tail[i] or inputs[j] they came from.
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
