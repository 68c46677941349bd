// Package loggen writes realistic log lines — nginx access (combined
// format), syslog (RFC 3164) and JSON application logs — in the shapes the
// example pipelines (examples/pipelines/{nginx,syslog,app-json}.yml)
// parse. `sluice generate` uses it to feed `make run`.
package loggen

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Kind is one of the log formats.
type Kind struct {
	File   string                                  // file name the generator appends to
	Weight int                                     // share of the lines
	Line   func(r *rand.Rand, at time.Time) string // one line, without the newline
}

// Kinds are the formats Generator writes, each to its own file.
var Kinds = []Kind{
	{File: "nginx-access.log", Weight: 3, Line: Nginx},
	{File: "syslog.log", Weight: 1, Line: Syslog},
	{File: "app-json.log", Weight: 1, Line: AppJSON},
}

var (
	methods  = []string{"GET", "GET", "GET", "GET", "POST", "PUT", "DELETE", "HEAD"}
	paths    = []string{"/", "/index.html", "/products", "/products/%d", "/cart", "/api/v1/orders/%d", "/api/v1/login", "/static/app.%d.js", "/images/%d.png", "/search?q=boots&page=%d"}
	statuses = []int{200, 200, 200, 200, 200, 200, 304, 301, 404, 404, 500, 503}
	agents   = []string{
		"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0",
		"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
		"curl/8.5.0",
	}
	referrers = []string{"-", "-", "https://example.com/", "https://www.google.com/", "https://example.com/products"}
	users     = []string{"-", "-", "-", "alice", "bob"}
	hosts     = []string{"web-1", "web-2", "db-1"}
	programs  = []struct {
		name string
		pid  bool
		msgs []string
	}{
		{"sshd", true, []string{"Accepted publickey for deploy from 10.1.%d.%d port 52144 ssh2", "Connection closed by 10.1.%d.%d port 40022 [preauth]"}},
		{"CRON", true, []string{"(root) CMD (run-parts /etc/cron.hourly)"}},
		{"kernel", false, []string{"[%d.%d] eth0: link up", "[%d.%d] TCP: request_sock_TCP: Possible SYN flooding on port 443"}},
		{"systemd", true, []string{"Started Session %d of user deploy.", "Starting Daily apt upgrade and clean activities... (%d)"}},
	}
	levels  = []string{"INFO", "INFO", "INFO", "INFO", "WARN", "ERROR", "DEBUG"}
	loggers = []string{"shop.orders", "shop.cart", "shop.http", "shop.payments"}
	appMsgs = []string{"order placed", "cart updated", "payment declined", "slow query", "request served", "cache miss"}
)

// Nginx is an access-log line in nginx's combined format.
func Nginx(r *rand.Rand, at time.Time) string {
	path := paths[r.IntN(len(paths))]
	if strings.Contains(path, "%d") {
		path = fmt.Sprintf(path, r.IntN(5000))
	}
	return fmt.Sprintf(`%d.%d.%d.%d - %s [%s] "%s %s HTTP/1.1" %d %d "%s" "%s"`,
		r.IntN(223)+1, r.IntN(256), r.IntN(256), r.IntN(254)+1, users[r.IntN(len(users))],
		at.Format("02/Jan/2006:15:04:05 -0700"), methods[r.IntN(len(methods))], path,
		statuses[r.IntN(len(statuses))], r.IntN(50000), referrers[r.IntN(len(referrers))], agents[r.IntN(len(agents))])
}

// Syslog is a traditional syslog line (RFC 3164, as rsyslog writes it), in
// UTC, as the syslog pipeline reads it.
func Syslog(r *rand.Rand, at time.Time) string {
	p := programs[r.IntN(len(programs))]
	msg := p.msgs[r.IntN(len(p.msgs))]
	if strings.Contains(msg, "%d") {
		msg = fmt.Sprintf(msg, r.IntN(255), r.IntN(255))
	}
	prog := p.name
	if p.pid {
		prog = fmt.Sprintf("%s[%d]", p.name, 100+r.IntN(30000))
	}
	return fmt.Sprintf("%s %s %s: %s", at.UTC().Format(time.Stamp), hosts[r.IntN(len(hosts))], prog, msg)
}

// AppJSON is a JSON application log line (time, level, msg, logger,
// trace_id and a field or two), as the app-json pipeline reads it.
func AppJSON(r *rand.Rand, at time.Time) string {
	ev := map[string]any{
		"time":     at.Format(time.RFC3339Nano),
		"level":    levels[r.IntN(len(levels))],
		"msg":      appMsgs[r.IntN(len(appMsgs))],
		"logger":   loggers[r.IntN(len(loggers))],
		"trace_id": fmt.Sprintf("%016x", r.Uint64()),
		"order_id": 1000 + r.IntN(9000),
	}
	if r.IntN(4) == 0 {
		ev["duration_ms"] = r.IntN(3000)
	}
	b, _ := json.Marshal(ev) // only strings and ints
	return string(b)
}

// Generator appends lines of every Kind to its file in Dir, Rate lines a
// second in all.
type Generator struct {
	Dir  string
	Rate float64
	Seed uint64
	// Lines stops it after this many lines in all; 0 runs until ctx ends.
	Lines int
}

// Run writes until ctx ends (or Lines were written) and returns the
// number of lines written.
func (g *Generator) Run(ctx context.Context) (int, error) {
	if g.Rate <= 0 {
		return 0, fmt.Errorf("loggen: rate %v: must be positive", g.Rate)
	}
	if err := os.MkdirAll(g.Dir, 0o755); err != nil {
		return 0, fmt.Errorf("loggen: %w", err)
	}
	files := make([]*os.File, len(Kinds))
	defer func() {
		for _, f := range files {
			if f != nil {
				f.Close()
			}
		}
	}()
	total := 0
	for i, k := range Kinds {
		f, err := os.OpenFile(filepath.Join(g.Dir, k.File), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			return 0, fmt.Errorf("loggen: %w", err)
		}
		files[i] = f
		total += k.Weight
	}
	r := rand.New(rand.NewPCG(g.Seed, g.Seed^0x9e3779b97f4a7c15))
	begin := time.Now()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	written := 0
	bufs := make([][]byte, len(Kinds))
	for {
		due := int(g.Rate * time.Since(begin).Seconds())
		if g.Lines > 0 {
			due = min(due, g.Lines)
		}
		for ; written < due; written++ {
			n := r.IntN(total)
			i := 0
			for n >= Kinds[i].Weight {
				n -= Kinds[i].Weight
				i++
			}
			bufs[i] = append(append(bufs[i], Kinds[i].Line(r, time.Now())...), '\n')
		}
		for i, b := range bufs { // one write per file and tick: whole lines only
			if len(b) == 0 {
				continue
			}
			if _, err := files[i].Write(b); err != nil {
				return written, fmt.Errorf("loggen: %w", err)
			}
			bufs[i] = b[:0]
		}
		if g.Lines > 0 && written >= g.Lines {
			return written, nil
		}
		select {
		case <-ctx.Done():
			return written, nil
		case <-tick.C:
		}
	}
}
