package agent

import (
	"context"
	"time"
	"unicode/utf8"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sluicelogs/sluice/agent/harvester"
)

// eventIDHeader is the record header naming each event for good (file
// instance and line offset), so a line sent twice — the agent was killed
// before the brokers' acknowledgement reached it — is recognisable: the
// sluice indexer uses it as the document _id (as Filebeat's @metadata._id
// is used by its Elasticsearch output).
const eventIDHeader = "_id"

// fileReader takes the lines of one file through the input's parsers and
// filters, encodes them as events and publishes them.
type fileReader struct {
	in      *input
	path    string
	tr      *tracker
	parsers []parser
	next    []emitFunc // next[i] hands a message to stage i+1
	enc     *encoder
	slab    slab
	msg     message // the message of a line when there are no parsers
	text    []byte  // msg.text when the line had invalid UTF-8
	id      []byte  // scratch for the event id
	// counts not yet added to the shared metrics (countMetrics)
	lines, bytes, events int
}

// countEvery is how many lines a file reader counts before it adds its
// counts to the metrics (it also does when the file goes idle or is done).
const countEvery = 256

// countMetrics adds the file reader's counts to the metrics.
func (fr *fileReader) countMetrics() {
	m := fr.in.metrics
	if fr.lines > 0 {
		m.lines.Add(float64(fr.lines))
		m.bytes.Add(float64(fr.bytes))
	}
	if fr.events > 0 {
		m.events.Add(float64(fr.events))
	}
	fr.lines, fr.bytes, fr.events = 0, 0, 0
}

func (in *input) newFileReader(path string, tr *tracker) *fileReader {
	fr := &fileReader{in: in, path: path, tr: tr, enc: newEncoder(in, path), slab: slab{free: in.freeChunks()}}
	fr.resetParsers()
	return fr
}

func (fr *fileReader) resetParsers() {
	fr.parsers = fr.parsers[:0]
	for _, pc := range fr.in.cfg.Parsers {
		switch {
		case pc.Multiline != nil:
			fr.parsers = append(fr.parsers, &multiline{cfg: pc.Multiline, maxBytes: fr.in.cfg.MaxBytes})
		case pc.NDJSON != nil:
			fr.parsers = append(fr.parsers, ndjson{cfg: pc.NDJSON})
		case pc.Container != nil:
			fr.parsers = append(fr.parsers, newContainerParser(pc.Container, fr.in.cfg.MaxBytes, fr.path, fr.skipRecord))
		}
	}
	fr.next = make([]emitFunc, len(fr.parsers))
	for i := range fr.parsers {
		if i+1 == len(fr.parsers) {
			fr.next[i] = fr.emit
			continue
		}
		p, next := fr.parsers[i+1], i+1
		fr.next[i] = func(ctx context.Context, m *message) error { return p.push(ctx, m, fr.next[next]) }
	}
}

func (fr *fileReader) hooks() harvester.Hooks {
	return harvester.Hooks{
		Line:  fr.line,
		Idle:  fr.idle,
		Reset: fr.reset,
		Fingerprint: func(fp harvester.Fingerprint) {
			fr.tr.setFingerprint(fp)
		},
	}
}

func (fr *fileReader) line(ctx context.Context, l harvester.Line) error {
	fr.lines++
	fr.bytes += int(l.End - l.Offset)
	if fr.lines >= countEvery {
		fr.countMetrics()
	}
	if l.Truncated {
		fr.in.metrics.truncated.Inc()
	}
	if len(fr.parsers) == 0 {
		// Encoded before the next line is read: the message may use the
		// harvester's buffer and is reused.
		text := l.Data
		if !utf8.Valid(text) {
			fr.text = appendValid(fr.text[:0], text)
			text = fr.text
		}
		fr.msg = message{text: text, offset: l.Offset, end: l.End, at: l.Read, check: l.Check, flags: fr.msg.flags[:0]}
		if l.Truncated {
			fr.msg.flag("truncated")
		}
		return fr.emit(ctx, &fr.msg)
	}
	msg := &message{text: validText(l.Data), offset: l.Offset, end: l.End, at: l.Read, check: l.Check}
	if l.Truncated {
		msg.flag("truncated")
	}
	return fr.parsers[0].push(ctx, msg, fr.next[0])
}

func (fr *fileReader) idle(ctx context.Context) error {
	fr.countMetrics()
	fr.slab.release()
	now := time.Now()
	for i, p := range fr.parsers {
		if err := p.idle(ctx, now, fr.next[i]); err != nil {
			return err
		}
	}
	return nil
}

// flush emits what the parsers hold: the file is done.
func (fr *fileReader) flush(ctx context.Context) error {
	for i, p := range fr.parsers {
		if err := p.flush(ctx, fr.next[i]); err != nil {
			return err
		}
	}
	return nil
}

// reset is called when the file was truncated: what the parsers hold is
// sent (it was read before the truncation), then offsets restart at 0.
func (fr *fileReader) reset() {
	fr.in.metrics.truncations.Inc()
	fr.in.log.Info("file truncated; reading it again from the start", "path", fr.path)
	_ = fr.flush(context.Background())
	fr.resetParsers()
	fr.tr.reset()
}

// emit publishes one event (or skips it when the line filters say so; its
// offset is acknowledged all the same). Nothing of m is kept: the record
// holds copies.
func (fr *fileReader) emit(ctx context.Context, m *message) error {
	if err := fr.tr.persistInstance(); err != nil {
		// Shipped all the same: nothing is lost, but after a kill before
		// the registry is written these lines may be shipped again under
		// other ids.
		fr.in.log.Warn("writing the registry", "err", err)
	}
	tok := fr.tr.add(m.end, m.check)
	if !fr.in.keep(m.text) {
		fr.in.metrics.filtered.Inc()
		tok.ack()
		return nil
	}
	rec := fr.slab.record(ctx, tok)
	rec.Topic = fr.in.topic(m, fr.path)
	if k := fr.in.out.cfg.key; k != nil {
		key, _ := resolve(k, fr.in.lookup(m, fr.path), "")
		rec.Key = []byte(key)
	}
	rec.Value = fr.slab.copyOf(fr.enc.encode(m, fr.in.out.cfg.MaxMessageBytes-recordOverhead))
	fr.id = tok.eventID(fr.id[:0], m.end)
	rec.Headers = append(rec.Headers, kgo.RecordHeader{Key: eventIDHeader, Value: fr.slab.copyOf(fr.id)})
	rec.Timestamp = m.at
	fr.events++
	fr.in.out.publish(rec)
	return ctx.Err()
}
