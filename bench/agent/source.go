package agent

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// The sources a comparison reads from.
const (
	SourceFile      = "file"       // pre-written files: sluice's file input, rsyslog's imfile
	SourceJournald  = "journald"   // a pre-written journal file: sluice's journald input, rsyslog's imjournal
	SourceSyslogTCP = "syslog-tcp" // RFC 3164 over TCP from the bench's sender: sluice's syslog input, rsyslog's imtcp
	SourceSyslogUDP = "syslog-udp" // the same over UDP at a fixed offered rate: sluice's syslog input, rsyslog's imudp
)

// Sources are every source, in the order the table lists them.
var Sources = []string{SourceFile, SourceJournald, SourceSyslogTCP, SourceSyslogUDP}

// DefaultMessages is the journald and syslog workload: as many messages
// as make a row of about the file rows' duration.
var DefaultMessages = File{Size: 100, Lines: 300000}

// DefaultUDPRate is the syslog-udp messages per second offered: one both
// shippers take on this machine without losing any to the kernel.
const DefaultUDPRate = 20000

// udpStall ends a syslog-udp run whose topic has not grown this long after
// the sender finished: the rest was lost.
const udpStall = 3 * time.Second

// maxUDPLoss is the share of lost syslog-udp messages reported as a loss;
// more fails the run (the offered rate is too high for the shipper).
const maxUDPLoss = 0.01

// ParseSources reads -sources: names from Sources separated by commas.
func ParseSources(s string) ([]string, error) {
	var out []string
	for _, name := range strings.Split(s, ",") {
		name = strings.TrimSpace(name)
		if !slices.Contains(Sources, name) {
			return nil, fmt.Errorf("-sources %q: %q is none of %s", s, name, strings.Join(Sources, ", "))
		}
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out, nil
}

// job is one workload of one source, shipped by every target in turn.
type job struct {
	source string
	f      File
	path   string // file: the file; journald: the directory of the journal file
}

// prepare writes the workloads of source src under dir.
func prepare(ctx context.Context, progress io.Writer, dir, src string, cfg Config) ([]job, error) {
	switch src {
	case SourceFile:
		var jobs []job
		for _, f := range cfg.Files {
			path := filepath.Join(dir, fmt.Sprintf("lines-%d-%d.log", f.Size, f.Lines))
			fmt.Fprintf(progress, "abench: writing %s (%.1f MiB)\n", path, float64(f.Bytes())/(1<<20))
			if err := WriteLines(path, f); err != nil {
				return nil, err
			}
			jobs = append(jobs, job{source: src, f: f, path: path})
		}
		return jobs, nil
	case SourceJournald:
		jdir := filepath.Join(dir, fmt.Sprintf("journal-%d-%d", cfg.Messages.Size, cfg.Messages.Lines))
		fmt.Fprintf(progress, "abench: writing %d journal entries into %s\n", cfg.Messages.Lines, jdir)
		if err := os.MkdirAll(jdir, 0o755); err != nil {
			return nil, err
		}
		if err := WriteJournal(ctx, filepath.Join(jdir, "abench.journal"), cfg.Messages); err != nil {
			return nil, err
		}
		return []job{{source: src, f: cfg.Messages, path: jdir}}, nil
	case SourceSyslogTCP, SourceSyslogUDP:
		if cfg.Messages.Size < minSyslogSize {
			return nil, fmt.Errorf("%s: messages of %d bytes: at least %d hold the header", src, cfg.Messages.Size, minSyslogSize)
		}
		return []job{{source: src, f: cfg.Messages}}, nil
	}
	return nil, fmt.Errorf("abench: unknown source %q", src)
}
