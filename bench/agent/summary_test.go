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
		{Target: TargetRsyslog, Source: SourceSyslogUDP, File: f, Arrived: 1000, Elapsed: time.Second, CPU: 2 * time.Second},
	}, &Idle{RSS: 21 << 20, HWM: 25 << 20})
	want := []string{
		"lines/s, 100 B lines", "lines per CPU s, 100 B lines",
		"lines/s, journald, 100 B messages", "lines per CPU s, journald, 100 B messages",
		"lines per CPU s, syslog-udp, 100 B messages", // no lines/s: the offered rate
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
	if rows[4].Sluice != 990 || rows[4].AnchorValue != 500 {
		t.Errorf("udp row %+v", rows[4])
	}
	if rows[5].Sluice != 21 || rows[5].Goal != "<30" {
		t.Errorf("idle row %+v", rows[5])
	}
}

func TestWriteTableSources(t *testing.T) {
	f := File{Size: 100, Lines: 1000}
	var out bytes.Buffer
	err := WriteTable(&out, []Result{
		{Target: TargetSluice, Source: SourceSyslogTCP, File: f, Arrived: 1000, Elapsed: time.Second, CPU: time.Second},
		{Target: TargetRsyslog, Source: SourceSyslogTCP, File: f, Arrived: 1000, Elapsed: time.Second, CPU: 2 * time.Second},
		{Target: TargetSluice, Source: SourceSyslogUDP, File: f, Arrived: 995, Elapsed: time.Second, CPU: time.Second},
	})
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	first := func(i int) string { return strings.Fields(lines[i])[0] }
	if len(lines) != 4 || first(0) != "source" || first(1) != "syslog-tcp" || first(2) != "syslog-udp" {
		t.Fatalf("table:\n%s", out.String())
	}
	if tcp := strings.Fields(lines[1]); tcp[len(tcp)-1] != "2.00" {
		t.Errorf("the tcp row's lines/CPU s ratio is not 2.00: %q", lines[1])
	}
	if lines[3] != "sluice syslog-udp: 995 of 1000 messages arrived, 5 lost (0.50 %)" {
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
