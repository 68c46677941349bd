package agent

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sluicelogs/sluice/agent/journal"
)

// journalField is where a journal field goes in the event: an ECS path
// (dotted) and whether its value is a number.
type journalField struct {
	path   string
	number bool
}

// journalFields translates journal fields to ECS as Filebeat's journald
// input does. Fields not listed go to journald.custom.<name> (lower case,
// leading underscores dropped); __CURSOR and __MONOTONIC_TIMESTAMP are
// left out (the cursor names the event: its _id), __REALTIME_TIMESTAMP is
// @timestamp.
var journalFields = map[string]journalField{
	"MESSAGE":                    {path: "message"},
	"PRIORITY":                   {path: "log.syslog.priority", number: true},
	"SYSLOG_FACILITY":            {path: "log.syslog.facility.code", number: true},
	"SYSLOG_IDENTIFIER":          {path: "log.syslog.appname"},
	"SYSLOG_PID":                 {path: "log.syslog.procid"},
	"_PID":                       {path: "process.pid", number: true},
	"_COMM":                      {path: "process.name"},
	"_EXE":                       {path: "process.executable"},
	"_CMDLINE":                   {path: "process.command_line"},
	"_UID":                       {path: "user.id"},
	"_GID":                       {path: "user.group.id"},
	"_SYSTEMD_UNIT":              {path: "systemd.unit"},
	"_SYSTEMD_SLICE":             {path: "systemd.slice"},
	"_SYSTEMD_CGROUP":            {path: "systemd.cgroup"},
	"_SYSTEMD_INVOCATION_ID":     {path: "systemd.invocation_id"},
	"_SYSTEMD_OWNER_UID":         {path: "systemd.owner_uid", number: true},
	"_SYSTEMD_SESSION":           {path: "systemd.session"},
	"_SYSTEMD_USER_UNIT":         {path: "systemd.user_unit"},
	"_SYSTEMD_USER_SLICE":        {path: "systemd.user_slice"},
	"_TRANSPORT":                 {path: "systemd.transport"},
	"_HOSTNAME":                  {path: "host.hostname"},
	"_BOOT_ID":                   {path: "host.boot_id"},
	"_MACHINE_ID":                {path: "host.id"},
	"_AUDIT_LOGINUID":            {path: "journald.audit.login_uid", number: true},
	"_AUDIT_SESSION":             {path: "journald.audit.session"},
	"_KERNEL_DEVICE":             {path: "journald.kernel.device"},
	"_KERNEL_SUBSYSTEM":          {path: "journald.kernel.subsystem"},
	"_UDEV_SYSNAME":              {path: "journald.kernel.device_name"},
	"_UDEV_DEVNODE":              {path: "journald.kernel.device_node_path"},
	"CODE_FILE":                  {path: "journald.code.file"},
	"CODE_FUNC":                  {path: "journald.code.func"},
	"CODE_LINE":                  {path: "journald.code.line", number: true},
	"OBJECT_PID":                 {path: "journald.object.pid", number: true},
	"_SOURCE_REALTIME_TIMESTAMP": {path: "journald.source_realtime_timestamp"},
	"__CURSOR":                   {},
	"__MONOTONIC_TIMESTAMP":      {},
	"__REALTIME_TIMESTAMP":       {},
	"__SEQNUM":                   {},
	"__SEQNUM_ID":                {},
}

// journalEvent is one journal entry made an event: its message, time,
// id, and its other fields as values at ECS paths.
type journalEvent struct {
	msg    message
	vals   []journalValue // sorted by group, then path (cmpPath), no path twice
	cursor string
	id     string

	order  []int32        // sortVals' permutation, reused
	sorted []journalValue // sortVals' other buffer, reused
}

// sortVals sorts vals stably by group, then path: it sorts their indexes
// (moving 4 bytes, not a value with pointers in it, which costs write
// barriers while the collector runs) and then the values once.
func (ev *journalEvent) sortVals() {
	ev.order = ev.order[:0]
	for i := range ev.vals {
		ev.order = append(ev.order, int32(i))
	}
	vals := ev.vals
	slices.SortStableFunc(ev.order, func(i, j int32) int {
		a, b := &vals[i], &vals[j]
		switch {
		case a.group != b.group:
			return a.group - b.group
		case a.rank >= 0 && b.rank >= 0:
			return a.rank - b.rank
		}
		return cmpPath(a.path, b.path)
	})
	ev.sorted = ev.sorted[:0]
	for _, i := range ev.order {
		ev.sorted = append(ev.sorted, vals[i])
	}
	ev.vals, ev.sorted = ev.sorted, vals
}

// A journalValue's group is the object it goes in: log (before the
// input's tail), host (next to host.name, inside the tail) or the root
// (after the tail).
const (
	groupLog = iota
	groupHost
	groupRoot
)

// journalValue is one field of an entry at its ECS path, below its group.
type journalValue struct {
	group int
	rank  int // of a known field (journalPlace), else -1
	path  string
	text  []byte // the entry's bytes (valid until the next entry is read)
	num   int64
	isNum bool
}

