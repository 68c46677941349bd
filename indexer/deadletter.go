package indexer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// DeadLetter is the value of a record in the dead-letter topic.
type DeadLetter struct {
	Reason    string         `json:"reason"`
	Detail    map[string]any `json:"detail,omitempty"`
	Topic     string         `json:"topic"`
	Partition int32          `json:"partition"`
	Offset    int64          `json:"offset"`
	Timestamp time.Time      `json:"timestamp"` // the record's; zero if past the year 9999
	Key       string         `json:"key,omitempty"`
	Value     string         `json:"value"` // the original record's value, or its head when Truncated
	// Truncated says the letter was cut to fit the dead-letter topic:
	// Value holds the head of the original value, OriginalSize its
	// length in bytes; Key and Reason may be cut too, Detail left out.
	// Topic, Partition and Offset always say where the whole record is.
	Truncated    bool `json:"truncated,omitempty"`
	OriginalSize int  `json:"original_size,omitempty"`
}

// Reasons a dead letter was given up on, the reason label of
// sluice_indexer_dead_letter_dropped_total.
const (
	dropTooLarge = "too_large" // refused as too large even when cut down to minLetterBytes
	dropTimeout  = "timeout"   // not acknowledged within DeadLetterTimeout
	dropRefused  = "refused"   // another error retrying cannot cure
)

// minLetterBytes is the smallest a letter is cut down to: room for the
// place of the record, a reason and no value.
const minLetterBytes = 1024

// letter is one dead letter on its way.
type letter struct {
	rec   *kgo.Record
	dl    DeadLetter
	limit int // the most bytes of key and value it may take
}

// deadLetter produces recs to the dead-letter topic, one letter each with
// its reason (info). A letter over DeadLetterMaxBytes, or that the broker
// refuses as too large (MESSAGE_TOO_LARGE is final: sending it again
// cannot help), is cut to fit, halving its size until the broker takes it
// or it is minLetterBytes. Retriable errors are retried by the producer
// for DeadLetterTimeout at most. A letter that still cannot be delivered
// is given up on, loudly (an error log naming the record, and
// sluice_indexer_dead_letter_dropped_total), and counts as done: the
// record stays at its offset in its own topic until retention, and
// holding its partition's commits back would stop everything behind it
// for the sake of one event that has already failed.
//
// It returns how many letters were delivered, or an error only when ctx
// ended (the indexer is stopping): then nothing is done, nothing is
// committed.
func (ix *Indexer) deadLetter(ctx context.Context, dlq *kgo.Client, recs []*kgo.Record, info []map[string]any) (int, error) {
	ctx2, cancel := context.WithTimeout(ctx, ix.cfg.DeadLetterTimeout)
	defer cancel()
	todo := make([]*letter, len(recs))
	for i, rec := range recs {
		todo[i] = &letter{rec: rec, limit: ix.cfg.DeadLetterMaxBytes, dl: newDeadLetter(rec, info[i])}
	}
	delivered := 0
	for len(todo) > 0 {
		var out []*kgo.Record
		var sent []*letter
		for _, l := range todo {
			r, truncated, err := encodeLetter(l.dl, l.rec.Key, l.limit)
			if err != nil {
				ix.dropLetter(l, dropTooLarge, err)
				continue
			}
			if truncated {
				l.dl.Truncated = true // for the log, should it be dropped
			}
			out, sent = append(out, r), append(sent, l)
		}
		todo = todo[:0]
		if len(out) == 0 {
			break
		}
		for i, res := range dlq.ProduceSync(ctx2, out...) {
			l := sent[i]
			switch err := res.Err; {
			case err == nil:
				delivered++
				if l.dl.Truncated {
					ix.dlqTruncated.Inc()
				}
			case ctx.Err() != nil:
				return delivered, ctx.Err()
			case errors.Is(err, kerr.MessageTooLarge) && l.limit > minLetterBytes:
				l.limit = max(min(l.limit, len(out[i].Key)+len(out[i].Value))/2, minLetterBytes)
				ix.log.Warn("dead letter too large for the topic; cutting it", "topic", l.rec.Topic,
					"partition", l.rec.Partition, "offset", l.rec.Offset, "bytes", len(out[i].Value), "limit", l.limit)
				todo = append(todo, l)
			case errors.Is(err, kerr.MessageTooLarge):
				ix.dropLetter(l, dropTooLarge, err)
			case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, kgo.ErrRecordTimeout) || kerr.IsRetriable(err):
				ix.dropLetter(l, dropTimeout, err)
			default:
				ix.dropLetter(l, dropRefused, err)
			}
		}
	}
	return delivered, nil
}

