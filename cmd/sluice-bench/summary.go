package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/sluicelogs/sluice/bench/compare"
)

// summary is `sluice-bench summary FILE`: the rows the benches appended to
// FILE with -summary, as one table.
func summary(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	fs := flag.NewFlagSet("sluice-bench summary", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: sluice-bench summary FILE\n\nPrints the rows that `sluice-bench <x> -summary FILE` appended to FILE as one table.\n")
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errors.New("want one FILE")
	}
	rows, err := compare.ReadSummary(fs.Arg(0))
	if err != nil {
		return err
	}
	if len(rows) == 0 {
		return fmt.Errorf("no rows in %s", fs.Arg(0))
	}
	fmt.Fprintf(stdout, "\nsluice vs its anchors, %s — %s\n\n", time.Now().UTC().Format("2006-01-02 15:04 MST"), compare.Machine(ctx))
	if err := compare.WriteSummary(stdout, rows); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "sluice/anchor is sluice divided by the anchor; goals with × are on that ratio, the others on sluice's own value;")
	fmt.Fprintln(stdout, "\"-\": no anchor, or not measured (a skipped or failed run). Each component's own table has every figure.")
	return nil
}
