package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runStdin(stdin string, args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(context.Background(), &env{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb}, args)
	return code, out.String(), errb.String()
}

// TestKeystoreCommand: create, add, list, remove as `filebeat keystore`,
// then an agent.yml whose password comes from the keystore.
func TestKeystoreCommand(t *testing.T) {
	dir := t.TempDir()
	ks := filepath.Join(dir, "sluice.keystore")
	if code, out, errOut := runStdin("", "keystore", "create", "--path", ks); code != 0 || !strings.Contains(out, "Created keystore") {
		t.Fatalf("create: %d %q %q", code, out, errOut)
	}
	if code, _, errOut := runStdin("", "keystore", "create", "--path", ks); code != 1 || !strings.Contains(errOut, "--force") {
		t.Fatalf("create again: %d %q", code, errOut)
	}
	if code, _, errOut := runStdin("p@ss: #word\nsecond line\n", "keystore", "add", "KAFKA_PWD", "--path", ks); code != 0 {
		t.Fatalf("add: %d %q", code, errOut)
	}
	if code, _, errOut := runStdin("multi\nline\n", "keystore", "--path", ks, "add", "--stdin", "CERT"); code != 0 {
		t.Fatalf("add --stdin: %d %q", code, errOut)
	}
	if code, _, errOut := runStdin("x\n", "keystore", "add", "KAFKA_PWD", "--path", ks); code != 1 || !strings.Contains(errOut, "already there") {
		t.Fatalf("add twice: %d %q", code, errOut)
	}
	if code, _, errOut := runStdin("\n", "keystore", "add", "EMPTY", "--path", ks); code != 1 || !strings.Contains(errOut, "empty") {
		t.Fatalf("add empty: %d %q", code, errOut)
	}
	if code, out, _ := runStdin("", "keystore", "list", "--path", ks); code != 0 || out != "CERT\nKAFKA_PWD\n" {
		t.Fatalf("list: %d %q", code, out)
	}
	if code, _, errOut := runStdin("", "keystore", "remove", "CERT", "--path", ks); code != 0 {
		t.Fatalf("remove: %d %q", code, errOut)
	}
	if code, out, _ := runStdin("", "keystore", "list", "--path", ks); code != 0 || out != "KAFKA_PWD\n" {
		t.Fatalf("list after remove: %d %q", code, out)
	}

	cfg := filepath.Join(dir, "agent.yml")
	text := "keystore.path: " + ks + "\ninputs:\n  - id: a\n    paths: [" + dir + "/*.log]\noutput.kafka:\n  hosts: [127.0.0.1:9092]\n  topic: logs\n  username: alice\n  password: ${KAFKA_PWD}\n  sasl.mechanism: SCRAM-SHA-512\n"
	if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := runStdin("", "agent", "test", "config", "-c", cfg); code != 0 || !strings.Contains(out, "Config OK") {
		t.Fatalf("agent test config: %d %q %q", code, out, errOut)
	}
	// A keystore others may read is refused, as Filebeat refuses a
	// configuration file others may write.
	if err := os.Chmod(ks, 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := runStdin("", "agent", "test", "config", "-c", cfg); code != 1 || !strings.Contains(errOut, "agent.yml:1: keystore.path:") || !strings.Contains(errOut, "chmod 600") {
		t.Fatalf("agent test config, loose keystore: %d %q", code, errOut)
	}
	if code, _, errOut := runStdin("", "keystore", "list", "--path", ks); code != 1 || !strings.Contains(errOut, "chmod 600") {
		t.Fatalf("list, loose keystore: %d %q", code, errOut)
	}
}
