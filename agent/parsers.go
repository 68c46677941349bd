package agent

import (
	"context"
	"time"

	"github.com/sluicelogs/sluice/agent/harvester"
	"github.com/sluicelogs/sluice/internal/jsonnum"
)

// message is what the parsers pass along: one event's text and where its
// lines are in the file.
type message struct {
	text   []byte                // owned by the message
	offset int64                 // log.offset: where its first line starts
	end    int64                 // just after its last line: acknowledged up to here
	check  harvester.Fingerprint // of the raw bytes before end (harvester.Line.Check)
	flags  []string              // log.flags: truncated, multiline
	fields map[string]any        // decoded by ndjson
	at     time.Time             // when its last line was read
	ts     time.Time             // @timestamp when set (the container record's time), else at
	shared bool                  // fields is shared with other messages: copied before a change (set)
}

// set sets the field k of m.
func (m *message) set(k string, v any) {
	if m.shared {
		own := make(map[string]any, len(m.fields)+1)
		for k, v := range m.fields {
			own[k] = v
		}
		m.fields, m.shared = own, false
	}
	m.fields = setField(m.fields, k, v)
}

func (m *message) flag(f string) {
	for _, g := range m.flags {
		if g == f {
			return
		}
	}
	m.flags = append(m.flags, f)
}

type emitFunc func(ctx context.Context, m *message) error

// parser is one stage of an input's parsers: list.
type parser interface {
	push(ctx context.Context, m *message, emit emitFunc) error
	// idle is called when the file has nothing new: a parser holding lines
	// may emit them.
	idle(ctx context.Context, now time.Time, emit emitFunc) error
	// flush emits what the parser holds: the file is done.
	flush(ctx context.Context, emit emitFunc) error
}

// multiline joins lines into events (the pattern type of filebeat).
type multiline struct {
	cfg      *MultilineConfig
	maxBytes int
	cur      *message
	lines    int
}

func (ml *multiline) push(ctx context.Context, m *message, emit emitFunc) error {
	cont := ml.cfg.re.Match(m.text) != ml.cfg.Negate
	if ml.cfg.Match == "after" {
		if !cont || ml.cur == nil {
			if err := ml.flush(ctx, emit); err != nil {
				return err
			}
			ml.start(m)
			return nil
		}
		ml.add(m)
		return nil
	}
	// before: a matching line continues into the next one.
	if ml.cur == nil {
		ml.start(m)
	} else {
		ml.add(m)
	}
	if !cont {
		return ml.flush(ctx, emit)
	}
	return nil
}

func (ml *multiline) start(m *message) { ml.cur, ml.lines = m, 1 }

func (ml *multiline) add(m *message) {
	c := ml.cur
	ml.lines++
	c.end, c.at, c.check = m.end, m.at, m.check
	c.flag("multiline")
	for _, f := range m.flags {
		c.flag(f)
	}
	if ml.lines > ml.cfg.MaxLines {
		c.flag("truncated")
		return
	}
	room := ml.maxBytes - len(c.text) - 1
	if room <= 0 {
		c.flag("truncated")
		return
	}
	t := m.text
	if len(t) > room {
		t = t[:room]
		c.flag("truncated")
	}
	c.text = append(append(c.text, '\n'), t...)
}

func (ml *multiline) idle(ctx context.Context, now time.Time, emit emitFunc) error {
	if ml.cur != nil && now.Sub(ml.cur.at) >= ml.cfg.Timeout {
		return ml.flush(ctx, emit)
	}
	return nil
}

func (ml *multiline) flush(ctx context.Context, emit emitFunc) error {
	if ml.cur == nil {
		return nil
	}
	m := ml.cur
	ml.cur, ml.lines = nil, 0
	return emit(ctx, m)
}

// ndjson decodes a line holding a JSON object into fields.
type ndjson struct{ cfg *NDJSONConfig }

func (nd ndjson) push(ctx context.Context, m *message, emit emitFunc) error {
	var obj map[string]any
	if err := jsonnum.Unmarshal(m.text, &obj); err != nil { // numbers kept as written
		if nd.cfg.AddErrorKey {
			m.set("error", map[string]any{"message": "ndjson: " + err.Error(), "type": "json"})
		}
		return emit(ctx, m)
	}
	if nd.cfg.MessageKey != "" {
		if s, ok := obj[nd.cfg.MessageKey].(string); ok {
			m.text = []byte(s)
			delete(obj, nd.cfg.MessageKey)
		}
	}
	if nd.cfg.Target != "" {
		m.set(nd.cfg.Target, obj)
	} else {
		for k, v := range obj {
			if _, taken := m.fields[k]; taken && !nd.cfg.OverwriteKeys {
				continue
			}
			m.set(k, v)
		}
	}
	return emit(ctx, m)
}

func (ndjson) idle(context.Context, time.Time, emitFunc) error { return nil }
func (ndjson) flush(context.Context, emitFunc) error           { return nil }

func setField(m map[string]any, k string, v any) map[string]any {
	if m == nil {
		m = map[string]any{}
	}
	m[k] = v
	return m
}

// lookup finds a dotted path in nested maps.
func lookup(m map[string]any, path []string) (any, bool) {
	var cur any = m
	for _, p := range path {
		mm, ok := unwrap(cur).(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = mm[p]; !ok {
			// a key that itself has dots ("service.name": …)
			return nil, false
		}
	}
	return unwrap(cur), true
}
