package pipelines

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestFormat(t *testing.T) {
	ts := time.Date(2024, 3, 1, 23, 30, 0, 0, time.FixedZone("x", -3600))
	vals := map[string]any{"service": "web", "fields.env": "prod"}
	lookup := func(p []string) (any, bool) { v, ok := vals[strings.Join(p, ".")]; return v, ok }
	value := func(field string, v any, found bool) (string, error) {
		if !found {
			return "", fmt.Errorf("no %s", field)
		}
		return fmt.Sprint(v), nil
	}
	for _, tc := range []struct{ in, want string }{
		{"logs-%{[service]}-%{+yyyy.MM.dd}", "logs-web-2024.03.02"},
		{"logs-%{[fields][env]}", "logs-prod"},
		{"logs-%{[fields.env]}", "logs-prod"},
		{"logs-%{service}", "logs-web"},
		{"plain", "plain"},
	} {
		f, err := ParseFormat(tc.in)
		if err != nil {
			t.Fatalf("%q: %v", tc.in, err)
		}
		got, err := f.Expand(lookup, ts, value)
		if err != nil || got != tc.want {
			t.Errorf("%q = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	if f, _ := ParseFormat("logs-%{[missing]}"); f != nil {
		if _, err := f.Expand(lookup, ts, value); err == nil || !strings.Contains(err.Error(), "no missing") {
			t.Errorf("missing field: %v", err)
		}
	}
	if f, _ := ParseFormat("logs-x"); !f.Static() || f.Prefix() != "logs-x" {
		t.Error("a format without references is static")
	}
	for _, bad := range []string{"a-%{[x]", "%{[]}", "a-%{}", "%{+yyyy-QQ}"} {
		if _, err := ParseFormat(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}
