package indexer

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/elastic/go-elasticsearch/v8/esapi"
)

// checkTargets looks at the cluster once the templates are in: it logs
// which product and version it is (Elasticsearch or OpenSearch: both
// work), and warns for each data_stream route whose name no data stream
// template covers, since the node would then create a plain index by
// that name (Kibana's Logs would not find it). Nothing here stops the
// indexer: a failed look is logged and skipped. With template "-" the
// indexer leaves the cluster's templates alone and does not look either.
func (ix *Indexer) checkTargets(ctx context.Context) {
	if ix.cfg.Elasticsearch.Template == "-" {
		return
	}
	var info struct {
		Version struct {
			Number       string `json:"number"`
			Distribution string `json:"distribution"`
		} `json:"version"`
	}
	if err := ix.getJSON(ctx, esapi.InfoRequest{}, &info); err != nil {
		ix.log.Warn("cannot read the cluster's version", "err", err)
	} else {
		product := "elasticsearch"
		if info.Version.Distribution != "" {
			product = info.Version.Distribution // "opensearch"
		}
		ix.log.Info("connected", "product", product, "version", info.Version.Number)
	}
	var streams []string
	for _, r := range ix.routes {
		if r.stream != nil {
			streams = append(streams, r.stream.name())
		}
	}
	if len(streams) == 0 {
		return
	}
	var tmpls indexTemplates
	if err := ix.getJSON(ctx, esapi.IndicesGetIndexTemplateRequest{}, &tmpls); err != nil {
		ix.log.Warn("cannot read the index templates to check the data streams' ones", "err", err)
		return
	}
	for _, name := range streams {
		if t, ds := tmpls.winner(name); !ds {
			ix.log.Warn("no data stream template covers this data stream: it would be created as a plain index; "+
				"install one with data_stream: {} (Elasticsearch's built-in logs-*-* comes with x-pack)", "data_stream", name, "template", t)
		}
	}
}

// getJSON sends req and decodes a 2xx answer into v.
func (ix *Indexer) getJSON(ctx context.Context, req esapi.Request, v any) error {
	res, err := req.Do(ctx, ix.es)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.IsError() {
		msg, _ := io.ReadAll(io.LimitReader(res.Body, 1024))
		return fmt.Errorf("%s: %s", res.Status(), msg)
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("%s", res.Status())
	}
	return json.NewDecoder(res.Body).Decode(v)
}

// indexTemplates is GET _index_template's answer.
type indexTemplates struct {
	Templates []struct {
		Name     string `json:"name"`
		Template struct {
			Patterns   []string        `json:"index_patterns"`
			Priority   int64           `json:"priority"`
			DataStream json.RawMessage `json:"data_stream"`
		} `json:"index_template"`
	} `json:"index_templates"`
}

// winner returns the template the node would apply to a new index or
// data stream named name (the matching one of highest priority; "" if
// none) and whether it makes data streams.
func (ts *indexTemplates) winner(name string) (string, bool) {
	best, prio, ds := "", int64(-1), false
	for _, t := range ts.Templates {
		for _, p := range t.Template.Patterns {
			if wildcardMatch(p, name) && t.Template.Priority > prio {
				best, prio = t.Name, t.Template.Priority
				ds = len(t.Template.DataStream) > 0 && string(t.Template.DataStream) != "null"
			}
		}
	}
	return best, ds
}

// wildcardMatch matches an index pattern, in which * stands for any
// text, against name.
func wildcardMatch(pattern, name string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == name
	}
	if !strings.HasPrefix(name, parts[0]) {
		return false
	}
	name = name[len(parts[0]):]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(name, p)
		if i < 0 {
			return false
		}
		name = name[i+len(p):]
	}
	return strings.HasSuffix(name, parts[len(parts)-1])
}
