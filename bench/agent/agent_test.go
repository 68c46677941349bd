package agent

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// TestSluiceShipsEveryLine runs the sluice side only on a tiny file against
// a coordinator and broker started as processes, and checks that every line
// arrived and what the table holds, not how fast anything was.
func TestSluiceShipsEveryLine(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	f := File{Size: 100, Lines: 2000}
	cfg := Config{
		Targets: []string{TargetSluice},
		Files:   []File{f},
		Limit:   30 * time.Second,
		Sluice:  testpeer.SluiceBinary(t),
		Dir:     t.TempDir(),
	}
	results, err := Compare(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 1 {
		t.Fatalf("%d results, want 1", len(results))
	}
	r := results[0]
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	if r.Arrived != int64(f.Lines) || r.Elapsed <= 0 {
		t.Errorf("%d of %d lines arrived in %v", r.Arrived, f.Lines, r.Elapsed)
	}
	var out bytes.Buffer
	if err := WriteTable(&out, results); err != nil {
		t.Fatal(err)
	}
	t.Logf("table:\n%s", out.String())
	if !strings.Contains(out.String(), f.Name()) || !strings.Contains(out.String(), "rsyslog lines/s") {
		t.Errorf("table lacks the row or the header:\n%s", out.String())
	}
}

func TestWriteLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.log")
	f := File{Size: 37, Lines: 50}
	if err := WriteLines(path, f); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(b), "\n")
	if int64(len(b)) != f.Bytes() || len(lines) != f.Lines+1 || lines[f.Lines] != "" {
		t.Fatalf("%d bytes, %d lines", len(b), len(lines)-1)
	}
	for i, l := range lines[:f.Lines] {
		if len(l) != f.Size || !strings.HasPrefix(l, "seq=") {
			t.Fatalf("line %d: %q", i, l)
		}
	}
}

func TestCPUTime(t *testing.T) {
	cpu, err := CPUTime(os.Getpid())
	if err != nil || cpu < 0 {
		t.Fatalf("CPUTime: %v, %v", cpu, err)
	}
}
