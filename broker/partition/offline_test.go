package partition

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/sluicelogs/sluice/broker/segment"
)

// TestStorageErrorTakesPartitionOffline: a leader whose append fails with
// ENOSPC answers KAFKA_STORAGE_ERROR, gives up leadership at once (it no
// longer appends, even once the disk has room again, nor takes a role from
// a newer state) and tells the broker once; the records before the fault
// are intact after a restart, which brings the partition back.
func TestStorageErrorTakesPartitionOffline(t *testing.T) {
	dir := t.TempDir()
	var full atomic.Bool
	var reported atomic.Int32
	p, err := Open(Config{Topic: "t", Self: 1, MinISR: 1, Dir: dir, Logger: slog.New(slog.DiscardHandler),
		OnStorageError: func(err error) { reported.Add(1) },
		Log: segment.Options{WriteFault: func(_ string, b []byte) (int, error) {
			if full.Load() {
				return len(b) / 3, syscall.ENOSPC
			}
			return 0, nil
		}}})
	if err != nil {
		t.Fatal(err)
	}
	p.SetState(asLeader, 0, []int32{1, 2}, time.Now())
	if _, _, _, err := p.Append(producerBatch(7, 0, 0, "kept"), true); err != nil {
		t.Fatal(err)
	}
	full.Store(true)
	if _, _, _, err := p.Append(producerBatch(7, 0, 1, "lost"), true); !errors.Is(err, kerr.KafkaStorageError) {
		t.Fatalf("append on a full disk: %v, want KAFKA_STORAGE_ERROR", err)
	}
	full.Store(false)
	if p.IsLeader() || !p.Offline() || reported.Load() != 1 {
		t.Fatalf("after the fault: leader=%v offline=%v reported %d times", p.IsLeader(), p.Offline(), reported.Load())
	}
	if _, _, _, err := p.Append(producerBatch(7, 0, 1, "again"), true); !errors.Is(err, kerr.KafkaStorageError) {
		t.Fatalf("append once offline: %v, want KAFKA_STORAGE_ERROR", err)
	}
	if _, follow := p.SetState(State{Leader: 1, LeaderEpoch: 1, ISR: []int32{1}}, 1, []int32{1, 2}, time.Now()); follow || p.IsLeader() {
		t.Fatal("an offline partition took a role")
	}
	if err := p.WaitCommitted(context.Background(), 1, 0, time.Now().Add(time.Second)); !errors.Is(err, kerr.KafkaStorageError) {
		t.Fatalf("acks=all wait once offline: %v", err)
	}
	if reported.Load() != 1 {
		t.Fatalf("reported %d times, want once", reported.Load())
	}
	p.Close()

	p = openAs(t, dir, asLeader)
	defer p.Close()
	if p.LogEndOffset() != 1 || p.Offline() {
		t.Fatalf("after a restart: log end %d offline %v, want 1 and online", p.LogEndOffset(), p.Offline())
	}
	if off, _, _, err := p.Append(producerBatch(7, 0, 1, "after"), true); err != nil || off != 1 {
		t.Fatalf("append after a restart: %d %v", off, err)
	}
}
