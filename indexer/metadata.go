package indexer

import (
	"fmt"

	"github.com/sluicelogs/sluice/pipelines"
)

// takeMetadata removes from ev the _index and _id its pipeline set
// (pipelines.IndexField, IDField: Elasticsearch refuses them inside a
// document) and returns them, "" for those not set. They must be
// non-empty strings; anything else is the event's failure (it goes to
// the dead-letter topic), as an ingest node fails such a document.
func takeMetadata(ev pipelines.Event) (index, id string, err error) {
	for _, m := range []struct {
		key string
		to  *string
	}{{pipelines.IndexField, &index}, {pipelines.IDField, &id}} {
		v, ok := ev[m.key]
		if !ok {
			continue
		}
		delete(ev, m.key)
		s, isStr := v.(string)
		if !isStr || s == "" {
			return "", "", fmt.Errorf("the pipeline set %s to %#v: want a non-empty string", m.key, v)
		}
		*m.to = s
	}
	return index, id, nil
}
