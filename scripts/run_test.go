// Package scripts holds the tests of the repository's scripts; the scripts
// themselves are bash.
package scripts

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/testkit/proc"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// runSeconds is how long the test lets `sluice up` run.
const runSeconds = 40

// TestMakeRun runs scripts/run.sh (what `make run` runs) non-interactively
// on free ports with SLUICE_RUN_SECONDS: Elasticsearch, the generator and
// sluice up start, generated lines arrive in Elasticsearch while it runs,
// it stops by itself with exit 0 and no lag, and the tracked sample logs
// are left as they were.
func TestMakeRun(t *testing.T) {
	root, err := testpeer.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, ".peers", "elasticsearch", "lib", "sluice-es-peer.jar")); err != nil {
		testpeer.Missing(t, "elasticsearch", err)
	}
	bin := testpeer.SluiceBinary(t)
	samples := hashDir(t, filepath.Join(root, "examples", "logs"))
	esPort := testpeer.FreePort(t)
	es := "http://127.0.0.1:" + strconv.Itoa(esPort)

	cmd := exec.Command("bash", filepath.Join(root, "scripts", "run.sh"))
	cmd.Dir = root
	cmd.Env = append(os.Environ(),
		"SLUICE_BIN="+bin,
		"SLUICE_DATA="+t.TempDir(),
		"SLUICE_ES_NO_BUILD=1",
		"SLUICE_RUN_SECONDS="+strconv.Itoa(runSeconds),
		"SLUICE_RATE=200",
		"ZK_PORT="+strconv.Itoa(testpeer.FreePort(t)),
		"KAFKA_PORT="+strconv.Itoa(testpeer.FreePort(t)),
		"ES_PORT="+strconv.Itoa(esPort),
	)
	run, err := proc.Start("make-run", cmd, filepath.Join(t.TempDir(), "run.log"))
	if err != nil {
		t.Fatal(err)
	}
	run.Grace = time.Minute
	t.Cleanup(run.Stop) // SIGTERM to its process group when the test fails early

	// While it runs, documents arrive.
	seen := 0
	await.Eventually(t, 4*time.Minute, 500*time.Millisecond, func() error {
		if exited, how := run.Exited(); exited {
			t.Fatalf("run.sh ended before documents arrived (%v):\n%s", how, run.Tail(60))
		}
		seen = count(es)
		if seen < 1 {
			return fmt.Errorf("%d documents in logs-*", seen)
		}
		return nil
	})
	t.Logf("%d documents in logs-* while make run runs", seen)

	// It stops by itself.
	await.Eventually(t, runSeconds*time.Second+3*time.Minute, time.Second, func() error {
		if exited, _ := run.Exited(); !exited {
			return fmt.Errorf("run.sh still running")
		}
		return nil
	})
	if _, how := run.Exited(); how != nil {
		t.Fatalf("run.sh: %v\n%s", how, run.Tail(60))
	}
	b, err := os.ReadFile(run.LogPath)
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	t.Logf("run.sh wrote:\n%s", text)
	for _, want := range []string{es + "/logs-*/_search?q=", "index pattern logs-*", "input nginx:", "input syslog:", "input app-json:"} {
		if !strings.Contains(text, want) {
			t.Errorf("run.sh did not print %q", want)
		}
	}
	m := regexp.MustCompile(`sluice up stopped: read ([\d,]+)  shipped ([\d,]+)  indexed ([\d,]+)  lag (\d+)`).FindStringSubmatch(text)
	if m == nil {
		t.Fatal("no summary from sluice up")
	}
	if m[3] == "0" || m[4] != "0" {
		t.Errorf("summary: indexed %s, lag %s: want some indexed and no lag", m[3], m[4])
	}
	if got := hashDir(t, filepath.Join(root, "examples", "logs")); got != samples {
		t.Error("make run changed examples/logs/: the generator must append to copies in the data folder")
	}
}

// count returns the documents in logs-* of the Elasticsearch at es, -1
// when it does not answer.
func count(es string) int {
	cl := &http.Client{Timeout: 10 * time.Second}
	if res, err := cl.Post(es+"/logs-*/_refresh", "application/json", nil); err == nil {
		res.Body.Close()
	}
	res, err := cl.Get(es + "/logs-*/_count")
	if err != nil {
		return -1
	}
	defer res.Body.Close()
	var body struct {
		Count int `json:"count"`
	}
	if res.StatusCode != http.StatusOK || json.NewDecoder(res.Body).Decode(&body) != nil {
		return -1
	}
	return body.Count
}

// hashDir hashes the names and contents of the files in dir.
func hashDir(t *testing.T, dir string) string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil || len(names) == 0 {
		t.Fatalf("%s: %v (no files)", dir, err)
	}
	h := sha256.New()
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(h, "%s %d\n", filepath.Base(n), len(b))
		h.Write(b)
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}
