package pipelines

import (
	"strconv"
	"testing"
	"time"
)

const nginxLine = `93.180.71.3 - - [17/May/2015:08:05:32 +0000] "GET /downloads/product_1 HTTP/1.1" 304 0 "-" "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"`

func benchPipeline(b *testing.B, p *Pipeline, line string) {
	b.Helper()
	b.ReportAllocs()
	b.SetBytes(int64(len(line)))
	for i := 0; i < b.N; i++ {
		if _, _, err := p.Run(Event{"message": line}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

func BenchmarkGrok(b *testing.B) {
	benchPipeline(b, mustParse(b, "processors:\n  - grok: {field: message, patterns: ['%{COMBINEDAPACHELOG}']}\n"), nginxLine)
}

func BenchmarkDissect(b *testing.B) {
	benchPipeline(b, mustParse(b, `processors:
  - dissect: {field: message, pattern: '%{source.address} %{} %{user.name} [%{timestamp}] "%{http.request.method} %{url.original} HTTP/%{http.version}" %{http.response.status_code} %{http.response.body.bytes} "%{http.request.referrer}" "%{user_agent.original}"'}
`), nginxLine)
}

func BenchmarkDate(b *testing.B) {
	p := mustParse(b, "processors:\n  - date: {field: message, formats: ['dd/MMM/yyyy:HH:mm:ss Z']}\n")
	benchPipeline(b, p, "17/May/2015:08:05:32 +0000")
}

func BenchmarkNginxPipeline(b *testing.B) {
	p, err := Load("../examples/pipelines/nginx.yml", Options{})
	if err != nil {
		b.Fatal(err)
	}
	benchPipeline(b, p, nginxLine)
}

// BenchmarkNginxPipelineBudget is BenchmarkNginxPipeline with the
// indexer's default budget: what checking it costs.
func BenchmarkNginxPipelineBudget(b *testing.B) {
	p, err := Load("../examples/pipelines/nginx.yml", Options{Budget: time.Second})
	if err != nil {
		b.Fatal(err)
	}
	benchPipeline(b, p, nginxLine)
}

// conditionEvent is a decoded access-log event, numbers as json.Number,
// for the condition benchmarks.
const conditionEvent = `{"message":"GET /index.html","tags":["web","nginx"],"http":{"response":{"status_code":404}}}`

func benchCondition(b *testing.B, cond string) {
	b.Helper()
	p := mustParse(b, "processors:\n  - set: {field: hit, value: true, if: "+strconv.Quote(cond)+"}\n")
	ev, err := DecodeEvent([]byte(conditionEvent))
	if err != nil {
		b.Fatal(err)
	}
	cond0 := p.steps[0].cond
	if ok, err := evalCondition(cond0, ev); !ok || err != nil {
		b.Fatalf("%s: %v, %v", cond, ok, err)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := evalCondition(cond0, ev); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkConditionExpr and BenchmarkConditionPainless evaluate the same
// condition written in expr and in Painless (translated to expr).
func BenchmarkConditionExpr(b *testing.B) {
	benchCondition(b, `http?.response?.status_code >= 400 && "nginx" in tags && message startsWith "GET "`)
}

func BenchmarkConditionPainless(b *testing.B) {
	benchCondition(b, `ctx.http?.response?.status_code >= 400 && ctx.tags.contains('nginx') && ctx.message.startsWith('GET ')`)
}
