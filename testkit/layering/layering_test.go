// Package layering holds only TestLayering, which enforces the module's
// layering with `go list -deps`:
//
//   - no product package (everything but bench/..., testkit/... and
//     cmd/sluice-bench) depends on a bench or test-harness package, so
//     bin/sluice links none of their code;
//   - nothing under internal/ depends on a component (agent, broker,
//     coordinator, indexer, pipelines, up): internal/ holds what components
//     share, below them.
//
// Only the packages' own files count, not their tests: a component's tests
// use testkit, and internal/loggen's test checks its lines with pipelines.
package layering

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// component reports whether rel (an import path relative to the module)
// is in one of the product's components.
func component(rel string) bool {
	for _, c := range []string{"agent", "broker", "coordinator", "indexer", "pipelines", "up"} {
		if under(rel, c) {
			return true
		}
	}
	return false
}

// harness reports whether rel (an import path relative to the module) is
// bench or test-harness code.
func harness(rel string) bool {
	return under(rel, "bench") || under(rel, "testkit") || rel == "cmd/sluice-bench"
}

// under reports whether rel is dir or a package below it.
func under(rel, dir string) bool { return rel == dir || strings.HasPrefix(rel, dir+"/") }

// violations returns a line for every dependency that breaks the layering,
// given each package of module with its dependencies (transitive, as
// `go list -deps` lists them).
func violations(module string, deps map[string][]string) []string {
	var out []string
	for pkg, ds := range deps {
		rel, ok := strings.CutPrefix(pkg, module+"/")
		if !ok {
			continue
		}
		for _, d := range ds {
			drel, ok := strings.CutPrefix(d, module+"/")
			if !ok {
				continue
			}
			switch {
			case !harness(rel) && harness(drel):
				out = append(out, pkg+" (product) depends on "+d+" (bench or test harness)")
			case under(rel, "internal") && component(drel):
				out = append(out, pkg+" (internal) depends on "+d+" (a component)")
			}
		}
	}
	slices.Sort(out)
	return out
}

func TestLayering(t *testing.T) {
	mod, err := exec.Command("go", "list", "-m").Output()
	if err != nil {
		t.Fatalf("go list -m: %v", err)
	}
	module := strings.TrimSpace(string(mod))
	// One line per package of the module: its import path, then its
	// dependencies (all of them, not only direct imports).
	cmd := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Deps}} {{.}}{{end}}`, module+"/...")
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("%s: %v\n%s", cmd, err, stderr)
	}
	deps := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		deps[f[0]] = f[1:]
	}
	for _, must := range []string{module + "/cmd/sluice", module + "/internal/kadmin", module + "/bench/broker"} {
		if _, ok := deps[must]; !ok {
			t.Fatalf("go list did not list %s: is the module layout still the one this test knows?", must)
		}
	}
	for _, v := range violations(module, deps) {
		t.Error(v)
	}
}

// TestViolations checks that the rules catch what they are for, and only
// that.
func TestViolations(t *testing.T) {
	const m = "example.com/m"
	deps := map[string][]string{
		m + "/cmd/sluice":        {m + "/broker", m + "/internal/config", "fmt"},
		m + "/cmd/sluice-bench":  {m + "/bench/broker", m + "/testkit/testpeer"},
		m + "/bench/broker":      {m + "/broker", m + "/testkit/testpeer"},
		m + "/testkit/testpeer":  {m + "/coordinator/zkproto", m + "/testkit/proc"},
		m + "/broker":            {m + "/internal/config", m + "/coordinator/zkproto"},
		m + "/up":                {m + "/testkit/proc"}, // bad
		m + "/internal/kadmin":   {m + "/internal/config"},
		m + "/internal/loggen":   {m + "/pipelines"},     // bad
		m + "/internal/metrics":  {m + "/bench/latency"}, // bad
		m + "/upstream":          {m + "/up"},            // not under up/
		m + "/internal/brokerly": {m + "/brokers/x"},     // not a component
		"other.org/x":            {m + "/bench/broker"},  // not ours
	}
	got := violations(m, deps)
	want := []string{
		m + "/internal/loggen (internal) depends on " + m + "/pipelines (a component)",
		m + "/internal/metrics (product) depends on " + m + "/bench/latency (bench or test harness)",
		m + "/up (product) depends on " + m + "/testkit/proc (bench or test harness)",
	}
	if !slices.Equal(got, want) {
		t.Errorf("violations:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestNoTypedAPI: no package of the module, nor any of its tests, depends
// on go-elasticsearch's typed API (the client's root package and esutil
// import its 858 packages, which made most of a fresh build, twice over in
// `make test`: vet, then -race). The indexer uses esapi over
// elastictransport; only sluice-bench built with -tags esceiling links
// esutil, for the indexer bench's ceiling.
func TestNoTypedAPI(t *testing.T) {
	const typed = "github.com/elastic/go-elasticsearch/v8/typedapi"
	cmd := exec.Command("go", "list", "-deps", "-test", "-f", `{{.ImportPath}}`, "./...")
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v", cmd, err)
	}
	pkgs := strings.Fields(string(out))
	if !slices.Contains(pkgs, "github.com/elastic/go-elasticsearch/v8/esapi") {
		t.Fatalf("go list did not list esapi: does the indexer still use go-elasticsearch?")
	}
	n := 0
	for _, p := range pkgs {
		if under(p, typed) {
			n++
		}
	}
	if n > 0 {
		t.Errorf("the module's packages and tests depend on %d typed-API packages; who imports them: go list -deps -test -f '{{.ImportPath}}: {{.Imports}}' ./... | grep go-elasticsearch/v8", n)
	}
}
