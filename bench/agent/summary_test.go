package agent

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestSummaryRows(t *testing.T) {
	f := File{Size: 100, Lines: 1000}
	rows := SummaryRows([]Result{
		{Target: TargetSluice, Source: SourceFile, File: f, Arrived: 1000, Elapsed: time.Second, CPU: 250 * time.Millisecond},
		{Target: TargetRsyslog, Source: SourceFile, File: f, Arrived: 1000, Elapsed: 2 * time.Second, CPU: time.Second},
		{Target: TargetSluice, Source: SourceJournald, File: f, Arrived: 1000, Elapsed: time.Second, CPU: time.Second},
		{Target: TargetRsyslog, Source: SourceJournald, File: f, Arrived: 1000, Elapsed: time.Second, CPU: 3 * time.Second},
		{Target: TargetSluice, Source: SourceSyslogUDP, File: f, Arrived: 990, Elapsed: time.Second, CPU: time.Second},
		{Target: TargetRsyslog, Queue: QueueMemory, Source: SourceSyslogUDP, File: f, Arrived: 1000, Elapsed: time.Second, CPU: 2 * time.Second},
		{Target: TargetRsyslog, Queue: QueueDisk, Source: SourceSyslogUDP, File: f, Arrived: 1000, Elapsed: time.Second, CPU: 4 * time.Second},
	}, &Idle{RSS: 21 << 20, HWM: 25 << 20})
	want := []string{
		"lines/s, 100 B lines", "lines per CPU s, 100 B lines",
		"lines/s, journald, 100 B messages", "lines per CPU s, journald, 100 B messages",
		"lines per CPU s, syslog-udp, 100 B messages", // no lines/s: the offered rate
		"lines per CPU s, syslog-udp, 100 B messages", // against rsyslog's disk queue
		"idle RSS MiB, all four inputs",
	}
	if len(rows) != len(want) {
		t.Fatalf("rows %+v", rows)
	}
	for i, r := range rows {
		if r.Measure != want[i] {
			t.Errorf("row %d: %q, want %q", i, r.Measure, want[i])
		}
	}
	if rows[0].Ratio() != 2 || rows[1].Ratio() != 4 || rows[1].Goal != ">=2x" || rows[1].Anchor != "rsyslog imfile→omkafka" {
		t.Errorf("file rows %+v", rows[:2])
	}
	if rows[3].Ratio() != 3 || rows[3].Goal != ">=2x" || rows[3].Anchor != "rsyslog imjournal→omkafka" {
		t.Errorf("journald row %+v", rows[3])
	}
	// lines/CPU s counts the messages that arrived: 990/1 against 1000/2.
	// The goal holds against rsyslog with its queue on disk only: its
	// memory queue does not keep what it accepted.
	if rows[4].Sluice != 990 || rows[4].AnchorValue != 500 || rows[4].Anchor != "rsyslog imudp→omkafka" || rows[4].Goal != "" {
		t.Errorf("udp row %+v", rows[4])
	}
	if rows[5].Sluice != 990 || rows[5].AnchorValue != 250 || rows[5].Anchor != "rsyslog imudp→disk queue→omkafka" || rows[5].Goal != ">=2x" {
		t.Errorf("udp row against the disk queue %+v", rows[5])
	}
	if rows[6].Sluice != 21 || rows[6].Goal != "<30" {
		t.Errorf("idle row %+v", rows[6])
	}
}

func TestWriteTableSources(t *testing.T) {
	f := File{Size: 100, Lines: 1000}
	var out bytes.Buffer
	err := WriteTable(&out, []Result{
		{Target: TargetSluice, Source: SourceSyslogTCP, File: f, Arrived: 1000, Elapsed: time.Second, CPU: time.Second},
		{Target: TargetRsyslog, Queue: QueueMemory, Source: SourceSyslogTCP, File: f, Arrived: 1000, Elapsed: time.Second, CPU: 2 * time.Second},
		{Target: TargetRsyslog, Queue: QueueDisk, Source: SourceSyslogTCP, File: f, Arrived: 1000, Elapsed: time.Second, CPU: 5 * time.Second},
		{Target: TargetSluice, Source: SourceSyslogUDP, File: f, Arrived: 995, Elapsed: time.Second, CPU: time.Second},
	})
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	first := func(i int) string { return strings.Fields(lines[i])[0] }
	if len(lines) != 5 || first(0) != "source" || first(1) != "syslog-tcp" || first(2) != "syslog-tcp" || first(3) != "syslog-udp" {
		t.Fatalf("table:\n%s", out.String())
	}
	for i, want := range []struct{ queue, ratio string }{{"memory", "2.00"}, {"disk", "5.00"}, {"-", "-"}} {
		f := strings.Fields(lines[i+1])
		if f[5] != want.queue || f[len(f)-1] != want.ratio {
			t.Errorf("row %d: queue %q, lines/CPU s ratio %q; want %q, %q: %q", i+1, f[5], f[len(f)-1], want.queue, want.ratio, lines[i+1])
		}
	}
	if lines[4] != "sluice syslog-udp: 995 of 1000 messages arrived, 5 lost (0.50 %)" {
		t.Errorf("loss line %q", lines[3])
	}
}

func TestParseSources(t *testing.T) {
	got, err := ParseSources("journald, syslog-udp,journald")
	if err != nil || strings.Join(got, ",") != "journald,syslog-udp" {
		t.Errorf("ParseSources: %v, %v", got, err)
	}
	if _, err := ParseSources("file,syslog"); err == nil {
		t.Error("ParseSources accepted syslog")
	}
}
