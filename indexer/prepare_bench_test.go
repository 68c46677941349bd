package indexer

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sluicelogs/sluice/pipelines"
)

// BenchmarkPrepareNginx: what a parse worker does per record of the nginx
// pipeline: decode the JSON event, run the pipeline, name the daily index,
// encode the document into the chunk's buffer.
func BenchmarkPrepareNginx(b *testing.B) {
	p, err := pipelines.Load(filepath.Join("..", "examples", "pipelines", "nginx.yml"), pipelines.Options{})
	if err != nil {
		b.Fatal(err)
	}
	idx, err := parseIndexName("logs-nginx-%{+yyyy.MM.dd}")
	if err != nil {
		b.Fatal(err)
	}
	r := &route{pipeline: p, index: idx}
	base := time.Date(2015, 5, 17, 20, 0, 0, 0, time.UTC)
	recs := make([]*kgo.Record, chunkSize)
	for i := range recs {
		line := fmt.Sprintf(`10.0.%d.%d - - [%s] "GET /item/%d HTTP/1.1" 200 %d "-" "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"`,
			i/256%256, i%256, base.Add(time.Duration(i)*time.Second).Format("02/Jan/2006:15:04:05 -0700"), i, 100+i)
		v, _ := json.Marshal(map[string]any{"message": line, "@timestamp": "2026-01-01T00:00:00Z", "host": map[string]any{"name": "web-1"}})
		recs[i] = &kgo.Record{Topic: "t", Offset: int64(i), Value: v, Timestamp: base}
	}
	f := &flow{r: r}
	f.bufs.New = func() any { return new(docBuf) }
	enc := &encoder{}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i += chunkSize {
		c := &chunk{recs: recs}
		f.prepare(enc, c)
		if len(c.docs) != len(recs) {
			b.Fatalf("%d docs, %d dead: %v", len(c.docs), len(c.dead), c.reasons)
		}
		f.bufs.Put(c.buf)
	}
}
