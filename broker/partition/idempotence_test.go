package partition

import (
	"errors"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
)

// TestIdempotentProducerSequences: a retried batch gets its first offset
// back and is not written twice; a gap or a stale epoch is refused; the
// state survives a restart (rebuilt from the batch headers).
func TestIdempotentProducerSequences(t *testing.T) {
	dir := t.TempDir()
	p := openAs(t, dir, asLeader)
	mustAppend := func(b []byte, want int64) {
		t.Helper()
		off, _, _, err := p.Append(b, true)
		if err != nil || off != want {
			t.Fatalf("append: offset %d, %v; want %d", off, err, want)
		}
	}
	mustAppend(producerBatch(7, 0, 0, "a"), 0)
	mustAppend(producerBatch(7, 0, 1, "b"), 1)
	mustAppend(producerBatch(7, 0, 1, "b"), 1) // retry: same offset, not written again
	mustAppend(producerBatch(8, 0, 0, "x"), 2) // another producer
	if _, _, _, err := p.Append(producerBatch(7, 0, 5, "gap"), true); !errors.Is(err, kerr.OutOfOrderSequenceNumber) {
		t.Fatalf("gap: %v", err)
	}
	mustAppend(producerBatch(7, 1, 0, "new epoch"), 3)
	if _, _, _, err := p.Append(producerBatch(7, 0, 2, "stale epoch"), true); !errors.Is(err, kerr.InvalidProducerEpoch) {
		t.Fatalf("stale epoch: %v", err)
	}
	if p.LogEndOffset() != 4 {
		t.Fatalf("log end %d, want 4", p.LogEndOffset())
	}
	p.Close()

	p = openAs(t, dir, asLeader)
	defer p.Close()
	mustAppend(producerBatch(7, 1, 0, "new epoch"), 3) // a retry after a restart
	mustAppend(producerBatch(7, 1, 1, "next"), 4)
}
