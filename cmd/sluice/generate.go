package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/sluicelogs/sluice/internal/loggen"
)

// runGenerate is the hidden `sluice generate`: it appends realistic nginx
// access, syslog and JSON application lines to files in a folder, for
// `make run` and demonstrations.
func runGenerate(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("sluice generate", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	dir := fs.String("dir", "", "folder of the files to append to (nginx-access.log, syslog.log, app-json.log); required")
	rate := fs.Float64("rate", 50, "lines a second, over the three files")
	lines := fs.Int("lines", 0, "stop after this many lines (0: run until Ctrl-C)")
	seed := fs.Uint64("seed", uint64(time.Now().UnixNano()), "seed of the random lines")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %v", fs.Args())
	}
	if *dir == "" {
		return fmt.Errorf("--dir is required")
	}
	g := &loggen.Generator{Dir: *dir, Rate: *rate, Seed: *seed, Lines: *lines}
	n, err := g.Run(ctx)
	fmt.Fprintf(e.stderr, "sluice generate: %d lines appended in %s\n", n, *dir)
	return err
}
