package partition

import (
	"encoding/binary"
	"log/slog"
	"testing"
	"time"

	"github.com/sluicelogs/sluice/broker/segment"
)

// producerBatch is a one-record batch from an idempotent producer.
func producerBatch(pid int64, epoch int16, seq int32, value string) []byte {
	b := segment.BuildBatch([]segment.Record{{Value: []byte(value)}}, 1)
	binary.BigEndian.PutUint64(b[43:], uint64(pid))
	binary.BigEndian.PutUint16(b[51:], uint16(epoch))
	binary.BigEndian.PutUint32(b[53:], uint32(seq))
	segment.SetCRC(b)
	return b
}

// openAs opens the partition in dir as broker 1 with the role st gives
// it among replicas 1 and 2.
func openAs(t *testing.T, dir string, st State) *Partition {
	t.Helper()
	p, err := Open(Config{Topic: "t", Self: 1, MinISR: 1, Dir: dir, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	p.SetState(st, 0, []int32{1, 2}, time.Now())
	return p
}

// asLeader is the state of a partition that broker 1 leads alone.
var asLeader = State{Leader: 1, ISR: []int32{1}}
