package segment

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// kv is one record of a test batch; a nil value is a tombstone, a nil key
// a keyless record.
type kv struct{ key, value []byte }

type producer struct {
	id    int64
	epoch int16
	seq   int32
}

// makeKeyedBatch builds a producer batch of keyed records at timestamp ts,
// compressed with codec (0 none), from producer p when p is not nil.
func makeKeyedBatch(tb testing.TB, recs []kv, ts int64, codec int16, p *producer) []byte {
	tb.Helper()
	var area []byte
	for i, r := range recs {
		rec := kmsg.Record{TimestampDelta64: int64(i), OffsetDelta: int32(i), Key: r.key, Value: r.value}
		rec.Length = int32(len(rec.AppendTo(nil)) - 1)
		area = rec.AppendTo(area)
	}
	if codec != 0 {
		c, err := kgo.DefaultCompressor(codecFor(codec))
		if err != nil {
			tb.Fatal(err)
		}
		var buf bytes.Buffer
		z, _ := c.Compress(&buf, area)
		area = bytes.Clone(z)
	}
	n := int32(len(recs))
	rb := kmsg.RecordBatch{Length: int32(HeaderSize - lengthPrefix + len(area)), PartitionLeaderEpoch: -1, Magic: 2,
		Attributes: codec, LastOffsetDelta: n - 1, FirstTimestamp: ts, MaxTimestamp: ts + int64(n) - 1,
		ProducerID: -1, ProducerEpoch: -1, FirstSequence: -1, NumRecords: n, Records: area}
	if p != nil {
		rb.ProducerID, rb.ProducerEpoch, rb.FirstSequence = p.id, p.epoch, p.seq
		p.seq += n
	}
	b := rb.AppendTo(nil)
	fixCRC(b)
	return b
}

// stored is a record as read back from a log.
type stored struct {
	offset int64
	key    string
	value  string
	null   bool
}

// readRecords reads the whole log up to LogEndOffset and decodes every
// record, checking that offsets only increase.
func readRecords(tb testing.TB, l *Log) ([]stored, []Header) {
	tb.Helper()
	var out []stored
	var hs []Header
	off, end := l.LogStartOffset(), l.LogEndOffset()
	for off < end {
		b, err := l.ReadBytes(off, 1<<20, end)
		if err != nil {
			tb.Fatal(err)
		}
		if len(b) == 0 {
			tb.Fatalf("empty read at %d before the end %d", off, end)
		}
		for _, bb := range SplitBatches(b) {
			h, err := validateStored(bb)
			if err != nil {
				tb.Fatal(err)
			}
			recs, err := batchRecords(bb, &h)
			if err != nil {
				tb.Fatal(err)
			}
			for _, r := range recs {
				o := h.BaseOffset + int64(r.offDelta)
				if o < off || o > h.LastOffset() {
					tb.Fatalf("record offset %d outside [%d, %d]", o, off, h.LastOffset())
				}
				out = append(out, stored{o, string(r.key), string(r.value), !r.hasValue})
			}
			hs = append(hs, h)
			off = h.NextOffset()
		}
	}
	return out, hs
}

// cleanEnd is the base of the active segment: what a pass may clean when
// the high watermark is at the end.
func cleanEnd(l *Log) int64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.segs[len(l.segs)-1].base
}

// expectCleaned is the model: below end, the last record of each key
// survives, tombstones too unless dropTombstones; above, everything.
func expectCleaned(all []stored, end int64, dropTombstones bool) []stored {
	latest := map[string]int64{}
	for _, r := range all {
		if r.offset < end {
			latest[r.key] = r.offset
		}
	}
	var out []stored
	for _, r := range all {
		if r.offset >= end || (latest[r.key] == r.offset && !(r.null && dropTombstones)) {
			out = append(out, r)
		}
	}
	return out
}

func compactOpts() Options {
	return Options{Compact: true, SegmentBytes: 4096, IndexIntervalBytes: 256, DeleteRetentionMs: 1000, MinCleanableDirtyRatio: 0.01}
}

