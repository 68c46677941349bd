package pipelines

import (
	"encoding/json"
	"math"

	"github.com/sluicelogs/sluice/internal/jsonnum"
)

// formatDouble renders a float64 as text as the ingest node renders a
// Java Double (Double.toString): 2.0, 0.5, 1.0E7, 9.0E-4 (see
// jsonnum.AppendFloat), NaN, Infinity, -Infinity. Templates, convert to
// string and join use it.
func formatDouble(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	var buf [32]byte
	return string(jsonnum.AppendFloat(buf[:0], f))
}

// ForJSON returns v as encoding/json must see it to write what the
// indexer and an ingest node write: every finite float64 in it (in
// objects and lists too) becomes the json.Number of formatDouble (2.0,
// not encoding/json's 2; 1.0E10, not 10000000000). v is not changed;
// objects and lists are copied. `sluice pipeline run` and the definition
// tests' diffs write events through it.
func ForJSON(v any) any {
	switch v := v.(type) {
	case float64:
		if math.IsInf(v, 0) || math.IsNaN(v) {
			return v // encoding/json's error
		}
		return json.Number(formatDouble(v))
	case Event:
		return ForJSON(map[string]any(v))
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, x := range v {
			m[k] = ForJSON(x)
		}
		return m
	case []any:
		l := make([]any, len(v))
		for i, x := range v {
			l[i] = ForJSON(x)
		}
		return l
	}
	return v
}
