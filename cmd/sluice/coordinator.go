package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime/debug"

	"github.com/sluicelogs/sluice/coordinator"
	"github.com/sluicelogs/sluice/coordinator/zkproto"
)

// coordinatorGCPercent is the coordinator's GOGC unless the environment
// sets one.
const coordinatorGCPercent = 200

func runCoordinator(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("sluice coordinator", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	cfgPath := fs.String("config", "/etc/sluice/zoo.cfg", "the member's zoo.cfg (ZooKeeper's keys; dataDir/myid names the member)")
	metricsAddr := fs.String("metrics", "", "serve Prometheus /metrics on this address (zoo.cfg's metricsProvider.httpPort does too)")
	logger := logFlags(fs, e)
	profile := cpuProfileFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 1 && fs.Arg(0) == "status" {
		return coordinatorStatus(ctx, e, *cfgPath)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %v", fs.Args())
	}
	log, err := logger()
	if err != nil {
		return err
	}
	cfg, warnings, err := coordinator.LoadConfig(*cfgPath)
	if err != nil {
		return err
	}
	for _, w := range warnings {
		log.Warn("ignoring a key the coordinator does not know", "at", w.Error())
	}
	if os.Getenv("GOGC") == "" {
		// A member keeps the whole tree in memory and its writes' tail
		// latency follows the garbage collections: it collects at 200 %
		// growth rather than Go's 100 % (about a third more memory, still
		// far below ZooKeeper's heap; BENCHMARKS.md). GOGC overrides it,
		// as ZooKeeper's heap size is set by its JVM flags.
		debug.SetGCPercent(coordinatorGCPercent)
	}
	s, err := coordinator.NewServer(cfg, log)
	if err != nil {
		return err
	}
	addr := *metricsAddr
	if addr == "" {
		addr = cfg.MetricsAddr
	}
	stopProfile, err := profile()
	if err != nil {
		return err
	}
	defer stopProfile()
	return runWithMetrics(ctx, addr, s.Collectors(), log, s.Run)
}

// coordinatorStatus prints the member's mode like `zkServer.sh status`.
func coordinatorStatus(ctx context.Context, e *env, cfgPath string) error {
	cfg, _, err := coordinator.LoadConfig(cfgPath)
	if err != nil {
		return err
	}
	if cfg.ClientAddr == "" {
		return fmt.Errorf("%s has only secureClientPort: status asks srvr on the plaintext clientPort", cfgPath)
	}
	out, err := zkproto.FourLetter(ctx, coordinator.DialAddr(cfg.ClientAddr), "srvr")
	if err != nil {
		return fmt.Errorf("member at %s is not running: %w", cfg.ClientAddr, err)
	}
	mode := zkproto.ModeFromSrvr(out)
	fmt.Fprintf(e.stdout, "Client port found: %s. Client address: %s.\nMode: %s\n", cfg.ClientAddr, coordinator.DialAddr(cfg.ClientAddr), mode)
	return nil
}
