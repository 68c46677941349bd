package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicelogs/sluice/agent"
	"github.com/sluicelogs/sluice/internal/metrics"
)

// runAgent is `sluice agent [-c agent.yml] [-e] [test config|test output]`.
func runAgent(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("sluice agent", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	cfgPath := fs.String("c", agent.DefaultConfigPath, "the agent's configuration (agent.yml, keys as in filebeat.yml)")
	toStderr := fs.Bool("e", false, "log to stderr (else to agent.log in registry.path)")
	// Loopback by default, as Filebeat's http.host: localhost: the metrics
	// describe the host's files and are nobody else's business unless the
	// operator names another address.
	metricsAddr := fs.String("metrics-addr", "127.0.0.1:5066", "host:port serving Prometheus /metrics (empty: none; 0.0.0.0:5066 for every interface)")
	profile := cpuProfileFlag(fs)
	logEnv := *e // its stderr becomes agent.log without -e
	logger := logFlags(fs, &logEnv)
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "Usage: sluice agent [flags]              ship log files to Kafka topics\n"+
			"       sluice agent test config [flags]  check the configuration\n"+
			"       sluice agent test output [flags]  connect to the brokers and report what they have\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	rest := fs.Args()
	if len(rest) > 0 && rest[0] == "test" {
		if len(rest) < 2 {
			return errors.New("`agent test` needs config or output")
		}
		what := rest[1]
		if len(rest) > 2 {
			return fmt.Errorf("unexpected arguments %v", rest[2:])
		}
		cfg, err := agent.LoadConfig(*cfgPath)
		if err != nil {
			return err
		}
		switch what {
		case "config":
			fmt.Fprintf(e.stdout, "Config OK: %s (%d inputs, output kafka %s)\n", *cfgPath, len(cfg.Inputs), strings.Join(cfg.Output.Kafka.Hosts, ","))
			return nil
		case "output":
			return agentTestOutput(ctx, e, cfg)
		}
		return fmt.Errorf("`agent test %s`: want config or output", what)
	}
	if len(rest) > 0 {
		return fmt.Errorf("unexpected arguments %v", rest)
	}
	cfg, err := agent.LoadConfig(*cfgPath)
	if err != nil {
		return err
	}
	if !*toStderr {
		if err := os.MkdirAll(cfg.Registry.Path, 0o750); err != nil {
			return err
		}
		f, err := os.OpenFile(filepath.Join(cfg.Registry.Path, "agent.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o640)
		if err != nil {
			return err
		}
		defer f.Close()
		logEnv.stderr = f
	}
	log, err := logger()
	if err != nil {
		return err
	}
	stopProfile, err := profile()
	if err != nil {
		return err
	}
	defer stopProfile()
	reg := metrics.NewRegistry()
	a, err := agent.New(cfg, version, reg, log)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	var merr error
	if *metricsAddr != "" {
		// The metrics never stop the shipping: Serve retries a port that is
		// taken (as by the agent this one replaces after a kill -9), and a
		// serving error is reported when the agent ends.
		wg.Add(1)
		go func() { // stopped by cancel below, waited for by wg
			defer wg.Done()
			merr = metrics.Serve(ctx, *metricsAddr, reg, log, func(addr string) {
				fmt.Fprintf(e.stderr, "sluice agent: metrics on http://%s/metrics\n", addr)
			})
			if merr != nil {
				log.Error("metrics endpoint stopped; shipping goes on", "err", merr)
			}
		}()
	}
	err = a.Run(ctx)
	cancel()
	wg.Wait()
	return errors.Join(err, merr)
}

// agentTestOutput connects to the brokers and prints what it found.
func agentTestOutput(ctx context.Context, e *env, cfg *agent.Config) error {
	k := cfg.Output.Kafka
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(k.Hosts...), kgo.ClientID(k.ClientID)}, k.Kafka.Options()...)...)
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	req := kmsg.NewPtrMetadataRequest()
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return fmt.Errorf("kafka output: no broker of %s answered: %w", strings.Join(k.Hosts, ","), err)
	}
	fmt.Fprintf(e.stdout, "kafka output: %s\n", strings.Join(k.Hosts, ","))
	for _, b := range resp.Brokers {
		fmt.Fprintf(e.stdout, "  broker %d at %s:%d ... OK\n", b.NodeID, b.Host, b.Port)
	}
	var topics []string
	for _, t := range resp.Topics {
		if t.Topic != nil && !strings.HasPrefix(*t.Topic, "__") {
			topics = append(topics, fmt.Sprintf("%s (%d partitions)", *t.Topic, len(t.Partitions)))
		}
	}
	sort.Strings(topics)
	fmt.Fprintf(e.stdout, "  topic format: %s\n  topics: %s\n", k.Topic, strings.Join(topics, ", "))
	return nil
}
