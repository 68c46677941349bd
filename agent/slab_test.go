package agent

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
)

// TestSlabReuse: records settled in any order, on another goroutine (as
// the producer's promises are), keep their values and headers intact
// until settled, however their chunks are used again; and chunks are
// used again.
func TestSlabReuse(t *testing.T) {
	s := slab{free: newFreeList()}
	recs := make(chan *pendingRecord, 64)
	done := make(chan error, 1)
	go func() {
		defer func() {
			for range recs { // on an error, let the producing loop finish
			}
		}()
		rng := rand.New(rand.NewPCG(3, 4))
		var held []*pendingRecord
		check := func(p *pendingRecord) error {
			i, _ := strconv.Atoi(string(p.rec.Key))
			if want := value(i); !bytes.Equal(p.rec.Value, want) || string(p.rec.Headers[0].Value) != fmt.Sprint("id-", i) {
				return fmt.Errorf("record %d: value %q, id %q", i, p.rec.Value, p.rec.Headers[0].Value)
			}
			p.ctx.settle()
			return nil
		}
		for p := range recs {
			held = append(held, p)
			for len(held) > 200 || (len(held) > 0 && rng.IntN(4) == 0) {
				k := rng.IntN(len(held))
				if err := check(held[k]); err != nil {
					done <- err
					return
				}
				held = append(held[:k], held[k+1:]...)
			}
		}
		for _, p := range held {
			if err := check(p); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	made := 0
	for i := range 20000 {
		rec := s.record(context.Background(), ackToken{})
		rec.Key = []byte(strconv.Itoa(i))
		rec.Value = s.copyOf(value(i))
		rec.Headers = append(rec.Headers, s.recHeader(fmt.Sprint("id-", i)))
		recs <- s.cur
		if i == 10000 {
			s.release() // as an idle file
		}
		if len(s.free.bytes) > 0 {
			made++
		}
	}
	close(recs)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if made == 0 {
		t.Fatal("no chunk was freed for use again")
	}
}

// value is record i's value: a length that varies, so that records
// straddle chunk ends.
func value(i int) []byte { return bytes.Repeat([]byte{byte('a' + i%26)}, 50+i%700) }

func (s *slab) recHeader(id string) kgo.RecordHeader {
	return kgo.RecordHeader{Key: eventIDHeader, Value: s.copyOf([]byte(id))}
}