// journalPlace is where a known field goes: its group, its path below
// the group, and its rank, the order of the known paths (cmpPath) within
// their group, so that two known fields compare without their paths.
type journalPlace struct {
	group, rank int
	path        string
	number      bool
	skip        bool // not a value of the event (the address fields)
}

// journalPlaces are the places of journalFields (an immutable table, made
// once).
var journalPlaces = func() map[string]journalPlace {
	places := make(map[string]journalPlace, len(journalFields))
	var known []journalPlace
	for name, f := range journalFields {
		p := journalPlace{group: groupRoot, path: f.path, number: f.number, skip: f.path == "" || f.path == "message"}
		if rest, ok := strings.CutPrefix(f.path, "log."); ok {
			p.group, p.path = groupLog, rest
		} else if rest, ok := strings.CutPrefix(f.path, "host."); ok {
			p.group, p.path = groupHost, rest
		}
		places[name] = p
		known = append(known, p)
	}
	slices.SortFunc(known, func(a, b journalPlace) int {
		if a.group != b.group {
			return a.group - b.group
		}
		return cmpPath(a.path, b.path)
	})
	for name, p := range places {
		p.rank = slices.IndexFunc(known, func(k journalPlace) bool { return k.group == p.group && k.path == p.path })
		places[name] = p
	}
	return places
}()

// newJournalEvent translates entry; read is when it was read (the time
// when the entry has no __REALTIME_TIMESTAMP). The event refers to the
// entry's bytes: it is encoded before the next entry is read.
func newJournalEvent(e *journal.Entry, read time.Time) *journalEvent {
	return new(journalEvent).fill(e, read, nil)
}

// customPathsMax bounds the journald.custom paths a reader keeps made.
const customPathsMax = 1024

// fill makes ev (reused from entry to entry) the event of e; custom, when
// not nil, keeps the journald.custom paths of field names met before.
func (ev *journalEvent) fill(e *journal.Entry, read time.Time, custom map[string]string) *journalEvent {
	*ev = journalEvent{vals: ev.vals[:0], order: ev.order, sorted: ev.sorted}
	ev.msg.at = read
	for _, f := range e.Fields {
		p, known := journalPlaces[string(f.Name)]
		switch string(f.Name) {
		case "__CURSOR":
			ev.cursor = string(f.Value)
		case "__REALTIME_TIMESTAMP":
			if us, err := strconv.ParseInt(string(f.Value), 10, 64); err == nil {
				ev.msg.at = time.UnixMicro(us)
			}
		case "MESSAGE":
			ev.msg.text = f.Value
		}
		if p.skip {
			continue
		}
		if !known {
			path, ok := custom[string(f.Name)]
			if !ok {
				path = "journald.custom." + strings.ToLower(strings.TrimLeft(string(f.Name), "_"))
				if custom != nil && len(custom) < customPathsMax {
					custom[string(f.Name)] = path
				}
			}
			p = journalPlace{group: groupRoot, rank: -1, path: path}
		}
		v := journalValue{group: p.group, rank: p.rank, path: p.path, text: f.Value}
		if p.number {
			if n, err := strconv.ParseInt(string(f.Value), 10, 64); err == nil {
				v.num, v.isNum = n, true
			}
		}
		ev.vals = append(ev.vals, v)
	}
	if !utf8.Valid(ev.msg.text) {
		ev.msg.text = appendValid(nil, ev.msg.text)
	}
	ev.sortVals()
	// A field given twice: the first value is kept.
	ev.vals = slices.CompactFunc(ev.vals, func(a, b journalValue) bool { return a.group == b.group && a.path == b.path })
	if e.Truncated {
		ev.msg.flag("truncated")
	}
	ev.id = journalEventID(ev.cursor)
	return ev
}

// cmpPath orders dotted paths segment by segment ('.' before any other
// byte), so that the paths below one object are next to each other.
func cmpPath(a, b string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		x, y := a[i], b[i]
		if x == '.' {
			x = 0
		}
		if y == '.' {
			y = 0
		}
		if x != y {
			return int(x) - int(y)
		}
	}
	return len(a) - len(b)
}

// group returns the values of group g.
func (ev *journalEvent) group(g int) []journalValue {
	i, _ := slices.BinarySearchFunc(ev.vals, g, func(v journalValue, g int) int { return v.group - g })
	j := i
	for j < len(ev.vals) && ev.vals[j].group == g {
		j++
	}
	return ev.vals[i:j]
}

// tree returns the event's fields as nested maps, for the topic and key
// formats' field references.
func (ev *journalEvent) tree() map[string]any {
	m := map[string]any{}
	for _, v := range ev.vals {
		path := v.path
		switch v.group {
		case groupLog:
			path = "log." + path
		case groupHost:
			path = "host." + path
		}
		var val any = text(v.text)
		if v.isNum {
			val = v.num
		}
		put(m, path, val)
	}
	return m
}

