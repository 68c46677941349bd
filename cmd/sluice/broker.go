package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/sluicelogs/sluice/broker"
)

func runBroker(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("sluice broker", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	cfgPath := fs.String("config", "/etc/sluice/server.properties", "the broker's server.properties (Kafka's keys)")
	metricsAddr := fs.String("metrics", "", "serve Prometheus /metrics on this address, e.g. 127.0.0.1:9308")
	logger := logFlags(fs, e)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %v", fs.Args())
	}
	log, err := logger()
	if err != nil {
		return err
	}
	cfg, warnings, err := broker.LoadConfig(*cfgPath)
	if err != nil {
		return err
	}
	for _, w := range warnings {
		log.Warn("ignoring a key the broker does not know", "at", w.Error())
	}
	b, err := broker.New(cfg, log)
	if err != nil {
		return err
	}
	return runWithMetrics(ctx, *metricsAddr, b.Collectors(), log, b.Run)
}
