package agent

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// JournaldConfig holds the keys of a `type: journald` input (Filebeat's
// journald input, plus directory and journalctl). The input's id, fields,
// tags, fields_under_root, include_lines/exclude_lines (on message),
// max_bytes (the bound of an entry) and backoff (between restarts of
// journalctl) apply as to a file input; paths and the file keys do not.
type JournaldConfig struct {
	// include_matches.match: journal matches FIELD=value, combined as
	// journalctl combines them (the same field: either; different
	// fields: both; "+": or between the groups around it).
	IncludeMatches     *IncludeMatches `yaml:"include_matches,omitempty"`
	DottedIncludeMatch []string        `yaml:"include_matches.match,omitempty"`
	Units              []string        `yaml:"units,omitempty"`              // journalctl --unit
	SyslogIdentifiers  []string        `yaml:"syslog_identifiers,omitempty"` // journalctl --identifier
	Facilities         []int           `yaml:"facilities,omitempty"`         // journalctl --facility
	Transports         []string        `yaml:"transports,omitempty"`         // _TRANSPORT matches
	Seek               string          `yaml:"seek,omitempty"`               // head | tail | cursor (default)
	CursorSeekFallback string          `yaml:"cursor_seek_fallback,omitempty"`
	Directory          string          `yaml:"directory,omitempty"`  // journalctl --directory; "" is the system journal
	Journalctl         string          `yaml:"journalctl,omitempty"` // the binary; default journalctl on PATH
	// reader: auto (the files themselves when they can be read so, else
	// journalctl), native (the files themselves only) or journalctl.
	Reader string `yaml:"reader,omitempty"`
}

// IncludeMatches is include_matches.
type IncludeMatches struct {
	Match []string `yaml:"match"`
}

// matches is include_matches.match from either spelling.
func (j *JournaldConfig) matches() []string {
	if j.IncludeMatches != nil {
		return append(j.IncludeMatches.Match, j.DottedIncludeMatch...)
	}
	return j.DottedIncludeMatch
}

// journalMatch is a journal match: a field name as journald allows it.
var journalMatch = regexp.MustCompile(`^[A-Z0-9_]{1,64}=`)

func (in *InputConfig) journaldDefaults() {
	def(&in.Seek, "cursor")
	def(&in.CursorSeekFallback, "head")
	def(&in.Journalctl, "journalctl")
	def(&in.Reader, "auto")
}

// journaldKeys names the journald keys set in an input of another type.
func (j *JournaldConfig) journaldKeys() []string {
	var keys []string
	for k, set := range map[string]bool{
		"include_matches": j.IncludeMatches != nil, "include_matches.match": j.DottedIncludeMatch != nil, "units": j.Units != nil,
		"syslog_identifiers": j.SyslogIdentifiers != nil, "facilities": j.Facilities != nil, "transports": j.Transports != nil,
		"seek": j.Seek != "", "cursor_seek_fallback": j.CursorSeekFallback != "", "directory": j.Directory != "", "journalctl": j.Journalctl != "", "reader": j.Reader != "",
	} {
		if set {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

// validateJournald checks a journald input; p is its key ("inputs[i]").
func (in *InputConfig) validateJournald(p string, bad func(key, format string, args ...any)) {
	if len(in.Paths) > 0 {
		bad(p+".paths", "a journald input reads the journal, not files (use directory for journal files elsewhere)")
	}
	if in.IncludeMatches != nil && in.DottedIncludeMatch != nil {
		bad(p+".include_matches.match", "given twice (dotted and nested)")
	}
	for j, m := range in.matches() {
		if m != "+" && !journalMatch.MatchString(m) {
			// config.LineOf finds the dotted spelling under this key too.
			bad(fmt.Sprintf("%s.include_matches.match[%d]", p, j), "%q: want FIELD=value (FIELD: capital letters, digits and _) or +", m)
		}
	}
	for j, f := range in.Facilities {
		if f < 0 || f > 23 {
			bad(fmt.Sprintf("%s.facilities[%d]", p, j), "%d: a syslog facility is 0 to 23", f)
		}
	}
	for _, l := range []struct {
		key  string
		vals []string
	}{{"units", in.Units}, {"syslog_identifiers", in.SyslogIdentifiers}, {"transports", in.Transports}} {
		for j, v := range l.vals {
			if v == "" || strings.ContainsAny(v, "\n\x00") {
				bad(fmt.Sprintf("%s.%s[%d]", p, l.key, j), "%q: must be a non-empty name", v)
			}
		}
	}
	if in.Seek != "head" && in.Seek != "tail" && in.Seek != "cursor" {
		bad(p+".seek", "%q: want head, tail or cursor", in.Seek)
	}
	if in.Reader != "auto" && in.Reader != "native" && in.Reader != "journalctl" {
		bad(p+".reader", "%q: want auto, native or journalctl", in.Reader)
	}
	if in.CursorSeekFallback != "head" && in.CursorSeekFallback != "tail" {
		bad(p+".cursor_seek_fallback", "%q: want head or tail", in.CursorSeekFallback)
	}
	if in.Backoff.Init <= 0 || in.Backoff.Max < in.Backoff.Init {
		bad(p+".backoff", "init (%v) must be positive and max (%v) at least init", in.Backoff.Init, in.Backoff.Max)
	}
	if in.MaxBytes < 1024 {
		bad(p+".max_bytes", "%d: a journal entry needs at least 1024", in.MaxBytes)
	}
	if len(in.Parsers) > 0 {
		bad(p+".parsers", "not supported by a journald input")
	}
}
