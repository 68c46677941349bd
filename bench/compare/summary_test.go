package compare

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSummaryAppendReadWrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "summary.tsv")
	first := []Row{
		{Component: "coordinator", Measure: "create ops/s, 1 member", Sluice: 12000, Anchor: "ZooKeeper 3.8", AnchorValue: 10000, Goal: ">=1x"},
		{Component: "coordinator", Measure: "create p99 ms, 1 member", Sluice: 9.126, Anchor: "ZooKeeper 3.8", AnchorValue: 6.5, Goal: "<1x"},
	}
	second := []Row{
		{Component: "e2e", Measure: "line → searchable p99 ms", Sluice: 1850, Goal: "<2000"},
		{Component: "e2e", Measure: "line → searchable p50 ms", Sluice: 900},
		{Component: "indexer", Measure: "events/s", Sluice: -1, Anchor: "raw BulkIndexer", AnchorValue: 18100, Goal: ">= 0.9x"},
	}
	if err := AppendSummary(path, first); err != nil {
		t.Fatal(err)
	}
	if err := AppendSummary(path, second); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	want := []string{
		summaryHeader,
		"coordinator\tcreate ops/s, 1 member\t12000\tZooKeeper 3.8\t10000\t1.20\t>=1x",
		"coordinator\tcreate p99 ms, 1 member\t9.126\tZooKeeper 3.8\t6.5\t1.40\t<1x",
		"e2e\tline → searchable p99 ms\t1850\t-\t-\t-\t<2000",
		"e2e\tline → searchable p50 ms\t900\t-\t-\t-\t-",
		"indexer\tevents/s\t-\traw BulkIndexer\t18100\t-\t>= 0.9x",
	}
	if len(lines) != len(want) {
		t.Fatalf("file:\n%s\nwant %d lines", b, len(want))
	}
	for i := range want {
		if lines[i] != want[i] {
			t.Errorf("line %d = %q, want %q", i+1, lines[i], want[i])
		}
	}

	rows, err := ReadSummary(path)
	if err != nil {
		t.Fatal(err)
	}
	all := append(append([]Row{}, first...), second...)
	all[4].Sluice = 0 // written as "-", read back as not measured
	if len(rows) != len(all) {
		t.Fatalf("read %d rows, want %d", len(rows), len(all))
	}
	for i := range all {
		if rows[i] != all[i] {
			t.Errorf("row %d = %+v, want %+v", i, rows[i], all[i])
		}
	}

	var out bytes.Buffer
	if err := WriteSummary(&out, rows); err != nil {
		t.Fatal(err)
	}
	t.Logf("table:\n%s", out.String())
	got := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	wantTable := []string{
		"component    measure                   sluice  anchor           anchor value  sluice/anchor  goal    met",
		"coordinator  create ops/s, 1 member     12000  ZooKeeper 3.8           10000          1.20×  ≥ 1×    yes",
		"             create p99 ms, 1 member     9.13  ZooKeeper 3.8            6.50          1.40×  < 1×    NO",
		"e2e          line → searchable p99 ms    1850  -                           -              -  < 2000  yes",
		"             line → searchable p50 ms     900  -                           -              -  -       -",
		"indexer      events/s                       -  raw BulkIndexer         18100              -  ≥ 0.9×  -",
	}
	if len(got) != len(wantTable) {
		t.Fatalf("table has %d lines, want %d", len(got), len(wantTable))
	}
	for i := range wantTable {
		if got[i] != wantTable[i] {
			t.Errorf("table line %d:\n got %q\nwant %q", i+1, got[i], wantTable[i])
		}
	}
}

func TestSummaryRejects(t *testing.T) {
	dir := t.TempDir()
	for _, r := range []Row{
		{Measure: "no component"},
		{Component: "x", Measure: "tab\there"},
		{Component: "x", Measure: "m", Goal: "at least 1"},
		{Component: "x", Measure: "m", Goal: ">=fast"},
	} {
		if err := AppendSummary(filepath.Join(dir, "s.tsv"), []Row{r}); err == nil {
			t.Errorf("AppendSummary accepted %+v", r)
		}
	}
	bad := filepath.Join(dir, "bad.tsv")
	if err := os.WriteFile(bad, []byte("broker\trecords/s\t12\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadSummary(bad); err == nil || !strings.Contains(err.Error(), "bad.tsv:1") {
		t.Errorf("ReadSummary of a short line: %v, want an error naming bad.tsv:1", err)
	}
	if _, err := ReadSummary(filepath.Join(dir, "missing.tsv")); err == nil {
		t.Error("ReadSummary of a missing file succeeded")
	}
}

func TestRowMet(t *testing.T) {
	for _, c := range []struct {
		r       Row
		met, ok bool
	}{
		{Row{Sluice: 2, AnchorValue: 1, Goal: ">=2x"}, true, true},
		{Row{Sluice: 1.9, AnchorValue: 1, Goal: ">=2x"}, false, true},
		{Row{Sluice: 1, AnchorValue: 1, Goal: "<1x"}, false, true},
		{Row{Sluice: 1, AnchorValue: 1, Goal: "<=1x"}, true, true},
		{Row{Sluice: 140, Goal: "<150"}, true, true},
		{Row{Sluice: 160, AnchorValue: 400, Goal: "<150"}, false, true},
		{Row{Sluice: 3, Goal: ">2"}, true, true},
		{Row{Sluice: 3, Goal: ">=1x"}, false, false}, // no anchor value
		{Row{Sluice: 0, Goal: "<150"}, false, false}, // not measured
		{Row{Sluice: 3}, false, false},               // no goal
	} {
		met, ok := c.r.Met()
		if met != c.met || ok != c.ok {
			t.Errorf("%+v: Met() = %v, %v; want %v, %v", c.r, met, ok, c.met, c.ok)
		}
	}
	for _, c := range []struct {
		v    float64
		want string
	}{{123456.7, "123457"}, {99.94, "99.9"}, {9.126, "9.13"}, {0, "-"}, {-1, "-"}} {
		if got := Num(c.v); got != c.want {
			t.Errorf("Num(%v) = %q, want %q", c.v, got, c.want)
		}
	}
}
