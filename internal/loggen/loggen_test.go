package loggen

import (
	"bufio"
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sluicelogs/sluice/pipelines"
	"github.com/sluicelogs/sluice/testkit/proc"
)

// TestLinesParse: every kind of line goes through its example pipeline
// without an error and with the fields the pipeline parses.
func TestLinesParse(t *testing.T) {
	root, err := proc.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		pipeline string
		line     func(*rand.Rand, time.Time) string
		field    string // a field only a successful parse sets
	}{
		{"nginx", Nginx, "http.response.status_code"},
		{"syslog", Syslog, "process.name"},
		{"app-json", AppJSON, "log.level"},
	} {
		t.Run(tc.pipeline, func(t *testing.T) {
			p, err := pipelines.Load(filepath.Join(root, "examples", "pipelines", tc.pipeline+".yml"), pipelines.Options{})
			if err != nil {
				t.Fatal(err)
			}
			r := rand.New(rand.NewPCG(1, 2))
			at := time.Date(2024, 5, 1, 12, 0, 0, 0, time.Local)
			kept := 0
			for i := range 500 {
				line := tc.line(r, at.Add(time.Duration(i)*time.Second))
				out, dropped, err := p.Run(pipelines.Event{"message": line})
				if err != nil {
					t.Fatalf("%q: %v", line, err)
				}
				if dropped {
					continue
				}
				kept++
				if _, ok := out["error"]; ok {
					t.Fatalf("%q: %v", line, out["error"])
				}
				if v, ok := lookup(out, tc.field); !ok || v == nil {
					t.Fatalf("%q: no %s in %v", line, tc.field, out)
				}
			}
			if kept < 300 {
				t.Errorf("only %d of 500 lines kept", kept)
			}
		})
	}
}

func lookup(ev map[string]any, dotted string) (any, bool) {
	var cur any = map[string]any(ev)
	start := 0
	for i := 0; i <= len(dotted); i++ {
		if i < len(dotted) && dotted[i] != '.' {
			continue
		}
		m, ok := cur.(map[string]any)
		if !ok {
			if e, isEv := cur.(pipelines.Event); isEv {
				m = e
			} else {
				return nil, false
			}
		}
		cur, ok = m[dotted[start:i]]
		if !ok {
			return nil, false
		}
		start = i + 1
	}
	return cur, true
}

// TestGeneratorLines: a bounded run writes exactly Lines whole lines over
// the three files.
func TestGeneratorLines(t *testing.T) {
	dir := t.TempDir()
	g := &Generator{Dir: dir, Rate: 5000, Seed: 7, Lines: 1000}
	n, err := g.Run(context.Background())
	if err != nil || n != 1000 {
		t.Fatalf("Run = %d, %v", n, err)
	}
	total := 0
	for _, k := range Kinds {
		f, err := os.Open(filepath.Join(dir, k.File))
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			total++
		}
		f.Close()
	}
	if total != 1000 {
		t.Errorf("%d lines in the files, want 1000", total)
	}
}