// fillKeyed appends n random batches over keys k0..k(keys-1), some
// tombstones, some batches compressed, and returns every record written.
func fillKeyed(t *testing.T, l *Log, rng *rand.Rand, n, keys int, ts int64) []stored {
	t.Helper()
	var all []stored
	for range n {
		var recs []kv
		for range 1 + rng.IntN(4) {
			k := fmt.Sprintf("k%d", rng.IntN(keys))
			var v []byte
			if rng.IntN(8) != 0 {
				v = fmt.Appendf(nil, "v%d-%s", rng.Int64(), bytes.Repeat([]byte("x"), rng.IntN(40)))
			}
			recs = append(recs, kv{[]byte(k), v})
		}
		base, _, err := l.Append(makeKeyedBatch(t, recs, ts, int16(rng.IntN(5)), nil), 0)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range recs {
			all = append(all, stored{base + int64(i), string(r.key), string(r.value), r.value == nil})
		}
	}
	l.SetHighWatermark(l.LogEndOffset())
	return all
}

func mustClean(t *testing.T, l *Log, now time.Time) CleanStats {
	t.Helper()
	st, err := l.Clean(context.Background(), now)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestCleanKeepsLatestPerKey(t *testing.T) {
	for seed := range uint64(3) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			dir := t.TempDir()
			l := openLog(t, dir, compactOpts())
			rng := rand.New(rand.NewPCG(seed, 7))
			now := time.UnixMilli(1_700_000_000_000)
			all := fillKeyed(t, l, rng, 300, 20, now.UnixMilli())
			end := cleanEnd(l)
			before := segFiles(t, dir, logSuffix)
			st := mustClean(t, l, now)
			if !st.Ran || st.RecordsRemoved == 0 {
				t.Fatalf("pass %+v", st)
			}
			got, _ := readRecords(t, l)
			if want := expectCleaned(all, end, false); !slices.Equal(got, want) {
				t.Fatalf("after one pass: %d records, want %d", len(got), len(want))
			}
			if after := segFiles(t, dir, logSuffix); len(after) >= len(before) {
				t.Fatalf("segments %d → %d: not merged", len(before), len(after))
			}
			if st := mustClean(t, l, now); st.Ran {
				t.Fatalf("second pass without new dirty data ran: %+v", st)
			}
			// Past the delete horizon the tombstones go.
			mustClean(t, l, now.Add(1001*time.Millisecond))
			got, _ = readRecords(t, l)
			if want := expectCleaned(all, end, true); !slices.Equal(got, want) {
				t.Fatalf("after the horizon: %d records, want %d", len(got), len(want))
			}
			// The same survives a restart.
			l.Close()
			l2 := openLog(t, dir, compactOpts())
			if got2, _ := readRecords(t, l2); !slices.Equal(got2, got) {
				t.Fatalf("after reopen: %d records, want %d", len(got2), len(got))
			}
		})
	}
}

func TestCleanRefusesKeylessRecords(t *testing.T) {
	l := openLog(t, t.TempDir(), compactOpts())
	for _, codec := range []int16{0, 2} {
		_, _, err := l.Append(makeKeyedBatch(t, []kv{{[]byte("k"), []byte("v")}, {nil, []byte("v")}}, 1, codec, nil), 0)
		if !errors.Is(err, kerr.InvalidRecord) {
			t.Fatalf("codec %d: keyless record: %v, want INVALID_RECORD", codec, err)
		}
	}
	if l.LogEndOffset() != 0 {
		t.Fatalf("refused batch stored: LEO %d", l.LogEndOffset())
	}
	plain := openLog(t, t.TempDir(), Options{})
	if _, _, err := plain.Append(makeKeyedBatch(t, []kv{{nil, []byte("v")}}, 1, 0, nil), 0); err != nil {
		t.Fatalf("keyless record on a non-compacted log: %v", err)
	}
}

