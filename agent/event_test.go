package agent

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzAppendString: what appendString writes decodes back to its input.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain", `quote " and \ back`, "tab\tnl\ncr\r\x00\x1f", "ünïcødé €", strings.Repeat("abcdefg\"", 5), "12345678\x019"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		text := validText([]byte(s))
		var got string
		if err := json.Unmarshal(appendString(nil, text), &got); err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		if got != string(text) {
			t.Fatalf("got %q, want %q", got, text)
		}
	})
}

func TestEscapeIn(t *testing.T) {
	for c := range 256 {
		want := c < 0x20 || c == '"' || c == '\\'
		for pos := range 8 {
			w := []byte("abcdefgh")
			w[pos] = byte(c)
			var x uint64
			for i := 7; i >= 0; i-- {
				x = x<<8 | uint64(w[i])
			}
			if got := escapeIn(x); got != want {
				t.Fatalf("byte %#x at %d: %v, want %v", c, pos, got, want)
			}
		}
	}
}

// BenchmarkEncode: one 100-byte line encoded as an event and copied into
// the slab, as the hot path does.
func BenchmarkEncode(b *testing.B) {
	b.ReportAllocs()
	in := &input{cfg: &InputConfig{ID: "bench"}, meta: meta{hostName: "host", agentName: "host", agentID: "id", version: "v"}}
	var err error
	if in.tailJSON, in.rootFieldsJSON, err = in.eventTail(); err != nil {
		b.Fatal(err)
	}
	enc := newEncoder(in, "/var/log/app.log")
	var s slab
	text := []byte(strings.Repeat("GET /index.html 200 ", 5))
	now := time.Now()
	for i := 0; b.Loop(); i++ {
		m := message{text: text, offset: int64(i) * 100, end: int64(i+1) * 100, at: now}
		v := s.copyOf(enc.encode(&m, 1<<20))
		if !utf8.Valid(v) {
			b.Fatal("invalid")
		}
	}
}

func TestStampCache(t *testing.T) {
	var c stampCache
	for _, tm := range []time.Time{
		time.Date(2026, 12, 4, 5, 0, 0, 0, time.UTC), time.Date(2026, 12, 4, 5, 0, 0, 999999999, time.UTC),
		time.Date(2026, 12, 4, 5, 0, 0, 1e6, time.FixedZone("X", 3600)), time.Date(2026, 12, 4, 5, 0, 1, 120e6, time.UTC),
		time.Date(1969, 12, 31, 23, 59, 59, 5e8, time.UTC), time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 12, 31, 23, 59, 59, 0, time.UTC), time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), {}, time.Unix(0, 0),
	} {
		want := tm.UTC().AppendFormat(nil, "2006-01-02T15:04:05.000Z07:00")
		if got := c.append(nil, tm); string(got) != string(want) {
			t.Errorf("%v: %s, want %s", tm, got, want)
		}
	}
}
