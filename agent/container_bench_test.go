package agent

import (
	"context"
	"strings"
	"testing"
	"time"
)

// BenchmarkContainerLines: lines per second from a line read to its
// encoded event, for a plain line (no parsers) and for the same text in a
// Docker json-file and a CRI line through the container parser (with a
// Kubernetes path: stream, container and kubernetes fields).
func BenchmarkContainerLines(b *testing.B) {
	text := strings.Repeat("GET /index.html 200 ", 5)
	for _, bc := range []struct{ name, line string }{
		{"plain", text},
		{"docker", `{"log":"` + text + `\n","stream":"stdout","time":"2024-05-01T10:00:00.123456789Z"}`},
		{"cri", "2024-05-01T10:00:00.123456789Z stdout F " + text},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			in := &input{cfg: &InputConfig{ID: "bench"}, meta: meta{hostName: "host", agentName: "host", agentID: "id", version: "v"}}
			var err error
			if in.tailJSON, in.rootFieldsJSON, err = in.eventTail(); err != nil {
				b.Fatal(err)
			}
			path := "/var/log/containers/web-7d9f_shop_nginx-" + strings.Repeat("ab", 32) + ".log"
			enc := newEncoder(in, path)
			var s slab
			encode := func(_ context.Context, m *message) error {
				s.copyOf(enc.encode(m, 1<<20))
				return nil
			}
			cp := newContainerParser(&ContainerConfig{Stream: streamAll, Format: formatAuto}, 1<<20, path, func(*message) {})
			line := []byte(bc.line)
			b.SetBytes(int64(len(line) + 1))
			now := time.Now()
			var reused message
			for i := 0; b.Loop(); i++ {
				off := int64(i) * int64(len(line)+1)
				if bc.name == "plain" { // as fileReader.line without parsers
					reused = message{text: line, offset: off, end: off + int64(len(line)) + 1, at: now, flags: reused.flags[:0]}
					_ = encode(context.Background(), &reused)
					continue
				}
				m := &message{text: validText(line), offset: off, end: off + int64(len(line)) + 1, at: now}
				if err := cp.push(context.Background(), m, encode); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
		})
	}
}
