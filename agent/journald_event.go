package agent

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
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

// journalEvent is one journal entry made an event: its text fields in a
// tree (log, host and the rest), its message, time and id.
type journalEvent struct {
	msg    message
	log    map[string]any // under log (syslog)
	host   map[string]any // under host, next to host.name
	fields map[string]any // the other objects: process, user, systemd, journald
	cursor string
	id     string
}

// newJournalEvent translates entry; read is when it was read (the time
// when the entry has no __REALTIME_TIMESTAMP).
func newJournalEvent(e *journal.Entry, read time.Time) *journalEvent {
	ev := &journalEvent{log: map[string]any{}, host: map[string]any{}, fields: map[string]any{}}
	ev.msg.at = read
	for _, f := range e.Fields {
		name := string(f.Name)
		switch name {
		case "__CURSOR":
			ev.cursor = string(f.Value)
		case "__REALTIME_TIMESTAMP":
			if us, err := strconv.ParseInt(string(f.Value), 10, 64); err == nil {
				ev.msg.at = time.UnixMicro(us)
			}
		}
		t, known := journalFields[name]
		if known && t.path == "" {
			continue
		}
		if !known {
			t.path = "journald.custom." + strings.ToLower(strings.TrimLeft(name, "_"))
		}
		if t.path == "message" {
			ev.msg.text = validText(f.Value)
			continue
		}
		var v any = text(f.Value)
		if t.number {
			if n, err := strconv.ParseInt(string(f.Value), 10, 64); err == nil {
				v = n
			}
		}
		root, rest, _ := strings.Cut(t.path, ".")
		tree := ev.fields
		switch root {
		case "log":
			tree = ev.log
		case "host":
			tree = ev.host
		default:
			rest = t.path
		}
		put(tree, rest, v)
	}
	if e.Truncated {
		ev.msg.flag("truncated")
	}
	ev.id = journalEventID(ev.cursor)
	return ev
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
	for _, part := range strings.Split(cursor, ";") {
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
	logObj := ev.log
	if len(ev.msg.flags) > 0 {
		logObj = maps.Clone(ev.log)
		logObj["flags"] = ev.msg.flags
	}
	lb, _ := json.Marshal(logObj) // strings and numbers only
	b = append(b, `,"log":`...)
	b = append(b, lb[:len(lb)-1]...) // the tail closes it
	tail := in.tailJSON
	cut := bytes.Index(tail, hostEnd)
	b = append(b, tail[:cut]...)
	for _, k := range slices.Sorted(maps.Keys(ev.host)) {
		b, _ = appendKV(b, k, ev.host[k])
	}
	b = append(b, tail[cut:]...)
	for _, k := range slices.Sorted(maps.Keys(ev.fields)) {
		if fixedKeys[k] || (in.cfg.FieldsUnderRoot && in.cfg.Fields[k] != nil) {
			continue
		}
		b, _ = appendKV(b, k, ev.fields[k])
	}
	b = append(b, in.rootFieldsJSON...)
	return append(b, '}')
}
