package coordinator

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"

	"github.com/sluicelogs/sluice/bench/compare"
	sluicecoordinator "github.com/sluicelogs/sluice/coordinator"
	"github.com/sluicelogs/sluice/testkit/proc"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// ProfileSluice runs l (and a fill of znodes, if > 0) against a standalone
// sluice coordinator started inside this process, with the CPU profile
// written to cpuprofile. The server runs in-process because its command has
// no profiling flag; the profile therefore also holds the load generator
// (its frames are in go-zookeeper and bench/coordinator; `go tool pprof -focus
// coordinator` keeps the server's).
func ProfileSluice(ctx context.Context, l Load, znodes int, cpuprofile string) error {
	dir, err := os.MkdirTemp("", "zkbench-profile-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	port, err := proc.FreePort()
	if err != nil {
		return err
	}
	cfg, err := testpeer.CoordinatorConfig(dir, 1, port, nil)
	if err == nil {
		err = os.MkdirAll(cfg.DataDir, 0o755)
	}
	if err != nil {
		return err
	}
	srv, err := sluicecoordinator.NewServer(&cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return err
	}
	l.Servers = []string{"127.0.0.1:" + strconv.Itoa(port)}
	return compare.ProfileCPU(ctx, cpuprofile, srv.Run, func(ctx context.Context) error {
		rep, err := l.Run(ctx)
		if err != nil {
			return fmt.Errorf("profile run: %w", err)
		}
		if znodes > 0 {
			if _, err := l.Fill(ctx, rep.Parent, znodes); err != nil {
				return fmt.Errorf("profile fill: %w", err)
			}
		}
		return nil
	})
}
