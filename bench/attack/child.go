package attack

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"time"
)

// The attacker runs in a process of its own (Config.Attacker), not beside
// the normal client: in one process the attack's goroutines and the
// client's share one Go scheduler, and a flood of connections delays the
// client's own goroutine, which its p99 then counts against the node. In
// its own process the attacker competes for the cores only, as an attacker
// on the same host does.

// childArg is the first argument of `sluice-bench attack` that runs one
// attacker (ChildMain) rather than the suite.
const childArg = "child"

// ChildMain runs one attack, named by -attack, against the addresses
// given, for -duration, and prints what the attacker saw on one line.
func ChildMain(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	fs := flag.NewFlagSet("attack child", flag.ContinueOnError)
	fs.SetOutput(stderr)
	name := fs.String("attack", "", "the attack to run")
	e := &env{}
	fs.StringVar(&e.kafkaAddr, "kafka", "", "the broker's address")
	fs.StringVar(&e.zkAddr, "zk", "", "the attacked member's client port")
	fs.StringVar(&e.peerAddr, "peer", "", "the attacked member's peer port")
	fs.BoolVar(&e.small, "small", false, "fewer connections (tests)")
	d := fs.Duration("duration", 5*time.Second, "how long to attack")
	if err := fs.Parse(args); err != nil {
		return err
	}
	as, err := Select([]string{*name})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, *d)
	defer cancel()
	saw, err := as[0].run(ctx, e)
	if err != nil && ctx.Err() == nil {
		saw += fmt.Sprintf(" (attacker: %v)", err)
	}
	_, err = fmt.Fprintln(stdout, strings.ReplaceAll(saw, "\n", " "))
	return err
}

// AttackerCommand returns Config.Attacker for the sluice-bench binary at
// self: `self attack child …`, on core cpu (taskset) unless cpu is "".
func AttackerCommand(self, cpu string) func(args []string) *exec.Cmd {
	return func(args []string) *exec.Cmd {
		args = append([]string{self, "attack", childArg}, args...)
		if cpu != "" {
			args = append([]string{"taskset", "-c", cpu}, args...)
		}
		return exec.Command(args[0], args[1:]...)
	}
}

// runAttacker runs attack a against e for d in a process of its own
// (cfg.Attacker) and returns what it saw.
func runAttacker(ctx context.Context, cfg Config, a *Attack, e *env, d time.Duration) (string, error) {
	args := []string{"-attack", a.Name, "-kafka", e.kafkaAddr, "-zk", e.zkAddr, "-peer", e.peerAddr,
		"-duration", d.String(), fmt.Sprintf("-small=%v", e.small)}
	cmd := cfg.Attacker(args)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("attacker process: %w", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }() // owned here: waited for below
	select {
	case err := <-done:
		if err != nil {
			return strings.TrimSpace(out.String()), fmt.Errorf("attacker process: %w: %s", err, strings.TrimSpace(errOut.String()))
		}
	case <-ctx.Done():
		_ = cmd.Process.Kill()
		<-done
		return strings.TrimSpace(out.String()), ctx.Err()
	}
	return strings.TrimSpace(out.String()), nil
}
