package pipelines

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// buildBytes compiles bytes: a size with a unit ("1kb", "1.5 MB", "42b")
// becomes its number of bytes, an integer, as Elasticsearch's
// ByteSizeValue reads it (units b, k/kb, m/mb, g/gb, t/tb, p/pb in any
// case, 1024-based; a fraction is cut to whole bytes; "0" and "-1" need
// no unit). A string or each string of a list.
func buildBytes(o *opts, ignoreMissing bool) doFunc {
	field, target := fieldTarget(o, "")
	return func(ev Event, _ *state) error {
		v, ok, err := source(ev, field, ignoreMissing)
		if !ok {
			return err
		}
		out, err := mapStrings(field, v, func(s string) (any, error) {
			n, err := parseByteSize(s)
			if err != nil {
				return nil, fmt.Errorf("field [%s]: %w", field, err)
			}
			return n, nil
		})
		if err != nil {
			return err
		}
		return target.set(ev, out)
	}
}

var byteUnits = []struct {
	suffix string
	mult   int64
}{
	{"kb", 1 << 10}, {"k", 1 << 10}, {"mb", 1 << 20}, {"m", 1 << 20}, {"gb", 1 << 30}, {"g", 1 << 30},
	{"tb", 1 << 40}, {"t", 1 << 40}, {"pb", 1 << 50}, {"p", 1 << 50}, {"b", 1},
}

// parseByteSize reads a size in bytes, written with a unit.
func parseByteSize(s string) (int64, error) {
	norm := strings.TrimSpace(strings.ToLower(s))
	for _, u := range byteUnits {
		num, ok := strings.CutSuffix(norm, u.suffix)
		if !ok {
			continue
		}
		num = strings.TrimSpace(num)
		if n, err := strconv.ParseInt(num, 10, 64); err == nil {
			if n < -1 {
				return 0, fmt.Errorf("[%s]: sizes below -1 bytes are not supported", s)
			}
			if n > 0 && n > math.MaxInt64/u.mult {
				return 0, fmt.Errorf("[%s] is too large a size", s)
			}
			return n * u.mult, nil
		}
		f, err := strconv.ParseFloat(num, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || strings.ContainsAny(num, "xXpP_") {
			return 0, fmt.Errorf("[%s] is not a size in bytes", s)
		}
		b := f * float64(u.mult)
		if b < -1 || b >= math.MaxInt64 {
			return 0, fmt.Errorf("[%s] is out of the range of sizes", s)
		}
		return int64(b), nil
	}
	if norm == "0" || norm == "-1" {
		n, _ := strconv.ParseInt(norm, 10, 64)
		return n, nil
	}
	return 0, fmt.Errorf("[%s] is not a size in bytes: unit is missing or unrecognized", s)
}
