package agent

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sluicelogs/sluice/agent/journal"
	"github.com/sluicelogs/sluice/agent/journalfile"
	"github.com/sluicelogs/sluice/testkit/journaltest"
)

// filterJournal writes entries that the filters below tell apart.
func filterJournal(t *testing.T) string {
	t.Helper()
	if err := journaltest.Tools(); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	units := []string{"a.service", "b.service", "s.slice", "c.scope"}
	for i := range 200 {
		fmt.Fprintf(&b, "__REALTIME_TIMESTAMP=%d\n__MONOTONIC_TIMESTAMP=%d\n_BOOT_ID=0123456789abcdef0123456789abcdef\n", 1700000000000000+i*1000, 1000+i*10)
		fmt.Fprintf(&b, "MESSAGE=m%03d %s\n_SYSTEMD_UNIT=%s\nSYSLOG_IDENTIFIER=%s\n", i, strings.Repeat("v", i*7%400), units[i%4], []string{"x", "y", "z"}[i%3])
		fmt.Fprintf(&b, "SYSLOG_FACILITY=%d\n_TRANSPORT=%s\nP=%d\n_UID=%d\n", []int{1, 3}[i%2], []string{"journal", "syslog", "stdout"}[i%3], i%5, i%7%2)
		switch i % 11 {
		case 1:
			fmt.Fprintf(&b, "_PID=1\nUNIT=%s\n", units[i%3])
		case 2:
			fmt.Fprintf(&b, "OBJECT_SYSTEMD_UNIT=%s\n", units[(i+1)%4])
		case 3:
			fmt.Fprintf(&b, "MESSAGE_ID=fc2e22bc6ee647b6b90729ab34a250b1\nCOREDUMP_UNIT=a.service\n")
		case 4:
			fmt.Fprintf(&b, "_SYSTEMD_SLICE=s.slice\n")
		}
		b.WriteString("\n")
	}
	dir := t.TempDir()
	if err := journaltest.Write(context.Background(), filepath.Join(dir, "f.journal"), &b); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestJournalNativeLikeJournalctl: for each set of filters, the entries
// the input takes from the files themselves are those journalctl prints
// with the arguments the input gives it, field by field as the journalctl
// reader decodes them (so the events are the same), max_bytes included.
func TestJournalNativeLikeJournalctl(t *testing.T) {
	dir := filterJournal(t)
	for _, c := range []JournaldConfig{
		{},
		{Units: []string{"a"}},
		{Units: []string{"a.service", "s.slice"}},
		{SyslogIdentifiers: []string{"x", "y"}},
		{Facilities: []int{3}, DottedIncludeMatch: []string{"_TRANSPORT=syslog", "+", "SYSLOG_IDENTIFIER=y"}},
		{DottedIncludeMatch: []string{"P=1", "P=2", "SYSLOG_IDENTIFIER=x"}, Transports: []string{"journal"}},
		{Units: []string{"b"}, SyslogIdentifiers: []string{"y"}, Facilities: []int{1}, DottedIncludeMatch: []string{"P=1", "+", "P=2"}, Transports: []string{"syslog"}},
	} {
		t.Run(fmt.Sprintf("%+v", c), func(t *testing.T) {
			cfg := &InputConfig{JournaldConfig: c}
			cfg.Directory, cfg.Seek, cfg.CursorSeekFallback, cfg.MaxBytes = dir, "head", "head", 1300
			j := &journaldInput{input: &input{cfg: cfg}}
			args := slices.DeleteFunc(j.args(), func(a string) bool { return a == "--follow" })
			out, err := exec.Command("journalctl", args...).Output()
			if err != nil {
				t.Fatalf("journalctl %q: %v", args, err)
			}
			want := decodeAll(t, journal.NewReader(bytes.NewReader(out), cfg.MaxBytes))

			filter, err := journalFilterOf(&c)
			if err != nil {
				t.Fatal(err)
			}
			jr, err := journalfile.OpenJournal([]string{dir}, journalfile.Options{}, t.Logf)
			if err != nil {
				t.Fatal(err)
			}
			defer jr.Close()
			var got []string
			var conv nativeEntry
			for {
				e, err := jr.Next()
				if err != nil {
					t.Fatal(err)
				}
				if e == nil {
					break
				}
				if filter.match(e.Fields) {
					got = append(got, entryText(conv.entry(e, cfg.MaxBytes)))
				}
			}
			if len(want) == 0 && len(c.Units)+len(c.SyslogIdentifiers)+len(c.matches()) > 0 {
				t.Logf("journalctl took none")
			}
			if len(got) != len(want) {
				t.Fatalf("%d entries, journalctl %d", len(got), len(want))
			}
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("entry %d:\n%s\njournalctl:\n%s", i, got[i], want[i])
				}
			}
			t.Logf("%d entries", len(got))
		})
	}
}

func decodeAll(t *testing.T, r *journal.Reader) []string {
	var all []string
	for {
		e, err := r.Next()
		if errors.Is(err, io.EOF) {
			return all
		}
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, entryText(e))
	}
}

func entryText(e *journal.Entry) string {
	var b strings.Builder
	for _, f := range e.Fields {
		fmt.Fprintf(&b, "%s=%q\n", f.Name, f.Value)
	}
	fmt.Fprintf(&b, "truncated %v", e.Truncated)
	return b.String()
}