// TestCleanKeepsProducersLastBatch: a batch whose records were all
// superseded stays, empty, when it is its producer's last one, so the
// producer's sequence survives as in Kafka.
func TestCleanKeepsProducersLastBatch(t *testing.T) {
	l := openLog(t, t.TempDir(), compactOpts())
	p := &producer{id: 7, epoch: 1}
	big := bytes.Repeat([]byte("v"), 1500)
	if _, _, err := l.Append(makeKeyedBatch(t, []kv{{[]byte("a"), big}}, 1, 0, nil), 0); err != nil {
		t.Fatal(err)
	}
	if _, _, err := l.Append(makeKeyedBatch(t, []kv{{[]byte("b"), big}, {[]byte("a"), big}}, 1, 0, p), 0); err != nil {
		t.Fatal(err)
	}
	for range 3 { // supersede everything, without the producer, and roll
		if _, _, err := l.Append(makeKeyedBatch(t, []kv{{[]byte("a"), big}, {[]byte("b"), big}}, 1, 0, nil), 0); err != nil {
			t.Fatal(err)
		}
	}
	l.SetHighWatermark(l.LogEndOffset())
	mustClean(t, l, time.UnixMilli(10))
	_, hs := readRecords(t, l)
	i := slices.IndexFunc(hs, func(h Header) bool { return h.ProducerID == 7 })
	if i < 0 {
		t.Fatal("the producer's last batch is gone")
	}
	if h := hs[i]; h.RecordCount != 0 || h.BaseOffset != 1 || h.LastOffset() != 2 || h.BaseSequence != 0 || h.ProducerEpoch != 1 {
		t.Fatalf("producer batch after cleaning %+v", h)
	}
	if hs[0].ProducerID == -1 && hs[0].BaseOffset == 0 {
		t.Fatalf("superseded batch at offset 0 kept: %+v", hs[0])
	}
}

// TestCleanCrashAtEveryStep kills a pass (CleanFault) at each step and
// opens a copy of the directory as the crash left it: the log must open
// with every record intact, either as before or as after the pass, and a
// new pass must then finish the job.
func TestCleanCrashAtEveryStep(t *testing.T) {
	for _, step := range []string{StepWrite, StepSync, StepSwap, StepDelete, StepInstall} {
		t.Run(step, func(t *testing.T) {
			dir := t.TempDir()
			opts := compactOpts()
			opts.CleanFault = func(s string) error {
				if s == step {
					return errors.New("kill -9")
				}
				return nil
			}
			l := openLog(t, dir, opts)
			now := time.UnixMilli(1_700_000_000_000)
			all := fillKeyed(t, l, rand.New(rand.NewPCG(1, 2)), 200, 15, now.UnixMilli())
			end := cleanEnd(l)
			if _, err := l.Clean(context.Background(), now); !errors.Is(err, errCrash) {
				t.Fatalf("pass: %v, want the injected crash", err)
			}
			crashed := copyDir(t, dir)
			l2 := openLog(t, crashed, compactOpts())
			got, _ := readRecords(t, l2)
			cleaned := expectCleaned(all, end, false)
			if !slices.Equal(got, all) && !slices.Equal(got, cleaned) {
				// Partly cleaned is allowed too: every survivor intact, and
				// nothing that is not in the original log.
				byOff := map[int64]stored{}
				for _, r := range all {
					byOff[r.offset] = r
				}
				for _, r := range got {
					if byOff[r.offset] != r {
						t.Fatalf("record %+v not in the original log", r)
					}
				}
				if missing := slices.DeleteFunc(slices.Clone(cleaned), func(r stored) bool { return slices.Contains(got, r) }); len(missing) > 0 {
					t.Fatalf("%d surviving records lost, first %+v", len(missing), missing[0])
				}
			}
			for _, suf := range []string{cleanedSuffix, swapSuffix} {
				if m := segFiles(t, crashed, suf); len(m) > 0 {
					t.Fatalf("left over after open: %v", m)
				}
			}
			l2.SetHighWatermark(l2.LogEndOffset())
			mustClean(t, l2, now)
			if got, _ := readRecords(t, l2); !slices.Equal(got, cleaned) {
				t.Fatalf("after a pass on the recovered log: %d records, want %d", len(got), len(cleaned))
			}
			if _, err := l.Clean(context.Background(), now); err == nil {
				t.Fatal("a log whose pass crashed cleaned again")
			}
		})
	}
}

