package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestIndexerConfigErrors: `sluice indexer -c` with a bad config exits 1
// naming file:line: key, before connecting to anything.
func TestIndexerConfigErrors(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "indexer.yml")
	text := "kafka: {hosts: [\"127.0.0.1:9092\"], group: g}\nroutes:\n  - topics: [logs-nginx]\n    indx: logs\n"
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runArgs("indexer", "-c", path, "-metrics", "")
	if code != 1 || !strings.Contains(errOut, path+":4: routes[0].indx: unknown key") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	code, _, errOut = runArgs("indexer", "-c", filepath.Join(dir, "missing.yml"), "-metrics", "")
	if code != 1 || !strings.Contains(errOut, "missing.yml") {
		t.Fatalf("missing file: exit %d, stderr %q", code, errOut)
	}
	if code, _, _ := runArgs("indexer", "-h"); code != 0 {
		t.Fatalf("-h: exit %d", code)
	}
}
