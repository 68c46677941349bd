package agent

import (
	"strings"
	"testing"
)

const journaldYAML = `inputs:
  - id: sys
    type: journald
    include_matches.match:
      - _SYSTEMD_UNIT=vault.service
    units: [ssh.service]
output.kafka:
  hosts: [localhost:9092]
  topic: journal
`

func TestJournaldConfig(t *testing.T) {
	c, err := ParseConfig("agent.yml", []byte(journaldYAML))
	if err != nil {
		t.Fatal(err)
	}
	in := c.Inputs[0]
	if in.Seek != "cursor" || in.CursorSeekFallback != "head" || in.Journalctl != "journalctl" || in.Reader != "auto" || in.MaxBytes != 10<<20 {
		t.Fatalf("defaults: %+v", in.JournaldConfig)
	}
	if m := in.matches(); len(m) != 1 || m[0] != "_SYSTEMD_UNIT=vault.service" {
		t.Fatalf("matches %q", m)
	}
	nested := strings.Replace(journaldYAML, "include_matches.match:", "include_matches:\n      match:", 1)
	nested = strings.Replace(nested, "      - _SYSTEMD", "        - _SYSTEMD", 1)
	c, err = ParseConfig("agent.yml", []byte(nested))
	if err != nil {
		t.Fatal(err)
	}
	if m := c.Inputs[0].matches(); len(m) != 1 {
		t.Fatalf("nested matches %q", m)
	}
	j := &journaldInput{input: &input{cfg: &c.Inputs[0]}}
	j.cfg.Directory = "/d"
	want := "--output=export --follow --no-pager --quiet --directory=/d --no-tail --unit=ssh.service _SYSTEMD_UNIT=vault.service"
	if got := strings.Join(j.args(), " "); got != want {
		t.Fatalf("args %s, want %s", got, want)
	}
	j.lastRead = "s=1;i=2"
	j.cfg.Seek = "tail"
	if got := strings.Join(j.args(), " "); !strings.Contains(got, "--cursor=s=1;i=2 --no-tail") || strings.Contains(got, "--lines") {
		t.Fatalf("args after a read entry: %s", got)
	}
	j.lastRead = ""
	if got := strings.Join(j.args(), " "); !strings.Contains(got, "--lines=0") {
		t.Fatalf("args for tail: %s", got)
	}
}

func TestJournaldConfigErrors(t *testing.T) {
	for _, tc := range []struct{ name, text, want string }{
		{"bad match", strings.Replace(journaldYAML, "_SYSTEMD_UNIT=vault", "unit vault", 1), "agent.yml:5: inputs[0].include_matches.match[0]: \"unit vault.service\": want FIELD=value"},
		{"bad seek", strings.Replace(journaldYAML, "    units:", "    seek: end\n    units:", 1), "agent.yml:6: inputs[0].seek: \"end\": want head, tail or cursor"},
		{"bad fallback", strings.Replace(journaldYAML, "    units:", "    cursor_seek_fallback: cursor\n    units:", 1), "agent.yml:6: inputs[0].cursor_seek_fallback: \"cursor\": want head or tail"},
		{"paths", strings.Replace(journaldYAML, "    units:", "    paths: [/x]\n    units:", 1), "agent.yml:6: inputs[0].paths: a journald input reads the journal"},
		{"bad reader", strings.Replace(journaldYAML, "    units:", "    reader: libsystemd\n    units:", 1), "agent.yml:6: inputs[0].reader: \"libsystemd\": want auto, native or journalctl"},
		{"facility", strings.Replace(journaldYAML, "    units:", "    facilities: [24]\n    units:", 1), "agent.yml:6: inputs[0].facilities[0]: 24: a syslog facility is 0 to 23"},
		{"empty unit", strings.Replace(journaldYAML, "[ssh.service]", "['']", 1), "agent.yml:6: inputs[0].units[0]"},
		{"unknown key", strings.Replace(journaldYAML, "    units:", "    unit: [x]\n    units:", 1), "agent.yml:6: inputs[0].unit: unknown key"},
		{"journald key on a file input", strings.Replace(journaldYAML, "type: journald", "paths: [/x]", 1), "agent.yml:4: inputs[0].include_matches.match: only for a journald input"},
		{"bad type", strings.Replace(journaldYAML, "type: journald", "type: fluentd", 1), "agent.yml:3: inputs[0].type: \"fluentd\": want filestream, log, container, syslog or journald"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig("agent.yml", []byte(tc.text))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want %q", err, tc.want)
			}
		})
	}
}
