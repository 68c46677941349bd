package attack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/sluicelogs/sluice/bench/cli"
	"github.com/sluicelogs/sluice/bench/compare"
	"github.com/sluicelogs/sluice/coordinator"
)

// Main is `sluice-bench attack`: it parses args, runs the attacks and
// prints the table to stdout (progress to stderr). It fails only if a
// node went down or an attack could not run; goals not met are in the
// table.
func Main(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	if len(args) > 0 && args[0] == childArg {
		return ChildMain(ctx, stdout, stderr, args[1:])
	}
	fs := cli.New("attack", stderr, "the coordinator and broker processes", "data directories and process logs")
	duration := fs.Duration("duration", 5*time.Second, "length of each attack, and of the normal client's unloaded run before it")
	var names []string
	for _, a := range Suite() {
		names = append(names, a.Name)
	}
	only := fs.String("attacks", "", "comma-separated attacks to run (default: all): "+strings.Join(names, ", "))
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *duration <= 0 {
		return errors.New("-duration must be positive")
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	cfg := Config{Duration: *duration, Dir: fs.Dir(), Progress: stderr, Attacker: AttackerCommand(self)}
	if *only != "" {
		for _, n := range strings.Split(*only, ",") {
			cfg.Attacks = append(cfg.Attacks, strings.TrimSpace(n))
		}
	}
	if _, err := Select(cfg.Attacks); err != nil {
		return fmt.Errorf("-attacks: %w", err)
	}
	bin, err := fs.Sluice(ctx)
	if err != nil {
		return err
	}
	cfg.Sluice = bin
	machine := compare.Machine(ctx)
	results, err := Run(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nsluice under attack — %s\n", machine)
	fmt.Fprintf(stdout, "each attack %v (or its stated least) on fresh processes, beside a normal client (broker: franz-go produce acks=1 of one\n", cfg.Duration)
	fmt.Fprintf(stdout, "100-byte record at a time + a Fetch of it; coordinator: go-zookeeper getData + setData of a 100-byte znode), run\n")
	fmt.Fprintf(stdout, "unloaded for %v just before; RSS sampled every 20ms; broker: max.connections=%d, max.connection.creation.rate=%d, queued.max.request.bytes=%d MiB, GOMEMLIMIT=%s;\n", cfg.Duration, brokerMaxConnections, brokerConnectionRate, brokerQueuedBytes>>20, goMemLimit(brokerQueuedBytes))
	fmt.Fprintf(stdout, "coordinator: maxClientCnxns=%d, maxCnxns=%d, initLimit=%d (a 10s handshake deadline), largeRequestMaxBytes=%d MiB, connection_throttle_tokens=%d, connection_throttle_fill_time=%d (ms, fill count 1),\n", zkMaxClientCnxns, zkMaxCnxns, zkInitLimit, zkLargeRequestMaxBytes>>20, zkThrottleTokens, zkThrottleFillTime.Milliseconds())
	fmt.Fprintf(stdout, "GOMEMLIMIT=%s; peer port: at most %d connections at once then %d a second from one address (built in)\n\n", goMemLimit(zkLargeRequestMaxBytes), coordinator.PeerConnBurst, coordinator.PeerConnRate)
	if err := WriteTable(stdout, results); err != nil {
		return err
	}
	var failed []string
	if err := fs.AppendSummary(SummaryRows(results)); err != nil {
		failed = append(failed, err.Error())
	}
	for _, r := range results {
		switch {
		case r.Err != nil:
			failed = append(failed, fmt.Sprintf("%s: %v", r.Attack.Name, r.Err))
		case len(r.Down) > 0:
			failed = append(failed, fmt.Sprintf("%s: %s", r.Attack.Name, strings.Join(r.Down, "; ")))
		}
	}
	if len(failed) > 0 {
		return errors.New(strings.Join(failed, "; "))
	}
	return nil
}
