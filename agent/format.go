package agent

import (
	"fmt"
	"time"

	"github.com/sluicelogs/sluice/pipelines"
)

// resolve expands a topic or key format (pipelines.Format, as Beats writes
// them) for an event: a field the event lacks becomes missing, and its
// name is returned so the caller can say so.
func resolve(f *pipelines.Format, lookup func(path []string) (any, bool), missing string) (out, absent string) {
	out, _ = f.Expand(lookup, time.Now(), func(field string, v any, found bool) (string, error) {
		if !found || v == nil {
			absent = field
			return missing, nil
		}
		return fmt.Sprint(v), nil
	})
	return out, absent
}
