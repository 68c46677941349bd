package agent

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// journalFilter selects journal entries as journalctl does with the
// input's units, syslog_identifiers, facilities, include_matches.match and
// transports (the journald input's reader of the files themselves uses it;
// journalctl gets them as arguments, journaldInput.args). It is
// sd_journal's match tree: every group must hold, a group holds when one
// of its terms does, a term when each of its fields has one of its
// values. Empty, it takes every entry.
type journalFilter []journalGroup

type journalGroup []journalTerm

type journalTerm []journalFieldMatch

// journalFieldMatch is a field's accepted values, each as FIELD=value.
type journalFieldMatch struct {
	name   string // FIELD=
	values [][]byte
}

// match says whether the entry with fields (FIELD=value each) is taken.
func (f journalFilter) match(fields [][]byte) bool {
	for _, g := range f {
		if !slices.ContainsFunc(g, func(t journalTerm) bool { return t.match(fields) }) {
			return false
		}
	}
	return true
}

func (t journalTerm) match(fields [][]byte) bool {
	for _, m := range t {
		if !slices.ContainsFunc(fields, func(f []byte) bool {
			return slices.ContainsFunc(m.values, func(v []byte) bool { return bytes.Equal(f, v) })
		}) {
			return false
		}
	}
	return true
}

// filterBuilder builds a journalFilter as sd_journal_add_match,
// sd_journal_add_disjunction and sd_journal_add_conjunction do, so that
// the calls journalctl makes for its options give the same tree.
type filterBuilder struct {
	f           journalFilter
	group, term bool // a group and a term are open
}

func (b *filterBuilder) match(m string) {
	if !b.group {
		b.f, b.group = append(b.f, nil), true
	}
	g := &b.f[len(b.f)-1]
	if !b.term {
		*g, b.term = append(*g, nil), true
	}
	t := &(*g)[len(*g)-1]
	name := m[:strings.IndexByte(m, '=')+1]
	for i := range *t {
		if (*t)[i].name == name {
			(*t)[i].values = append((*t)[i].values, []byte(m))
			return
		}
	}
	*t = append(*t, journalFieldMatch{name: name, values: [][]byte{[]byte(m)}})
}

// or is sd_journal_add_disjunction: what follows is another term.
func (b *filterBuilder) or() {
	if b.group && len(b.f[len(b.f)-1]) > 0 {
		b.term = false
	}
}

// and is sd_journal_add_conjunction: what follows is another group.
func (b *filterBuilder) and() {
	if b.group && len(b.f[len(b.f)-1]) > 0 {
		b.group, b.term = false, false
	}
}

// unitSuffixes are the unit types; a unit named without one is a service
// (journalctl's unit name mangling).
var unitSuffixes = []string{".service", ".socket", ".target", ".device", ".mount", ".automount", ".swap", ".timer", ".path", ".slice", ".scope"}

// journalFilterOf is the filter journalctl (systemd 252) makes of c's
// options, in the order it adds them: units, identifiers, facilities,
// then the matches with the transports after them. An error says the
// filter needs journalctl (a unit glob or path).
func journalFilterOf(c *JournaldConfig) (journalFilter, error) {
	var b filterBuilder
	for _, u := range c.Units {
		if strings.ContainsAny(u, "*?[/") {
			return nil, fmt.Errorf("unit %q: a glob or path, left to journalctl", u)
		}
		if !slices.ContainsFunc(unitSuffixes, func(s string) bool { return strings.HasSuffix(u, s) }) {
			u += ".service"
		}
		// journalctl's matches for a unit: its own messages, its
		// coredumps, PID 1's and privileged daemons' messages about it,
		// and for a slice everything in it.
		b.match("_SYSTEMD_UNIT=" + u)
		b.or()
		b.match("MESSAGE_ID=fc2e22bc6ee647b6b90729ab34a250b1")
		b.match("_UID=0")
		b.match("COREDUMP_UNIT=" + u)
		b.or()
		b.match("_PID=1")
		b.match("UNIT=" + u)
		b.or()
		b.match("_UID=0")
		b.match("OBJECT_SYSTEMD_UNIT=" + u)
		if strings.HasSuffix(u, ".slice") {
			b.or()
			b.match("_SYSTEMD_SLICE=" + u)
		}
		b.or()
	}
	b.and()
	for _, id := range c.SyslogIdentifiers {
		b.match("SYSLOG_IDENTIFIER=" + id)
		b.or()
	}
	b.and()
	for _, f := range c.Facilities { // no conjunction after them (journalctl 252)
		b.match("SYSLOG_FACILITY=" + strconv.Itoa(f))
	}
	for _, m := range c.matches() {
		if m == "+" {
			b.or()
		} else {
			b.match(m)
		}
	}
	for _, t := range c.Transports {
		b.match("_TRANSPORT=" + t)
	}
	return b.f, nil
}