// TestCleanWhileAppending runs passes while a writer appends and a reader
// reads (for the race detector), then checks the model.
func TestCleanWhileAppending(t *testing.T) {
	l := openLog(t, t.TempDir(), compactOpts())
	now := time.UnixMilli(1_700_000_000_000)
	rng := rand.New(rand.NewPCG(3, 4))
	var all []stored
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 20 {
			if _, err := l.Clean(context.Background(), now); err != nil {
				t.Error(err)
				return
			}
			if _, err := l.ReadBytes(l.LogStartOffset(), 1<<16, l.HighWatermark()); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for range 10 {
		all = append(all, fillKeyed(t, l, rng, 30, 10, now.UnixMilli())...)
	}
	<-done
	end := cleanEnd(l)
	mustClean(t, l, now)
	got, _ := readRecords(t, l)
	if want := expectCleaned(all, end, false); !slices.Equal(got, want) {
		t.Fatalf("%d records, want %d", len(got), len(want))
	}
}

func TestCleanOnlyWhenDue(t *testing.T) {
	opts := compactOpts()
	opts.MinCleanableDirtyRatio = 0.9
	opts.MinCompactionLagMs = 60_000
	l := openLog(t, t.TempDir(), opts)
	now := time.UnixMilli(1_700_000_000_000)
	fillKeyed(t, l, rand.New(rand.NewPCG(5, 6)), 100, 5, now.UnixMilli())
	if st := mustClean(t, l, now); st.Ran {
		t.Fatalf("records younger than min.compaction.lag.ms cleaned: %+v", st)
	}
	if st := mustClean(t, l, now.Add(2*time.Minute)); !st.Ran {
		t.Fatal("nothing cleaned after the lag")
	}
	plain := openLog(t, t.TempDir(), Options{SegmentBytes: 4096})
	fillKeyed(t, plain, rand.New(rand.NewPCG(5, 6)), 100, 5, now.UnixMilli())
	if st := mustClean(t, plain, now); st.Ran {
		t.Fatal("a delete-policy log was cleaned")
	}
}

// TestCleanMaxCompactionLag: a dirty part below min.cleanable.dirty.ratio
// waits, unless its first batch is older than max.compaction.lag.ms.
func TestCleanMaxCompactionLag(t *testing.T) {
	for _, lag := range []int64{0, 60_000} {
		opts := compactOpts()
		opts.MinCleanableDirtyRatio, opts.MaxCompactionLagMs = 0.99, lag
		l := openLog(t, t.TempDir(), opts)
		now := time.UnixMilli(1_700_000_000_000)
		rng := rand.New(rand.NewPCG(8, 9))
		// Distinct keys: a pass removes nothing, so the clean part stays big.
		for i := range 200 {
			if _, _, err := l.Append(makeKeyedBatch(t, []kv{{fmt.Appendf(nil, "k%d", i), []byte("value")}}, now.UnixMilli(), 0, nil), 0); err != nil {
				t.Fatal(err)
			}
		}
		l.SetHighWatermark(l.LogEndOffset())
		mustClean(t, l, now)
		fillKeyed(t, l, rng, 40, 5, now.UnixMilli())
		st := mustClean(t, l, now.Add(2*time.Minute))
		if st.Ran != (lag > 0) {
			t.Fatalf("max.compaction.lag.ms=%d: pass ran %v", lag, st.Ran)
		}
	}
}
