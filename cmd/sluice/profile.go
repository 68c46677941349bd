package main

import (
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
)

// cpuProfileFlag adds -cpuprofile to fs; the function it returns starts the
// profile if the flag was given and returns what stops it and closes the
// file (a no-op otherwise).
func cpuProfileFlag(fs *flag.FlagSet) func() (stop func(), err error) {
	path := fs.String("cpuprofile", "", "write a CPU profile of the whole run to this file (written when the command stops)")
	return func() (func(), error) {
		if *path == "" {
			return func() {}, nil
		}
		f, err := os.Create(*path)
		if err != nil {
			return nil, fmt.Errorf("-cpuprofile: %w", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return nil, fmt.Errorf("-cpuprofile: %w", err)
		}
		return func() {
			pprof.StopCPUProfile()
			f.Close()
		}, nil
	}
}
