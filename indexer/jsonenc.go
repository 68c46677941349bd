package indexer

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/sluicelogs/sluice/internal/jsonnum"
	"github.com/sluicelogs/sluice/pipelines"
)

// appendJSON appends the JSON of an event's value to b, byte for byte what
// encoding/json's Marshal gives (keys sorted, HTML characters escaped),
// except that a float64 is written as the ingest node writes a Java
// double (2.0, not 2; 1.0E10: see jsonnum.AppendFloat), without its reflection: encoding documents was a quarter of a parse
// worker's time. keys is scratch space for sorting map keys, returned
// for reuse. Types other than the ones events hold after decoding and
// the pipeline go through encoding/json.
func appendJSON(b []byte, v any, keys []string) ([]byte, []string, error) {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...), keys, nil
	case string:
		return appendJSONString(b, v), keys, nil
	case bool:
		return strconv.AppendBool(b, v), keys, nil
	case int:
		return strconv.AppendInt(b, int64(v), 10), keys, nil
	case int64:
		return strconv.AppendInt(b, v, 10), keys, nil
	case int32:
		return strconv.AppendInt(b, int64(v), 10), keys, nil
	case uint64:
		return strconv.AppendUint(b, v, 10), keys, nil
	case float64:
		if math.IsInf(v, 0) || math.IsNaN(v) {
			break // encoding/json's error
		}
		return jsonnum.AppendFloat(b, v), keys, nil
	case json.Number:
		if v == "" {
			return append(b, '0'), keys, nil // as encoding/json writes it
		}
		if !jsonnum.Valid(v) {
			break // encoding/json's error
		}
		return append(b, v...), keys, nil
	case pipelines.Event:
		return appendJSONObject(b, v, keys)
	case map[string]any:
		return appendJSONObject(b, v, keys)
	case []any:
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, keys, err = appendJSON(b, e, keys); err != nil {
				return b, keys, err
			}
		}
		return append(b, ']'), keys, nil
	case []string:
		if v == nil {
			return append(b, "null"...), keys, nil
		}
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, e)
		}
		return append(b, ']'), keys, nil
	}
	out, err := json.Marshal(v)
	if err != nil {
		return b, keys, err
	}
	return append(b, out...), keys, nil
}

// appendJSONObject appends m with its keys sorted.
func appendJSONObject(b []byte, m map[string]any, keys []string) ([]byte, []string, error) {
	if m == nil {
		return append(b, "null"...), keys, nil
	}
	// keys[mark:] are this object's; nested objects use the space after.
	mark := len(keys)
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys[mark:])
	b = append(b, '{')
	for i := mark; i < len(keys); i++ {
		if i > mark {
			b = append(b, ',')
		}
		k := keys[i]
		b = appendJSONString(b, k)
		b = append(b, ':')
		var err error
		if b, keys, err = appendJSON(b, m[k], keys); err != nil {
			return b, keys[:mark], err
		}
	}
	return append(b, '}'), keys[:mark], nil
}

const hexDigits = "0123456789abcdef"

// appendJSONString quotes s as encoding/json does with HTML escaping:
// <, > and & as \u00XX, invalid UTF-8 as \ufffd, U+2028 and U+2029
// escaped.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
