package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/sluicelogs/sluice/pipelines"
)

// runPipeline is `sluice pipeline test|run`.
func runPipeline(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(e.stderr, pipelineUsage)
		return errors.New("missing subcommand: test or run")
	}
	switch args[0] {
	case "test":
		return runPipelineTest(ctx, e, args[1:])
	case "run":
		return runPipelineRun(ctx, e, args[1:])
	case "-h", "-help", "--help", "help":
		fmt.Fprint(e.stdout, pipelineUsage)
		return nil
	}
	return fmt.Errorf("unknown subcommand %q: want test or run", args[0])
}

const pipelineUsage = `Usage:
  sluice pipeline test [-v] [-geoip DIR] FILE…     run the tests: declared in pipeline definitions
  sluice pipeline run [-geoip DIR] FILE < events   print the events of stdin transformed, one JSON object a line
                                                   (floats as an ingest node writes them: 2.0, 1.0E10)
-geoip DIR: the geoip processors' MaxMind DB files (default: ingest-geoip beside each definition)
`

// geoipFlag is -geoip: the directory of the geoip processors' databases.
func geoipFlag(fs *flag.FlagSet) *string {
	return fs.String("geoip", "", "directory of the geoip processors' MaxMind DB files (default: ingest-geoip beside each definition)")
}

func runPipelineTest(_ context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("sluice pipeline test", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	verbose := fs.Bool("v", false, "print passing tests too")
	geoip := geoipFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return errors.New("no definition files given")
	}
	passed, failed := 0, 0
	var loadErrs []error
	opts := pipelines.Options{GeoIP: pipelines.NewGeoIPDatabases(*geoip)}
	for _, file := range fs.Args() {
		p, err := pipelines.Load(file, opts)
		if err != nil {
			loadErrs = append(loadErrs, err)
			fmt.Fprintf(e.stdout, "FAIL %s: %v\n", file, err)
			continue
		}
		if p.Tests() == 0 {
			fmt.Fprintf(e.stdout, "---- %s: no tests\n", file)
			continue
		}
		for _, r := range p.RunTests() {
			if r.Passed {
				passed++
				if *verbose {
					fmt.Fprintf(e.stdout, "ok   %s:%d: %s\n", file, r.Line, r.Name)
				}
				continue
			}
			failed++
			fmt.Fprintf(e.stdout, "FAIL %s:%d: %s\n%s\n", file, r.Line, r.Name, indent(r.Diff))
		}
	}
	fmt.Fprintf(e.stdout, "%d passed, %d failed\n", passed, failed)
	if len(loadErrs) > 0 {
		return fmt.Errorf("%d definition(s) did not load", len(loadErrs))
	}
	if failed > 0 {
		return fmt.Errorf("%d test(s) failed", failed)
	}
	return nil
}

func indent(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = "    " + l
	}
	return strings.Join(lines, "\n")
}

func runPipelineRun(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("sluice pipeline run", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	geoip := geoipFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("want exactly one definition file")
	}
	p, err := pipelines.Load(fs.Arg(0), pipelines.Options{GeoIP: pipelines.NewGeoIPDatabases(*geoip)})
	if err != nil {
		return err
	}
	in := e.stdin
	if in == nil {
		in = strings.NewReader("")
	}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	w := bufio.NewWriter(e.stdout)
	defer w.Flush()
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	failures := 0
	for n := 1; sc.Scan(); n++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		line := sc.Bytes()
		if len(strings.TrimSpace(string(line))) == 0 {
			continue
		}
		out, dropped, err := p.Run(decodeEvent(line))
		if err != nil {
			failures++
			fmt.Fprintf(e.stderr, "line %d: %v\n", n, err)
			continue
		}
		if dropped {
			continue
		}
		if err := enc.Encode(pipelines.ForJSON(out)); err != nil {
			return fmt.Errorf("line %d: %w", n, err)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("reading stdin: %w", err)
	}
	if failures > 0 {
		return fmt.Errorf("%d event(s) failed", failures)
	}
	return nil
}

// decodeEvent reads a line of ndjson; a line that is not a JSON object is
// taken as a raw log line: {"message": line}.
func decodeEvent(line []byte) pipelines.Event {
	if ev, err := pipelines.DecodeEvent(line); err == nil && ev != nil {
		return ev
	}
	return pipelines.Event{"message": string(line)}
}
