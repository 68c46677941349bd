package main

import (
	"flag"
	"io"
	"reflect"
	"strings"
	"testing"
)

func TestParseFlagsAnywhere(t *testing.T) {
	cases := []struct {
		args []string
		cfg  string
		v    bool
		pos  []string
	}{
		{[]string{"status", "--config", "zoo.cfg"}, "zoo.cfg", false, []string{"status"}},
		{[]string{"--config", "zoo.cfg", "status"}, "zoo.cfg", false, []string{"status"}},
		{[]string{"test", "-v", "config", "-config=x"}, "x", true, []string{"test", "config"}},
		{[]string{"a", "--", "-v", "b"}, "", false, []string{"a", "-v", "b"}},
		{[]string{"-v", "--", "--config"}, "", true, []string{"--config"}},
		{nil, "", false, []string{}},
	}
	for _, c := range cases {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		cfg := fs.String("config", "", "")
		v := fs.Bool("v", false, "")
		if err := parseFlags(fs, c.args); err != nil {
			t.Fatalf("%q: %v", c.args, err)
		}
		if *cfg != c.cfg || *v != c.v || !reflect.DeepEqual(append([]string{}, fs.Args()...), c.pos) {
			t.Errorf("%q: config %q v %v args %q; want %q %v %q", c.args, *cfg, *v, fs.Args(), c.cfg, c.v, c.pos)
		}
	}
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if err := parseFlags(fs, []string{"status", "--nosuch"}); err == nil || !strings.Contains(err.Error(), "nosuch") {
		t.Fatalf("an unknown flag after a positional argument: %v", err)
	}
}

// TestFlagsAfterSubcommand: each subcommand reads its flags after its own
// positional words too (`sluice coordinator status --config zoo.cfg`, as
// `zkServer.sh status` is typed).
func TestFlagsAfterSubcommand(t *testing.T) {
	for _, args := range [][]string{
		{"coordinator", "status", "--config", "/nonexistent/zoo.cfg"},
		{"agent", "test", "config", "-c", "/nonexistent/agent.yml"},
	} {
		code, _, errOut := runArgs(args...)
		if code != 1 || !strings.Contains(errOut, "/nonexistent/") {
			t.Errorf("%q: exit %d, stderr %q; want the named file refused", args, code, errOut)
		}
	}
	if code, out, errOut := runArgs("version", "-h"); code != 0 || out != "" || !strings.Contains(errOut, "Usage") {
		t.Errorf("version -h: %d %q %q", code, out, errOut)
	}
	if code, _, errOut := runArgs("pipeline", "run", "/nonexistent/p.yml", "-nosuch"); code != 2 && code != 1 || !strings.Contains(errOut, "nosuch") {
		t.Errorf("pipeline run FILE -nosuch: exit %d, %q; want the flag refused", code, errOut)
	}
}
