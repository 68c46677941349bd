package indexer

import (
	"fmt"
	"strings"

	"github.com/sluicelogs/sluice/pipelines"
)

// DataStream is a route's data_stream: its events go to the data stream
// <type>-<dataset>-<namespace> with op_type create, as Elastic Agent and
// Filebeat write them, and carry the three as data_stream.type,
// data_stream.dataset and data_stream.namespace, so that Elasticsearch's
// built-in logs-*-* template (priority 100, with x-pack) and Kibana's
// Logs and Discover views find them.
type DataStream struct {
	Type      string `yaml:"type"`      // default logs
	Dataset   string `yaml:"dataset"`   // default generic
	Namespace string `yaml:"namespace"` // default default
}

// name is the data stream's name.
func (d *DataStream) name() string { return d.Type + "-" + d.Dataset + "-" + d.Namespace }

// fill sets the defaults Elastic's agents use.
func (d *DataStream) fill() {
	if d.Type == "" {
		d.Type = "logs"
	}
	if d.Dataset == "" {
		d.Dataset = "generic"
	}
	if d.Namespace == "" {
		d.Namespace = "default"
	}
}

// validate checks the parts against Elastic's naming scheme (and index
// names' rules); bad reports the key under prefix ("routes[0].data_stream.").
func (d *DataStream) validate(prefix string, bad func(key, msg string, args ...any)) {
	for _, p := range []struct{ key, v string }{{"type", d.Type}, {"dataset", d.Dataset}, {"namespace", d.Namespace}} {
		switch {
		case len(p.v) > 100:
			bad(prefix+p.key, "%q: at most 100 bytes", p.v)
		case p.v != strings.ToLower(p.v):
			bad(prefix+p.key, "%q: must be lowercase", p.v)
		case strings.ContainsAny(p.v, `-\/*?"<>|,# :`):
			bad(prefix+p.key, "%q: must not contain '-' (it separates the parts) nor any of \\ / * ? \" < > | , # : or a space", p.v)
		case strings.HasPrefix(p.v, "_") || strings.HasPrefix(p.v, "+") || p.v == "." || p.v == "..":
			bad(prefix+p.key, "%q: not a valid part of an index name", p.v)
		}
	}
}

// stamp sets the event's data_stream fields to d's, keeping the other
// fields of an existing data_stream object.
func (d *DataStream) stamp(ev pipelines.Event) {
	var m map[string]any
	switch v := ev["data_stream"].(type) {
	case map[string]any:
		m = v
	case pipelines.Event:
		m = v
	default:
		m = make(map[string]any, 3)
		ev["data_stream"] = m
	}
	for _, k := range []string{"data_stream.type", "data_stream.dataset", "data_stream.namespace"} {
		delete(ev, k) // a dotted key would contradict the object
	}
	m["type"], m["dataset"], m["namespace"] = d.Type, d.Dataset, d.Namespace
}

// checkTemplateOverlap refuses a configuration in which the index
// template of one route's index would also apply to another route's data
// stream: at priority 200 and up it would win over the data stream
// template, and the stream would be created as a plain index.
func (c *Config) checkTemplateOverlap(bad func(key, msg string, args ...any)) {
	if c.Elasticsearch.Template == "-" {
		return
	}
	for i, r := range c.Routes {
		if r.DataStream == nil {
			continue
		}
		name := r.DataStream.name()
		for j, o := range c.Routes {
			if o.DataStream != nil || o.Index == "" {
				continue
			}
			n, err := parseIndexName(o.Index)
			if err != nil {
				continue
			}
			for _, p := range templatePatterns([]*indexName{n}) {
				if wildcardMatch(p, name) {
					bad(fmt.Sprintf("routes[%d].data_stream", i), "data stream %s would get routes[%d]'s index template (pattern %s) instead of a data stream template: change that index, or set elasticsearch.template: \"-\"", name, j, p)
				}
			}
		}
	}
}
