package indexer

import (
	"fmt"
	"strings"
	"time"

	"github.com/sluicelogs/sluice/pipelines"
)

// indexName is a parsed index pattern such as
// "logs-%{[service]}-%{+yyyy.MM.dd}" (a pipelines.Format): literal text,
// field references and dates of the event's @timestamp (in UTC).
type indexName struct{ *pipelines.Format }

// parseIndexName parses an index pattern.
func parseIndexName(s string) (*indexName, error) {
	f, err := pipelines.ParseFormat(s)
	if err != nil {
		return nil, err
	}
	return &indexName{f}, nil
}

// prefix returns the literal text before the first reference.
func (n *indexName) prefix() string { return n.Prefix() }

// render builds the index name of ev; ts is the time to use when the
// event has no @timestamp it can parse. Field values must be scalars and
// are lowercased, as index names are.
func (n *indexName) render(ev pipelines.Event, ts time.Time) (string, error) {
	lookupPath := func(path []string) (any, bool) { return lookup(ev, strings.Join(path, ".")) }
	return n.Expand(lookupPath, eventTime(ev, ts), func(field string, v any, found bool) (string, error) {
		if !found || v == nil {
			return "", fmt.Errorf("index %%{[%s]}: the event has no such field", field)
		}
		switch v.(type) {
		case map[string]any, []any, pipelines.Event:
			return "", fmt.Errorf("index %%{[%s]}: not a scalar", field)
		}
		return strings.ToLower(fmt.Sprint(v)), nil
	})
}

// eventTime parses the event's @timestamp, falling back to def.
func eventTime(ev pipelines.Event, def time.Time) time.Time {
	if s, ok := ev["@timestamp"].(string); ok {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return t.UTC()
		}
	}
	return def.UTC()
}

// lookup finds a dotted field, also where the event holds the dotted name
// itself as a key.
func lookup(ev map[string]any, path string) (any, bool) {
	if v, ok := ev[path]; ok {
		return v, true
	}
	head, rest, found := strings.Cut(path, ".")
	if !found {
		return nil, false
	}
	sub, ok := ev[head].(map[string]any)
	if !ok {
		if e, ok2 := ev[head].(pipelines.Event); ok2 {
			sub, ok = map[string]any(e), true
		}
	}
	if !ok {
		return nil, false
	}
	return lookup(sub, rest)
}
