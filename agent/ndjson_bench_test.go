package agent

import (
	"context"
	"testing"
)

// BenchmarkNDJSON: one ndjson line of an application log decoded by the
// ndjson parser (numbers, strings, a nested object).
func BenchmarkNDJSON(b *testing.B) {
	b.ReportAllocs()
	line := []byte(`{"level":"info","ts":1717171717.123,"logger":"http","msg":"request done","status":200,"bytes":5123,"duration_ms":12.5,"user":{"id":9007199254740993,"name":"ann"},"path":"/api/v1/items?page=2"}`)
	b.SetBytes(int64(len(line)))
	nd := ndjson{cfg: &NDJSONConfig{}}
	emit := func(context.Context, *message) error { return nil }
	for b.Loop() {
		m := message{text: line}
		if err := nd.push(context.Background(), &m, emit); err != nil {
			b.Fatal(err)
		}
	}
}
