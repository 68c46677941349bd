// Package metrics serves a component's Prometheus metrics on /metrics. Each
// component builds its own registry (no global state) with NewRegistry,
// registers its sluice_<component>_… collectors on it, and serves it with a
// Server on its metrics port (agent 127.0.0.1:5066, indexer 127.0.0.1:9600, …).
package metrics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// NewRegistry returns a registry holding the Go runtime and process
// collectors, ready for a component's own metrics.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// Server serves one registry on /metrics.
type Server struct {
	ln  net.Listener
	srv *http.Server
	log *slog.Logger
}

// Listen binds addr (host:port; port 0 picks a free one) for reg's metrics.
func Listen(addr string, reg *prometheus.Registry, log *slog.Logger) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics: listen %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	return &Server{
		ln:  ln,
		srv: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second},
		log: log,
	}, nil
}

// Addr returns the address the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Run serves until ctx is done, then shuts the server down.
func (s *Server) Run(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- s.srv.Serve(s.ln) }() // ends when Shutdown below closes the listener
	s.log.Info("serving metrics", "addr", s.Addr())
	select {
	case err := <-errc:
		return fmt.Errorf("metrics: serve: %w", err)
	case <-ctx.Done():
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.srv.Shutdown(shutCtx); err != nil {
		return fmt.Errorf("metrics: shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("metrics: serve: %w", err)
	}
	return nil
}

// Bind retry delays: the first retry soon (a restarted process often finds
// its predecessor's port free a moment later), then doubling, capped so an
// operator who frees the port waits at most maxBindRetry for the metrics.
const (
	firstBindRetry = 100 * time.Millisecond
	maxBindRetry   = 10 * time.Second
)

// Serve serves reg's metrics on addr until ctx is done. Monitoring must
// never stop the data path, so a failure to bind addr is not returned: it
// is logged and binding is retried in the background with backoff (a
// process restarted right after a kill -9 can find its predecessor, or
// anyone else, still holding the port). bound, when not nil, is called
// with the address once it is bound. Serve returns nil when ctx ends, or
// the server's error if serving fails after the bind.
func Serve(ctx context.Context, addr string, reg *prometheus.Registry, log *slog.Logger, bound func(addr string)) error {
	wait := firstBindRetry
	for attempt := 1; ; attempt++ {
		srv, err := Listen(addr, reg, log)
		if err == nil {
			if attempt > 1 {
				log.Info("metrics endpoint bound after retrying", "addr", srv.Addr(), "attempts", attempt)
			}
			if bound != nil {
				bound(srv.Addr())
			}
			return srv.Run(ctx)
		}
		// Warn once; the retries that follow would only repeat it.
		level := slog.LevelDebug
		if attempt == 1 {
			level = slog.LevelWarn
		}
		log.Log(ctx, level, "metrics endpoint not bound; running without it and retrying", "addr", addr, "err", err, "retry_in", wait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		wait = min(2*wait, maxBindRetry)
	}
}
