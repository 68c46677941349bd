package indexer

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/elastic/go-elasticsearch/v8/esapi"
)

// templatePriority is above the priority (100) of Elasticsearch's built-in
// "logs" template, whose pattern logs-*-* would otherwise turn our indices
// into data streams, which refuse the index action with our ids. Each
// template adds its prefix's length, so that of two overlapping patterns
// (logs-* and logs-nginx-*) the longer wins instead of both being refused.
const templatePriority = 200

// keywordFields are the ECS fields mapped as keyword.
var keywordFields = []string{
	"agent.id", "agent.name", "agent.type", "agent.version", "agent.hostname",
	"host.name", "host.hostname", "log.file.path", "log.level", "log.logger",
	"service.name", "event.dataset", "event.module", "event.kind", "event.outcome", "event.category",
	"http.request.method", "http.request.referrer", "http.version", "url.original", "url.path", "url.domain",
	"user.name", "source.address", "destination.address", "client.address",
	"user_agent.original", "user_agent.name", "user_agent.version", "user_agent.os.name",
	"user_agent.os.full", "user_agent.os.version", "user_agent.device.name",
	"kafka.topic", "tags", "error.type",
}

// templateBody returns the index template for index patterns.
func templateBody(pattern string, shards, replicas int) ([]byte, error) {
	props := map[string]any{}
	set := func(path string, mapping map[string]any) {
		parts := strings.Split(path, ".")
		m := props
		for _, p := range parts[:len(parts)-1] {
			obj, ok := m[p].(map[string]any)
			if !ok {
				obj = map[string]any{"properties": map[string]any{}}
				m[p] = obj
			}
			m = obj["properties"].(map[string]any)
		}
		m[parts[len(parts)-1]] = mapping
	}
	set("@timestamp", map[string]any{"type": "date"})
	set("message", map[string]any{"type": "text"})
	set("error.message", map[string]any{"type": "text"})
	set("event.original", map[string]any{"type": "keyword", "index": false, "doc_values": false})
	for _, f := range keywordFields {
		set(f, map[string]any{"type": "keyword", "ignore_above": 1024})
	}
	for _, f := range []string{"http.response.status_code", "http.response.body.bytes", "http.request.bytes", "log.offset", "event.duration"} {
		set(f, map[string]any{"type": "long"})
	}
	for _, f := range []string{"source.ip", "destination.ip", "client.ip", "host.ip"} {
		set(f, map[string]any{"type": "ip"})
	}
	return json.Marshal(map[string]any{
		"index_patterns": []string{pattern},
		"priority":       templatePriority + len(pattern),
		"_meta":          map[string]any{"managed_by": "sluice indexer"},
		"template": map[string]any{
			"settings": map[string]any{"number_of_shards": shards, "number_of_replicas": replicas},
			"mappings": map[string]any{
				"dynamic_templates": []any{map[string]any{"strings_as_keyword": map[string]any{
					"match_mapping_type": "string",
					"mapping":            map[string]any{"type": "keyword", "ignore_above": 1024},
				}}},
				"properties": props,
			},
		},
	})
}

// templatePatterns returns the index patterns of the routes: each index's
// literal prefix followed by *.
func templatePatterns(names []*indexName) []string {
	seen := map[string]bool{}
	var out []string
	for _, n := range names {
		p := n.prefix()
		if p == "" || seen[p] {
			continue
		}
		seen[p] = true
		if n.Static() { // a fixed name
			out = append(out, p)
			continue
		}
		out = append(out, p+"*")
	}
	sort.Strings(out)
	return out
}

// installTemplates puts one index template per pattern, named
// <template>-<prefix>; it fails when Elasticsearch is unreachable or
// refuses one.
func (ix *Indexer) installTemplates(ctx context.Context) error {
	base := ix.cfg.Elasticsearch.Template
	if base == "-" {
		return nil
	}
	for _, pattern := range templatePatterns(ix.names()) {
		name := base + "-" + strings.Trim(pattern, "-_.*")
		body, err := templateBody(pattern, ix.cfg.Elasticsearch.Shards, ix.cfg.Elasticsearch.Replicas)
		if err != nil {
			return err
		}
		res, err := esapi.IndicesPutIndexTemplateRequest{Name: name, Body: bytes.NewReader(body)}.Do(ctx, ix.es)
		if err != nil {
			return fmt.Errorf("index template %s: %w", name, err)
		}
		msg, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
		res.Body.Close()
		if res.IsError() {
			return fmt.Errorf("index template %s: %s: %s", name, res.Status(), msg)
		}
		ix.log.Info("installed index template", "name", name, "pattern", pattern)
	}
	return nil
}
