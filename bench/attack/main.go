package attack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
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
	rate := fs.Int("client-rate", 0, "pace the normal client: at most this many operations a second (0: one after the other, at its own speed)")
	pin := fs.Bool("pin", runtime.NumCPU() >= 2, "run the attacker on the last core and the nodes and the normal client on the others (taskset), as an attacker on another host")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *rate < 0 {
		return errors.New("-client-rate must not be negative")
	}
	if *duration <= 0 {
		return errors.New("-duration must be positive")
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	attackerCPU := os.Getenv(pinnedEnv) // set: this is the pinned suite
	if *pin && attackerCPU == "" {
		return runPinned(ctx, self, stdout, stderr, args)
	}
	cfg := Config{Duration: *duration, ClientRate: *rate, Dir: fs.Dir(), Progress: stderr, Attacker: AttackerCommand(self, attackerCPU)}
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
	fmt.Fprintf(stdout, "each attack %v (or its stated least) on fresh processes with their data on %s, beside a normal client%s (broker: franz-go produce acks=1 of one\n", cfg.Duration, dataDir(cfg.Dir), pace(cfg.ClientRate))
	fmt.Fprintf(stdout, "100-byte record at a time + a Fetch of it; coordinator: go-zookeeper getData + setData of a 100-byte znode), run\n")
	fmt.Fprintf(stdout, "unloaded for %v just before; RSS sampled every 20ms; broker: max.connections=%d, max.connection.creation.rate=%d, queued.max.request.bytes=%d MiB, GOMEMLIMIT=%s;\n", cfg.Duration, brokerMaxConnections, brokerConnectionRate, brokerQueuedBytes>>20, goMemLimit(brokerQueuedBytes, brokerHeapBase))
	fmt.Fprintf(stdout, "coordinator: maxClientCnxns=%d, maxCnxns=%d, initLimit=%d (a 10s handshake deadline), largeRequestMaxBytes=%d MiB, connection_throttle_tokens=%d, connection_throttle_fill_time=%d (ms, fill count 1),\n", zkMaxClientCnxns, zkMaxCnxns, zkInitLimit, zkLargeRequestMaxBytes>>20, zkThrottleTokens, zkThrottleFillTime.Milliseconds())
	fmt.Fprintf(stdout, "GOMEMLIMIT=%s; peer port: at most %d connections at once then %d a second from one address (built in)\n", goMemLimit(zkMaxCnxns*zkConnBytes, coordinatorHeapBase), coordinator.PeerConnBurst, coordinator.PeerConnRate)
	if attackerCPU != "" {
		fmt.Fprintf(stdout, "cores: the attacker on core %s, the nodes and the normal client on the others (taskset), as an attacker on another host\n\n", attackerCPU)
	} else {
		fmt.Fprintf(stdout, "cores: the attacker, the nodes and the normal client share every core\n\n")
	}
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

// pinnedEnv, in the suite's process confined to the cores before the
// last one (runPinned), names the last core, the attackers'. (Inside,
// runtime.NumCPU counts only the cores it may use.)
const pinnedEnv = "SLUICE_ATTACK_PINNED"

// runPinned runs the suite again under taskset on every core but the
// last: the nodes and the normal client it starts inherit those cores,
// and each attacker process is put on the last one (AttackerCommand).
func runPinned(ctx context.Context, self string, stdout, stderr io.Writer, args []string) error {
	n := runtime.NumCPU()
	cpus := "0"
	if n > 2 {
		cpus = fmt.Sprintf("0-%d", n-2)
	}
	cmd := exec.CommandContext(ctx, "taskset", append([]string{"-c", cpus, self, "attack"}, args...)...)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.Env = append(os.Environ(), pinnedEnv+"="+strconv.Itoa(n-1))
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("attack suite on cores %s (taskset; -pin=false runs it on all): %w", cpus, err)
	}
	return nil
}

// pace says how the normal client is paced.
func pace(rate int) string {
	if rate <= 0 {
		return ", one request after the other"
	}
	return fmt.Sprintf(" at %d operations a second", rate)
}
