package main

import (
	"context"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sluicelogs/sluice/internal/metrics"
)

// runWithMetrics runs a component and, when addr is set, serves its
// collectors (with the Go and process ones) on addr's /metrics meanwhile.
// A taken metrics port does not keep the component from running:
// metrics.Serve logs it and retries the bind until run returns.
func runWithMetrics(ctx context.Context, addr string, collectors []prometheus.Collector, log *slog.Logger, run func(context.Context) error) error {
	if addr == "" {
		return run(ctx)
	}
	reg := metrics.NewRegistry()
	reg.MustRegister(collectors...)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- metrics.Serve(ctx, addr, reg, log, nil) }() // stopped by cancel, waited below
	err := run(ctx)
	cancel()
	if merr := <-done; err == nil {
		err = merr
	}
	return err
}