// newDeadLetter is the letter of rec, rejected for info["reason"].
func newDeadLetter(rec *kgo.Record, info map[string]any) DeadLetter {
	reason, _ := info["reason"].(string)
	ts := rec.Timestamp
	if y := ts.Year(); y < 0 || y > 9999 {
		// A producer may set any timestamp; JSON cannot write this one
		// (encoding/json refuses years past 9999), and a letter that
		// cannot be written must not hold its partition back.
		ts = time.Time{}
	}
	return DeadLetter{
		Reason: reason, Detail: info, Topic: rec.Topic, Partition: rec.Partition, Offset: rec.Offset,
		Timestamp: ts, Key: string(rec.Key), Value: string(rec.Value),
	}
}

// dropLetter gives up on a letter.
func (ix *Indexer) dropLetter(l *letter, why string, err error) {
	ix.dlqDropped.WithLabelValues(why).Inc()
	ix.log.Error("dead letter given up: the record is only at its offset", "dead_letter_topic", ix.cfg.DeadLetterTopic,
		"topic", l.rec.Topic, "partition", l.rec.Partition, "offset", l.rec.Offset, "why", why,
		"reason", cut(l.dl.Reason, 256), "err", err)
}

// encodeLetter encodes dl as a record of at most limit bytes of key and
// value. One that does not fit is cut: Truncated and OriginalSize set,
// the key and the reason cut to an eighth of limit each, the detail left
// out when it takes more than a quarter, and the value cut to what is
// left (at a character's start). An error says it does not fit even
// without its value.
func encodeLetter(dl DeadLetter, key []byte, limit int) (*kgo.Record, bool, error) {
	v, err := json.Marshal(dl)
	if err != nil {
		return nil, false, err
	}
	if len(key)+len(v) <= limit {
		return &kgo.Record{Key: key, Value: v}, false, nil
	}
	dl.Truncated, dl.OriginalSize = true, len(dl.Value)
	if len(key) > limit/8 {
		key = key[:limit/8]
		dl.Key = cut(dl.Key, limit/8)
	}
	dl.Reason = cut(dl.Reason, limit/8)
	if d, err := json.Marshal(dl.Detail); err != nil || len(d) > limit/4 {
		dl.Detail = nil
	}
	value := dl.Value
	fits := func(n int) ([]byte, bool) {
		dl.Value = value[:n]
		b, _ := json.Marshal(dl) // it marshalled whole above
		return b, len(key)+len(b) <= limit
	}
	if b, ok := fits(len(value)); ok {
		return &kgo.Record{Key: key, Value: b}, true, nil
	}
	best, ok := fits(0)
	if !ok {
		return nil, true, fmt.Errorf("dead letter of %d bytes without its value, over the limit of %d", len(key)+len(best), limit)
	}
	// The largest head that fits: escaping makes a value's encoded size
	// anything from 1 to 6 times its length, so search for it.
	lo, hi := 0, len(value) // fits(lo); !fits(hi)
	for hi-lo > 1 {
		mid := runeStart(value, (lo+hi)/2)
		if mid <= lo {
			mid = runeEnd(value, lo+1)
			if mid >= hi {
				break
			}
		}
		if b, ok := fits(mid); ok {
			lo, best = mid, b
		} else {
			hi = mid
		}
	}
	return &kgo.Record{Key: key, Value: best}, true, nil
}

// cut returns s cut to at most n bytes, at a character's start.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:runeStart(s, n)]
}

// runeStart moves i back to the start of the character it is in.
func runeStart(s string, i int) int {
	for i > 0 && i < len(s) && !utf8.RuneStart(s[i]) {
		i--
	}
	return i
}

// runeEnd moves i on to the start of the next character.
func runeEnd(s string, i int) int {
	for i < len(s) && !utf8.RuneStart(s[i]) {
		i++
	}
	return i
}
