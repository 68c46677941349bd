package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/sluicelogs/sluice/indexer"
)

// runIndexer is `sluice indexer -c indexer.yml`.
func runIndexer(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("sluice indexer", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	cfgPath := fs.String("c", "/etc/sluice/indexer.yml", "the indexer's YAML config (kafka, elasticsearch, dead_letter_topic, routes)")
	metricsAddr := fs.String("metrics", "127.0.0.1:9600", "serve Prometheus /metrics on this address; \"\" for none")
	logger := logFlags(fs, e)
	profile := cpuProfileFlag(fs)
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
	cfg, err := indexer.LoadConfig(*cfgPath)
	if err != nil {
		return err
	}
	ix, err := indexer.New(cfg, log)
	if err != nil {
		return err
	}
	stopProfile, err := profile()
	if err != nil {
		return err
	}
	defer stopProfile()
	return runWithMetrics(ctx, *metricsAddr, ix.Collectors(), log, ix.Run)
}
