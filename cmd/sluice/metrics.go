package main

import (
	"context"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sluicelogs/sluice/internal/metrics"
)

// runWithMetrics runs a component and, when addr is set, serves its
// collectors (with the Go and process ones) on addr's /metrics meanwhile.
func runWithMetrics(ctx context.Context, addr string, collectors []prometheus.Collector, log *slog.Logger, run func(context.Context) error) error {
	if addr == "" {
		return run(ctx)
	}
	reg := metrics.NewRegistry()
	reg.MustRegister(collectors...)
	srv, err := metrics.Listen(addr, reg, log)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }() // stopped by cancel, waited below
	err = run(ctx)
	cancel()
	if merr := <-done; err == nil {
		err = merr
	}
	return err
}
