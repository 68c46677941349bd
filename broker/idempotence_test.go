package broker

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"log/slog"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/sluicelogs/sluice/broker/segment"
)

// producerBatch is a one-record batch from an idempotent producer.
func producerBatch(pid int64, epoch int16, seq int32, value string) []byte {
	b := buildBatch([]kv{{nil, []byte(value)}}, 1)
	binary.BigEndian.PutUint64(b[43:], uint64(pid))
	binary.BigEndian.PutUint16(b[51:], uint16(epoch))
	binary.BigEndian.PutUint32(b[53:], uint32(seq))
	binary.BigEndian.PutUint32(b[17:], crc32.Checksum(b[21:], castagnoli))
	return b
}

// TestIdempotentProducerSequences: a retried batch gets its first offset
// back and is not written twice; a gap or a stale epoch is refused; the
// state survives a restart (rebuilt from the batch headers).
func TestIdempotentProducerSequences(t *testing.T) {
	dir := t.TempDir()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	open := func() *partition {
		l, err := segment.Open(dir, segment.Options{}, log)
		if err != nil {
			t.Fatal(err)
		}
		l.SetHighWatermark(l.LogEndOffset())
		p := &partition{topic: "t", self: 1, minISR: 1, log: l, lg: log, role: roleLeader, leaderID: 1, isr: []int32{1},
			producers: map[int64]*producerState{}, notify: make(chan struct{})}
		if p.epochs, err = loadEpochs(dir); err != nil {
			t.Fatal(err)
		}
		if err := p.rebuild(); err != nil {
			t.Fatal(err)
		}
		return p
	}
	p := open()
	mustAppend := func(b []byte, want int64) {
		t.Helper()
		off, _, _, err := p.append(b, true)
		if err != nil || off != want {
			t.Fatalf("append: offset %d, %v; want %d", off, err, want)
		}
	}
	mustAppend(producerBatch(7, 0, 0, "a"), 0)
	mustAppend(producerBatch(7, 0, 1, "b"), 1)
	mustAppend(producerBatch(7, 0, 1, "b"), 1) // retry: same offset, not written again
	mustAppend(producerBatch(8, 0, 0, "x"), 2) // another producer
	if _, _, _, err := p.append(producerBatch(7, 0, 5, "gap"), true); !errors.Is(err, kerr.OutOfOrderSequenceNumber) {
		t.Fatalf("gap: %v", err)
	}
	mustAppend(producerBatch(7, 1, 0, "new epoch"), 3)
	if _, _, _, err := p.append(producerBatch(7, 0, 2, "stale epoch"), true); !errors.Is(err, kerr.InvalidProducerEpoch) {
		t.Fatalf("stale epoch: %v", err)
	}
	if p.log.LogEndOffset() != 4 {
		t.Fatalf("log end %d, want 4", p.log.LogEndOffset())
	}
	p.close()

	p = open()
	defer p.close()
	mustAppend(producerBatch(7, 1, 0, "new epoch"), 3) // a retry after a restart
	mustAppend(producerBatch(7, 1, 1, "next"), 4)
}
