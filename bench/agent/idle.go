package agent

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sluicelogs/sluice/internal/kadmin"
	"github.com/sluicelogs/sluice/testkit/proc"
)

// Idle is the memory of a `sluice agent` with one input of each kind
// (file, journald, syslog on TCP and UDP, container), idle after shipping
// a few lines of each.
type Idle struct {
	RSS, HWM int64 // the agent's VmRSS and VmHWM (its peak), bytes
	Child    string
	ChildRSS int64 // the journald input's journalctl child's VmRSS, bytes (none when it reads the files itself)
	Err      error
}

// idleLines is how many lines each input of the idle agent ships.
const idleLines = 10

// idleContainer is the container id of the idle agent's Docker log.
const idleContainer = "abe0c4a11dbe0c4a11dbe0c4a11dbe0c4a11dbe0c4a11dbe0c4a11dbe0c4a11d"

// measureIdle runs the idle agent under dir, shipping into a topic of the
// broker at addr, until its lines arrived, then lets it idle for cfg.Idle
// and reads its memory.
func measureIdle(ctx context.Context, cfg Config, cl *kgo.Client, addr, dir string) *Idle {
	id := &Idle{}
	id.Err = id.measure(ctx, cfg, cl, addr, dir)
	return id
}

func (id *Idle) measure(ctx context.Context, cfg Config, cl *kgo.Client, addr, dir string) error {
	small := File{Size: 100, Lines: idleLines}
	ctrDir := filepath.Join(dir, "containers", idleContainer)
	for _, d := range []string{filepath.Join(dir, "journal"), ctrDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	if err := WriteLines(filepath.Join(dir, "idle.log"), small); err != nil {
		return err
	}
	if err := WriteJournal(ctx, filepath.Join(dir, "journal", "abench.journal"), small); err != nil {
		return err
	}
	var docker strings.Builder
	for n := range idleLines {
		fmt.Fprintf(&docker, "{\"log\":%q,\"stream\":\"stdout\",\"time\":\"2024-12-04T05:00:00.%09dZ\"}\n", string(AppendLine(nil, n, 99))+"\n", n)
	}
	ctrLog := filepath.Join(ctrDir, idleContainer+"-json.log")
	if err := os.WriteFile(ctrLog, []byte(docker.String()), 0o644); err != nil {
		return err
	}
	tcp, err := proc.FreePort()
	if err != nil {
		return err
	}
	udp, err := proc.FreePort()
	if err != nil {
		return err
	}
	const topic = "abench-idle"
	if err := kadmin.CreateTopic(ctx, cl, topic, cfg.Partitions); err != nil {
		return err
	}
	yml := fmt.Sprintf(`# written by sluice-bench agent: one input of each kind
inputs:
  - id: file
    paths: [%q]
  - id: journald
    type: journald
    directory: %q
  - id: syslog
    type: syslog
    format: rfc3164
    protocol.tcp:
      host: 127.0.0.1:%d
    protocol.udp:
      host: 127.0.0.1:%d
  - id: container
    type: container
    paths: [%q]
output.kafka:
  hosts: [%q]
  topic: %q
registry:
  path: %q
`, filepath.Join(dir, "idle.log"), filepath.Join(dir, "journal"), tcp, udp, ctrLog, addr, topic, filepath.Join(dir, "registry"))
	conf := filepath.Join(dir, "agent.yml")
	if err := os.WriteFile(conf, []byte(yml), 0o644); err != nil {
		return err
	}
	p, err := proc.Start("sluice agent", exec.Command(cfg.Sluice, "agent", "-c", conf, "-e", "-metrics-addr", ""), filepath.Join(dir, "agent.log"))
	if err != nil {
		return err
	}
	defer p.Stop()
	rctx, cancel := context.WithTimeout(ctx, cfg.Limit)
	defer cancel()
	if err := SendTCP(rctx, fmt.Sprintf("127.0.0.1:%d", tcp), small); err != nil {
		return err
	}
	if err := SendUDP(rctx, fmt.Sprintf("127.0.0.1:%d", udp), small, 1000); err != nil {
		return err
	}
	const want = 5 * idleLines // file, journald, TCP, UDP, container
	err = proc.WaitReady(rctx, 10*time.Millisecond, func(ctx context.Context) error {
		n, err := endOffsets(ctx, cl, topic, cfg.Partitions)
		if err == nil && n != want {
			err = fmt.Errorf("%d of %d lines in topic %s", n, want, topic)
		}
		return err
	}, p)
	if err != nil {
		return fmt.Errorf("%w\n%s", err, p.Tail(20))
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(cfg.Idle):
	}
	if id.RSS, err = proc.StatusBytes(p.Pid(), "VmRSS"); err != nil {
		return err
	}
	if id.HWM, err = proc.StatusBytes(p.Pid(), "VmHWM"); err != nil {
		return err
	}
	for _, c := range Children(p.Pid()) {
		if comm := proc.Comm(c); comm == "journalctl" {
			id.Child = comm
			if id.ChildRSS, err = proc.RSS(c); err != nil {
				return err
			}
		}
	}
	return nil // no journalctl child: the journald input reads the files itself
}