// appendMembers appends vals (sorted by path) as the members of a JSON
// object, nesting the dotted paths; first says no member precedes them.
// skip leaves out the values whose first segment it reports.
func appendMembers(b []byte, vals []journalValue, first bool, skip func(string) bool) []byte {
	var openBuf, segsBuf [8]string // on the stack for the usual depths
	open := openBuf[:0]            // the objects open, outermost first
	segs := segsBuf[:0]
	for _, v := range vals {
		segs = segs[:0]
		for p := v.path; ; {
			seg, rest, more := strings.Cut(p, ".")
			segs = append(segs, seg)
			if !more {
				break
			}
			p = rest
		}
		if skip != nil && skip(segs[0]) {
			continue
		}
		dirs, leaf := segs[:len(segs)-1], segs[len(segs)-1]
		n := 0
		for n < len(open) && n < len(dirs) && open[n] == dirs[n] {
			n++
		}
		for len(open) > n {
			b = append(b, '}')
			open = open[:len(open)-1]
		}
		for _, d := range dirs[n:] {
			if !first {
				b = append(b, ',')
			}
			b = appendString(b, []byte(d))
			b = append(b, ":{"...)
			first = true
			open = append(open, d)
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendString(b, []byte(leaf))
		b = append(b, ':')
		if v.isNum {
			b = strconv.AppendInt(b, v.num, 10)
		} else if utf8.Valid(v.text) {
			b = appendString(b, v.text)
		} else {
			b = appendString(b, appendValid(nil, v.text))
		}
	}
	for range open {
		b = append(b, '}')
	}
	return b
}

// text is a journal value as a JSON string: valid UTF-8.
func text(v []byte) string {
	if utf8.Valid(v) {
		return string(v)
	}
	return string(appendValid(nil, v))
}

// put sets the dotted path in tree, making the objects on the way; a
// value already there (a field given twice) is kept.
func put(tree map[string]any, path string, v any) {
	for {
		k, rest, more := strings.Cut(path, ".")
		if !more {
			if _, dup := tree[k]; !dup {
				tree[k] = v
			}
			return
		}
		sub, ok := tree[k].(map[string]any)
		if !ok {
			if _, taken := tree[k]; taken {
				return
			}
			sub = map[string]any{}
			tree[k] = sub
		}
		tree, path = sub, rest
	}
}

// journalEventID names the event of the entry at cursor for good: the
// cursor's sequence number id and number ("s" and "i", which name an
// entry in its journal file), or, for a cursor without them, a hash of
// the whole cursor. The same entry read again gets the same id.
func journalEventID(cursor string) string {
	var s, i string
	for rest := cursor; rest != ""; {
		var part string
		part, rest, _ = strings.Cut(rest, ";")
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "s":
			s = v
		case "i":
			i = v
		}
	}
	if s != "" && i != "" {
		return "journal-" + s + "-" + i
	}
	sum := sha256.Sum256([]byte(cursor))
	return "journal-" + hex.EncodeToString(sum[:16])
}

// encodeJournal returns the JSON form of ev, in the same layout as a
// file event: @timestamp, message, log, then the input's tail (input,
// host, agent, tags, fields) with the entry's host fields next to
// host.name, then the other objects and the input's root fields. The
// message is cut (and flagged truncated) if the event would exceed limit.
func (in *input) encodeJournal(b []byte, ev *journalEvent, limit int) []byte {
	for range 4 {
		b = in.appendJournal(b[:0], ev)
		over := len(b) - limit
		if over <= 0 || len(ev.msg.text) == 0 {
			break
		}
		cut := max(len(ev.msg.text)-over-16, 0)
		for cut > 0 && !utf8.RuneStart(ev.msg.text[cut]) {
			cut--
		}
		ev.msg.text = ev.msg.text[:cut]
		ev.msg.flag("truncated")
	}
	return b
}

// hostEnd is where host.name's object closes in the input's tail.
var hostEnd = []byte(`},"agent":{`)

func (in *input) appendJournal(b []byte, ev *journalEvent) []byte {
	b = append(b, `{"@timestamp":"`...)
	b = ev.msg.at.UTC().AppendFormat(b, "2006-01-02T15:04:05.000000Z07:00")
	b = append(b, `","message":`...)
	b = appendString(b, ev.msg.text)
	b = append(b, `,"log":{`...)
	b = appendMembers(b, ev.group(groupLog), true, nil)
	if len(ev.msg.flags) > 0 {
		if len(ev.group(groupLog)) > 0 {
			b = append(b, ',')
		}
		b = append(b, `"flags":[`...)
		for i, f := range ev.msg.flags {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, []byte(f))
		}
		b = append(b, ']')
	}
	tail := in.tailJSON
	cut := bytes.Index(tail, hostEnd)
	b = append(b, tail[:cut]...) // closes log
	b = appendMembers(b, ev.group(groupHost), false, nil)
	b = append(b, tail[cut:]...)
	b = appendMembers(b, ev.group(groupRoot), false, in.rootTaken)
	b = append(b, in.rootFieldsJSON...)
	return append(b, '}')
}

// rootTaken reports whether the root key k is the agent's own or one of
// the input's fields under the root: the entry's value is left out.
func (in *input) rootTaken(k string) bool {
	return fixedKeys[k] || (in.cfg.FieldsUnderRoot && in.cfg.Fields[k] != nil)
}
