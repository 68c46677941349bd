package kbench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/sluicelogs/sluice/broker"
	"github.com/sluicelogs/sluice/coordinator/zkbench"
	"github.com/sluicelogs/sluice/internal/benchcmp"
	"github.com/sluicelogs/sluice/internal/proc"
)

// ProfileSluice runs l against a sluice broker started inside this process
// (its coordinator is a separate process from the sluice binary), with the
// CPU profile written to cpuprofile. The broker runs in-process because its
// command has no profiling flag; the profile therefore also holds the load
// generator (its frames are in franz-go's kgo and kbench; `go tool pprof
// -focus sluice/broker` keeps the broker's).
func ProfileSluice(ctx context.Context, l Load, sluice, cpuprofile string) error {
	dir, err := os.MkdirTemp("", "kbench-profile-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	coord, err := zkbench.Start(ctx, zkbench.Spec{Kind: zkbench.TargetSluice, Members: 1, Dir: dir, Sluice: sluice})
	if err != nil {
		return fmt.Errorf("sluice coordinator: %w", err)
	}
	defer coord.Stop()
	port, err := proc.FreePort()
	if err != nil {
		return err
	}
	path, err := writeBrokerConfig(filepath.Join(dir, "broker"), port, coord.Addrs()[0])
	if err != nil {
		return err
	}
	cfg, _, err := broker.LoadConfig(path)
	if err != nil {
		return err
	}
	b, err := broker.New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return err
	}
	return benchcmp.ProfileCPU(ctx, cpuprofile, b.Run, func(ctx context.Context) error {
		l.Brokers = []string{b.Addr()}
		rep, err := l.Run(ctx)
		if err != nil {
			return fmt.Errorf("profile run: %w", err)
		}
		return rep.Err()
	})
}
