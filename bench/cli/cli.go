// Package cli is the command line the benches share: the FlagSet of
// `sluice-bench <name>` with the flags every bench has (-sluice, -dir,
// -summary), their parsing, the -summary file, and the sluice binary a
// bench runs as processes. Each bench's Main adds its own flags to the
// FlagSet and calls Parse.
package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/sluicelogs/sluice/bench/compare"
	"github.com/sluicelogs/sluice/testkit/proc"
)

// DefaultSluice is the sluice binary a bench runs unless -sluice says
// otherwise: make build's, relative to the repository root the benches run
// from (their other defaults, such as deploy/zookeeper/run.sh, are too).
const DefaultSluice = "bin/sluice"

// Flags is the FlagSet of one bench with the flags every bench has.
type Flags struct {
	*flag.FlagSet
	stderr  io.Writer
	sluice  *string
	dir     *string
	summary *string
}

// New returns the FlagSet of `sluice-bench name`, which writes its errors
// and usage to stderr, with -sluice (the binary for runs, e.g. "the
// coordinator members"), -dir (what is kept there, e.g. "data directories
// and process logs") and -summary.
func New(name string, stderr io.Writer, runs, keeps string) *Flags {
	fs := flag.NewFlagSet("sluice-bench "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return &Flags{
		FlagSet: fs,
		stderr:  stderr,
		sluice:  fs.String("sluice", DefaultSluice, "sluice binary for "+runs+" (a missing path is built with go build)"),
		dir:     fs.String("dir", "", "keep "+keeps+" here (default: a temporary directory, removed)"),
		summary: fs.String("summary", "", "also append the headline rows to this TSV file (created if missing), for `sluice-bench summary FILE`"),
	}
}

// Parse parses args, which must hold flags only, and creates the -summary
// file if it is missing, so that a wrong path fails before the bench runs.
func (f *Flags) Parse(args []string) error {
	if err := f.FlagSet.Parse(args); err != nil {
		return err
	}
	if f.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %v", f.Args())
	}
	return f.AppendSummary(nil)
}

// Dir is -dir: where to keep what the bench writes, or "" for a temporary
// directory.
func (f *Flags) Dir() string { return *f.dir }

// AppendSummary appends rows to the -summary file, if there is one.
func (f *Flags) AppendSummary(rows []compare.Row) error {
	if *f.summary == "" {
		return nil
	}
	return compare.AppendSummary(*f.summary, rows)
}

// Sluice returns the absolute path of the -sluice binary, building
// ./cmd/sluice of the module the working directory is in to that path first
// if nothing is there.
func (f *Flags) Sluice(ctx context.Context) (string, error) {
	abs, err := filepath.Abs(*f.sluice)
	if err != nil {
		return "", fmt.Errorf("-sluice %s: %w", *f.sluice, err)
	}
	if _, err := os.Stat(abs); err == nil {
		return abs, nil
	}
	root, err := proc.ModuleRoot()
	if err != nil {
		return "", fmt.Errorf("-sluice %s is missing and cannot be built: %w", *f.sluice, err)
	}
	fmt.Fprintf(f.stderr, "building %s\n", abs)
	if err := proc.BuildSluice(ctx, root, abs); err != nil {
		return "", fmt.Errorf("-sluice %s: %w", *f.sluice, err)
	}
	return abs, nil
}

// Targets defines -targets: which of sluice and its anchor to run (the
// "targets" or, say, "shippers"), both by default, comma-separated. The
// function it returns gives the chosen ones once the flags are parsed.
func (f *Flags) Targets(what, anchor string) func() ([]string, error) {
	v := f.String("targets", "sluice,"+anchor, fmt.Sprintf("comma-separated %s: sluice, %s", what, anchor))
	return func() ([]string, error) {
		var out []string
		for _, t := range strings.Split(*v, ",") {
			switch t = strings.TrimSpace(t); t {
			case "sluice", anchor:
				out = append(out, t)
			default:
				return nil, fmt.Errorf("-targets: unknown target %q (want sluice, %s)", t, anchor)
			}
		}
		return out, nil
	}
}
