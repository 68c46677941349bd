package agent_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicelogs/sluice/internal/await"
)

// appendLines appends lines [from, to) of name to path.
func appendLines(t *testing.T, path, name string, from, to int) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var b strings.Builder
	for i := from; i < to; i++ {
		fmt.Fprintln(&b, lineText(name, i))
	}
	if _, err := f.WriteString(b.String()); err != nil {
		t.Fatal(err)
	}
}

// registryKeys returns the keys of the registry in dir, with their offsets.
func registryKeys(t *testing.T, dir string) map[string]int64 {
	t.Helper()
	keys := map[string]int64{}
	for _, e := range registryEntries(t, dir) {
		keys[e.Key] = e.Offset
	}
	return keys
}

// awaitLines waits until n distinct lines of name arrived.
func awaitLines(t *testing.T, c *consumer, name string, n int) {
	t.Helper()
	await.Eventually(t, 30*time.Second, 20*time.Millisecond, func() error {
		if got := c.countPrefix(name); got < n {
			return fmt.Errorf("%d of %d lines of %s delivered", got, n, name)
		}
		return nil
	})
}

// TestIdentityMigration: an agent run with file_identity.native leaves a
// registry keyed by device and inode; the same agent restarted with
// file_identity.fingerprint (more lines written meanwhile) moves each
// entry to the file's fingerprint and ships only the new lines; back to
// native, the entry moves back and again nothing is shipped twice.
func TestIdentityMigration(t *testing.T) {
	b := startBroker(t)
	logs, reg := t.TempDir(), t.TempDir()
	c := consume(t, b.Addr(), "migrate")
	path := filepath.Join(logs, "app.log")
	run := func(identity string, lines int) {
		t.Helper()
		cfg := parseConfig(t, agentYAML(logs, reg, b.Addr(), "migrate", "    file_identity."+identity+": ~"))
		a := startAgent(t, cfg)
		awaitLines(t, c, "app", lines)
		a.stop()
	}
	appendLines(t, path, "app", 0, 100)
	run("native", 100)
	ino := fmt.Sprintf("-%d", inode(t, path))
	if keys := registryKeys(t, reg); len(keys) != 1 || !strings.HasSuffix(firstKey(keys), ino) {
		t.Fatalf("registry after the native run: %v, want one key ending %s", keys, ino)
	}
	appendLines(t, path, "app", 100, 200)
	run("fingerprint", 200)
	if keys := registryKeys(t, reg); len(keys) != 1 || !strings.HasPrefix(firstKey(keys), "test/fingerprint-") || keys[firstKey(keys)] != fileSize(t, path) {
		t.Fatalf("registry after the fingerprint run: %v, want one fingerprint key at offset %d", keys, fileSize(t, path))
	}
	appendLines(t, path, "app", 200, 300)
	run("native", 300)
	if keys := registryKeys(t, reg); len(keys) != 1 || !strings.HasSuffix(firstKey(keys), ino) {
		t.Fatalf("registry after the second native run: %v, want one key ending %s", keys, ino)
	}
	if dups := tally(t, c, map[string]int{"app": 300}); dups != 0 {
		t.Fatalf("%d lines delivered twice", dups)
	}
}

func firstKey(m map[string]int64) string {
	for k := range m {
		return k
	}
	return ""
}

// TestSameHeaderRewrittenWhileStopped: a file whose first 1,100 bytes are
// a fixed header (longer than any fingerprint) is read, the agent
// stopped, and the file truncated and written again with the same header
// and other, more lines, past the old offset. The bytes before the
// registry's offset differ: the agent reads the new file from 0 (under
// both identities), so none of its lines is skipped and none of the old
// one's shipped again.
func TestSameHeaderRewrittenWhileStopped(t *testing.T) {
	b := startBroker(t)
	header := "#" + strings.Repeat("h", 1100) + "\n"
	for _, identity := range []string{"native", "fingerprint"} {
		logs, reg := t.TempDir(), t.TempDir()
		topic := "header-" + identity
		c := consume(t, b.Addr(), topic)
		cfg := parseConfig(t, agentYAML(logs, reg, b.Addr(), topic, "    file_identity."+identity+": ~"))
		path := filepath.Join(logs, "app.log")
		if err := os.WriteFile(path, []byte(header), 0o644); err != nil {
			t.Fatal(err)
		}
		appendLines(t, path, "old", 0, 50)
		a := startAgent(t, cfg)
		awaitLines(t, c, "old", 50)
		a.stop()

		if err := os.WriteFile(path, []byte(header), 0o644); err != nil {
			t.Fatal(err)
		}
		appendLines(t, path, "new", 0, 200)
		a = startAgent(t, cfg)
		awaitLines(t, c, "new", 200)
		a.stop()
		if dups := tally(t, c, map[string]int{"old": 50, "new": 200}); dups != 0 {
			t.Fatalf("%s: %d lines delivered twice", identity, dups)
		}
	}
}

// TestFingerprintWaitsForLength: under the fingerprint identity a file
// shorter than prospector.scanner.fingerprint.length has no identity yet
// and is not read (scans find nothing to do); grown past it, it is read
// from its start. length 64 (the least) and an offset past a header
// both count.
func TestFingerprintWaitsForLength(t *testing.T) {
	b := startBroker(t)
	logs, reg := t.TempDir(), t.TempDir()
	c := consume(t, b.Addr(), "short")
	cfg := parseConfig(t, agentYAML(logs, reg, b.Addr(), "short",
		"    file_identity.fingerprint: ~\n    prospector.scanner.fingerprint: {offset: 100, length: 64}"))
	_, metrics := startAgentWithMetrics(t, cfg)
	path := filepath.Join(logs, "app.log")
	appendLines(t, path, "app", 0, 2) // ~90 bytes: fewer than 100+64
	scans := metricValue(t, metrics, "sluice_agent_scans_total")
	await.Eventually(t, 20*time.Second, 20*time.Millisecond, func() error {
		if got := metricValue(t, metrics, "sluice_agent_scans_total"); got < scans+3 {
			return fmt.Errorf("%v scans", got)
		}
		return nil
	})
	if n := c.count(); n != 0 || len(registryKeysIfAny(t, reg)) != 0 {
		t.Fatalf("a file shorter than its fingerprint was read: %d events, registry %v", n, registryKeysIfAny(t, reg))
	}
	appendLines(t, path, "app", 2, 10)
	awaitLines(t, c, "app", 10)
	if dups := tally(t, c, map[string]int{"app": 10}); dups != 0 {
		t.Fatalf("%d lines delivered twice", dups)
	}
}

// registryKeysIfAny is registryKeys, empty when the registry was not
// written yet.
func registryKeysIfAny(t *testing.T, dir string) map[string]int64 {
	t.Helper()
	if _, err := os.Stat(filepath.Join(dir, "registry.json")); err != nil {
		return nil
	}
	return registryKeys(t, dir)
}
