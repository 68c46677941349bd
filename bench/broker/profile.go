package broker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sluicelogs/sluice/bench/compare"
	sluicebroker "github.com/sluicelogs/sluice/broker"
	"github.com/sluicelogs/sluice/internal/kadmin"
	"github.com/sluicelogs/sluice/testkit/proc"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// ProfileSluice runs l against brokers sluice brokers started inside this
// process (their coordinator, standalone or an ensemble as Start chooses,
// runs as processes of the sluice binary), with the CPU profile written to
// cpuprofile. The brokers run in-process because their command has no
// profiling flag; the profile therefore holds every broker and the load
// generator (its frames are in franz-go's kgo and bench/broker; `go tool pprof
// -focus sluice/broker` keeps the brokers'). With security SecuritySASLSSL
// the brokers get the SASL_SSL listener of a SASL_SSL run and the load
// logs in over it, so the profile shows TLS and SCRAM.
func ProfileSluice(ctx context.Context, l Load, brokers int, sluice, security, cpuprofile string) error {
	brokers = max(brokers, 1)
	dir, err := os.MkdirTemp("", "kbench-profile-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	coord, err := testpeer.StartEnsemble(ctx, testpeer.EnsembleSpec{Kind: testpeer.KindSluice, Members: testpeer.CoordinatorMembers(brokers), Dir: dir, Sluice: sluice})
	if err != nil {
		return fmt.Errorf("sluice coordinator: %w", err)
	}
	defer coord.Stop()
	var sec *saslSSL
	if security == SecuritySASLSSL {
		if sec, err = newSASLSSL(filepath.Join(dir, "pki"), brokers); err != nil {
			return err
		}
	}
	var bs []*sluicebroker.Broker
	for i := range brokers {
		port, err := proc.FreePort()
		if err != nil {
			return err
		}
		cfg, err := testpeer.BrokerConfig(filepath.Join(dir, fmt.Sprintf("broker%d", i+1)), i+1, port, strings.Join(coord.Addrs(), ","), max(l.Replication, 1))
		if err == nil && sec != nil {
			sec.configureSluice(i+1, &cfg)
			err = cfg.Validate()
		}
		if err != nil {
			return err
		}
		b, err := sluicebroker.New(&cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			return err
		}
		bs = append(bs, b)
	}
	serve := func(ctx context.Context) error {
		errs := make(chan error, len(bs))
		for _, b := range bs {
			go func() { errs <- b.Run(ctx) }() // owned by serve, which waits for every Run
		}
		var all []error
		for range bs {
			all = append(all, <-errs)
		}
		return errors.Join(all...)
	}
	return compare.ProfileCPU(ctx, cpuprofile, serve, func(ctx context.Context) error {
		for _, b := range bs {
			l.Brokers = append(l.Brokers, b.Addr())
		}
		if err := proc.WaitReady(ctx, 250*time.Millisecond, func(ctx context.Context) error { return kadmin.ReadyBrokers(ctx, l.Brokers[0], len(bs)) }); err != nil {
			return fmt.Errorf("profile run: %w", err)
		}
		if sec != nil {
			if err := addUser(ctx, l.Brokers[0]); err != nil {
				return fmt.Errorf("profile run: %w", err)
			}
			opts, err := sec.ClientOpts()
			if err != nil {
				return err
			}
			lctx, cancel := context.WithTimeout(ctx, time.Minute)
			err = loggedIn(lctx, sec.Addrs(), nil, opts)
			cancel()
			if err != nil {
				return fmt.Errorf("profile run: %w", err)
			}
			l.Brokers, l.ClientOpts = sec.Addrs(), opts
		}
		rep, err := l.Run(ctx)
		if err != nil {
			return fmt.Errorf("profile run: %w", err)
		}
		return rep.Err()
	})
}
