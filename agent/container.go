package agent

import (
	"context"
	"encoding/json"
	"time"
)

// containerParser reads the lines of a container log file (Docker's
// json-file or CRI) into messages: the container's text, @timestamp from
// the record's time, the stream field, and what the file's path tells
// (containerPathFields). It is the first of an input's parsers, so
// multiline and ndjson see the joined messages.
//
// Partial records (a Docker log without its newline, a CRI P tag) are
// joined with the records that follow, up to the first final one. The
// joined message starts at the first part's offset and ends after the
// last part's line: the registry moves past it only once it is
// acknowledged, so an agent stopped in the middle of a partial sequence
// reads it again from its first part. The joined text is cut at max_bytes
// and flagged truncated; the parts after the cut are read and dropped, so
// memory is bounded by max_bytes whatever the length of the sequence.
//
// A record of the other stream in the middle of a partial sequence ends
// it: the parts held are sent as one message and the record starts
// another (joining across streams would mix their texts). A record of a
// stream that stream: leaves out is dropped without ending anything.
//
// A line that is not in the format is sent as it is, with error.message
// saying why (as ndjson's add_error_key): nothing read is lost.
type containerParser struct {
	cfg      *ContainerConfig
	maxBytes int
	fields   map[string]any            // from the path (preEncoded values)
	streams  map[string]map[string]any // stdout, stderr → fields and the stream (preEncoded): shared by the messages, never changed
	skip     func(m *message)          // acknowledges a dropped record when nothing is held before it

	cur       *message // the partial sequence being joined
	curStream string
	rec       containerRecord
}

func newContainerParser(cfg *ContainerConfig, maxBytes int, path string, skip func(*message)) *containerParser {
	cp := &containerParser{cfg: cfg, maxBytes: maxBytes, skip: skip, fields: map[string]any{}, streams: map[string]map[string]any{}}
	for k, v := range containerPathFields(path) {
		cp.fields[k] = newPreEncoded(v)
	}
	for _, s := range []string{"stdout", "stderr"} {
		f := map[string]any{"stream": newPreEncoded(s)}
		for k, v := range cp.fields {
			f[k] = v
		}
		cp.streams[s] = f
	}
	return cp
}

func (cp *containerParser) push(ctx context.Context, m *message, emit emitFunc) error {
	r := &cp.rec
	if err := parseContainerLine(cp.cfg.Format, m.text, r); err != nil {
		if err := cp.flush(ctx, emit); err != nil {
			return err
		}
		cp.addPathFields(m)
		m.set("error", map[string]any{"message": "container: " + err.Error(), "type": "container"})
		return emit(ctx, m)
	}
	if cp.cfg.Stream != streamAll && r.stream != cp.cfg.Stream {
		if cp.cur == nil {
			cp.skip(m)
		}
		return nil
	}
	if cp.cur != nil && r.stream != cp.curStream {
		if err := cp.flush(ctx, emit); err != nil {
			return err
		}
	}
	if cp.cur == nil {
		cp.start(m, r)
	} else {
		cp.add(m, r)
	}
	if r.partial {
		return nil
	}
	return cp.flush(ctx, emit)
}

// start begins a message with the record r read from the line of m.
func (cp *containerParser) start(m *message, r *containerRecord) {
	text := r.text
	if len(text) > cp.maxBytes {
		text = text[:cp.maxBytes]
		m.flag("truncated")
	}
	m.text = append(m.text[:0], text...) // r.text is in m's own line (copy overlaps: a memmove) or in r.buf, reused
	m.ts = r.time
	if f, ok := cp.streams[r.stream]; ok && m.fields == nil {
		m.fields, m.shared = f, true // no map per message
	} else {
		cp.addPathFields(m)
		m.set("stream", r.stream) // neither stdout nor stderr: rare
	}
	cp.cur, cp.curStream = m, r.stream
}

// add appends the next part of the message being joined.
func (cp *containerParser) add(m *message, r *containerRecord) {
	c := cp.cur
	c.end, c.at = m.end, m.at
	for _, f := range m.flags {
		c.flag(f)
	}
	t := r.text
	if room := cp.maxBytes - len(c.text); len(t) > room {
		t = t[:max(room, 0)]
		c.flag("truncated")
	}
	c.text = append(c.text, t...)
}

func (cp *containerParser) addPathFields(m *message) {
	for k, v := range cp.fields {
		m.set(k, v)
	}
}

// idle keeps a partial sequence: its next part comes when the container
// writes it, however long that takes.
func (cp *containerParser) idle(context.Context, time.Time, emitFunc) error { return nil }

// flush sends the parts held: the file is done (or another stream's
// record came).
func (cp *containerParser) flush(ctx context.Context, emit emitFunc) error {
	if cp.cur == nil {
		return nil
	}
	m := cp.cur
	cp.cur, cp.curStream = nil, ""
	return emit(ctx, m)
}

// holding reports whether the multiline parser holds lines not yet sent.
func (ml *multiline) holding() bool { return ml.cur != nil }

// skipRecord acknowledges the line of a record the container parser
// dropped (stream:), so that the registry moves past it, unless a later
// parser holds earlier lines: then the next message sent covers it.
func (fr *fileReader) skipRecord(m *message) {
	for _, p := range fr.parsers {
		if h, ok := p.(interface{ holding() bool }); ok && h.holding() {
			return
		}
	}
	fr.in.metrics.filtered.Inc()
	fr.tr.add(m.end, m.check).ack()
}

// preEncoded is a field value with its JSON written once: the fields of a
// file's path and the stream names, the same in every event of a file,
// are not encoded again for each (appendKV writes json as it is; lookup
// sees v).
type preEncoded struct {
	v    any
	json []byte
}

func newPreEncoded(v any) preEncoded {
	b, _ := json.Marshal(v) // strings and maps of strings: always encodable
	return preEncoded{v: v, json: b}
}

// unwrap returns the value of a preEncoded field value, else v.
func unwrap(v any) any {
	if p, ok := v.(preEncoded); ok {
		return p.v
	}
	return v
}
