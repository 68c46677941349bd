package segment

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
)

// payload is the value stored at offset o: variable length, self-describing.
func payload(o int64) []byte {
	return fmt.Appendf(nil, "record-%d-%s", o, bytes.Repeat([]byte{'x'}, int(o%53)))
}

// appendN appends n batches of 1–3 records each, record o holding
// payload(o), batch i at timestamp ts(i); it returns the batches' ranges.
func appendN(t *testing.T, l *Log, n int, ts func(i int) int64) [][2]int64 {
	t.Helper()
	var out [][2]int64
	next := l.LogEndOffset()
	for i := range n {
		recs := make([][]byte, 1+i%3)
		for j := range recs {
			recs[j] = payload(next + int64(j))
		}
		base, last, err := l.Append(makeBatch(t, recs, ts(i)), 7)
		if err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
		if base != next || last != next+int64(len(recs))-1 {
			t.Fatalf("append %d: offsets [%d,%d], want [%d,%d]", i, base, last, next, next+int64(len(recs))-1)
		}
		out = append(out, [2]int64{base, last})
		next = last + 1
	}
	return out
}

func constTs(int) int64 { return 1_700_000_000_000 }

// checkOffset reads offset o alone and checks the batch and record.
func checkOffset(t *testing.T, l *Log, o int64) decoded {
	t.Helper()
	b, err := l.ReadBytes(o, 1, l.LogEndOffset())
	if err != nil {
		t.Fatalf("read %d: %v", o, err)
	}
	ds := decodeBatches(t, b)
	if len(ds) != 1 {
		t.Fatalf("read %d: %d batches, want 1", o, len(ds))
	}
	d := ds[0]
	if o < d.base || o > d.last {
		t.Fatalf("read %d: got batch [%d,%d]", o, d.base, d.last)
	}
	if got := d.values[o-d.base]; !bytes.Equal(got, payload(o)) {
		t.Fatalf("read %d: value %q", o, got)
	}
	return d
}

// checkAll reads the whole log in chunks and checks contiguity and values.
func checkAll(t *testing.T, l *Log) {
	t.Helper()
	o, leo := l.LogStartOffset(), l.LogEndOffset()
	for o < leo {
		b, err := l.ReadBytes(o, 8<<10, leo)
		if err != nil {
			t.Fatalf("read %d: %v", o, err)
		}
		ds := decodeBatches(t, b)
		if len(ds) == 0 {
			t.Fatalf("read %d: nothing before LEO %d", o, leo)
		}
		for _, d := range ds {
			if d.base != o {
				t.Fatalf("batch at %d, want %d (gap or overlap)", d.base, o)
			}
			for i, v := range d.values {
				if !bytes.Equal(v, payload(d.base+int64(i))) {
					t.Fatalf("offset %d: value %q", d.base+int64(i), v)
				}
			}
			o = d.last + 1
		}
	}
	if b, err := l.ReadBytes(leo, 1<<20, leo); err != nil || len(b) != 0 {
		t.Fatalf("read at LEO: %d bytes, %v", len(b), err)
	}
}

func TestAppendReadBack(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "logs-0")
	opts := Options{SegmentBytes: 64 << 10, IndexIntervalBytes: 1024}
	l := openLog(t, dir, opts)
	ranges := appendN(t, l, 10_000, func(i int) int64 { return int64(1000 + i) })
	leo := ranges[len(ranges)-1][1] + 1
	if got := l.LogEndOffset(); got != leo {
		t.Fatalf("LEO %d, want %d", got, leo)
	}
	if n := len(segFiles(t, dir, ".log")); n < 5 {
		t.Fatalf("%d segments, want several", n)
	}
	for _, f := range segFiles(t, dir, ".log") {
		if fileSize(t, f) > opts.SegmentBytes {
			t.Fatalf("%s is larger than SegmentBytes", f)
		}
	}
	for o := int64(0); o < leo; o++ {
		if d := checkOffset(t, l, o); d.epoch != 7 {
			t.Fatalf("offset %d: leader epoch %d", o, d.epoch)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		want := ranges[rng.IntN(len(ranges))]
		o := want[0] + rng.Int64N(want[1]-want[0]+1)
		r, err := l.Read(o, 1, leo)
		if err != nil {
			t.Fatal(err)
		}
		if r.FirstOffset != want[0] {
			t.Fatalf("offset %d: batch %d, want %d", o, r.FirstOffset, want[0])
		}
		r.Release()
	}
	checkAll(t, l)
	var oor *OffsetOutOfRangeError
	if _, err := l.Read(leo+1, 1, leo+1); !errors.As(err, &oor) || !errors.Is(err, kerr.OffsetOutOfRange) {
		t.Fatalf("read past LEO: %v", err)
	}

	// Reopen: sealed indexes are trusted and equal what a rebuild makes.
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	want := map[string][]byte{}
	for _, f := range segFiles(t, dir, ".index") {
		b, _ := os.ReadFile(f)
		want[f] = b
		os.Remove(f)
	}
	l = openLog(t, dir, opts)
	if l.LogEndOffset() != leo {
		t.Fatalf("LEO after reopen %d, want %d", l.LogEndOffset(), leo)
	}
	checkAll(t, l)
	l.Close()
	for f, b := range want {
		if got, _ := os.ReadFile(f); !bytes.Equal(got, b) {
			t.Fatalf("%s: rebuilt index differs (%d vs %d bytes)", filepath.Base(f), len(got), len(b))
		}
	}
}

func TestReadLimits(t *testing.T) {
	l := openLog(t, t.TempDir(), Options{SegmentBytes: 1 << 20, IndexIntervalBytes: 256})
	ranges := appendN(t, l, 200, constTs)
	leo := l.LogEndOffset()
	for _, maxBytes := range []int{1, 100, 500, 1000, 4096, 1 << 20} {
		for _, start := range []int{0, 17, 150} {
			o := ranges[start][0]
			r, err := l.Read(o, maxBytes, leo)
			if err != nil {
				t.Fatal(err)
			}
			b := make([]byte, r.Size)
			r.File.ReadAt(b, r.Position)
			r.Release()
			ds := decodeBatches(t, b)
			if len(ds) == 0 || ds[0].base != o {
				t.Fatalf("maxBytes %d from %d: %d batches", maxBytes, o, len(ds))
			}
			if len(ds) > 1 && len(b) > maxBytes {
				t.Fatalf("maxBytes %d: got %d bytes in %d batches", maxBytes, len(b), len(ds))
			}
			// Maximal: the next batch would not have fitted.
			next := start + len(ds)
			if next < len(ranges) {
				nb, _ := l.ReadBytes(ranges[next][0], 1, leo)
				if len(b)+len(nb) <= maxBytes {
					t.Fatalf("maxBytes %d from %d: stopped early at %d bytes", maxBytes, o, len(b))
				}
			}
		}
	}
	// maxOffset (the high watermark) stops before the batch holding it.
	hw := ranges[100][0] + 1
	b, err := l.ReadBytes(0, 1<<20, hw)
	if err != nil {
		t.Fatal(err)
	}
	ds := decodeBatches(t, b)
	if last := ds[len(ds)-1]; last.last >= hw || last.base != ranges[99][0] {
		t.Fatalf("read to hw %d ended with batch [%d,%d]", hw, last.base, last.last)
	}
	if b, _ := l.ReadBytes(hw, 1<<20, hw); len(b) != 0 {
		t.Fatal("read at maxOffset returned data")
	}
}

func TestHighWatermark(t *testing.T) {
	l := openLog(t, t.TempDir(), Options{})
	appendN(t, l, 10, constTs)
	if l.HighWatermark() != 0 {
		t.Fatalf("initial hw %d", l.HighWatermark())
	}
	l.SetHighWatermark(5)
	l.SetHighWatermark(3)
	if l.HighWatermark() != 5 {
		t.Fatalf("hw went backwards: %d", l.HighWatermark())
	}
	l.SetHighWatermark(1 << 40)
	if l.HighWatermark() != l.LogEndOffset() {
		t.Fatalf("hw %d above LEO %d", l.HighWatermark(), l.LogEndOffset())
	}
}

func TestAppendRejects(t *testing.T) {
	good := func() []byte { return makeBatch(t, [][]byte{[]byte("a"), []byte("b")}, 1) }
	edit := func(f func(b []byte) []byte) []byte { return f(good()) }
	tests := []struct {
		name  string
		batch []byte
		want  *kerr.Error
	}{
		{"crc", edit(func(b []byte) []byte { b[len(b)-1] ^= 1; return b }), kerr.CorruptMessage},
		{"empty", nil, kerr.CorruptMessage},
		{"short", good()[:HeaderSize-1], kerr.CorruptMessage},
		{"torn", good()[:HeaderSize+3], kerr.CorruptMessage},
		{"trailing", append(good(), 0), kerr.CorruptMessage},
		{"two batches", append(good(), good()...), kerr.CorruptMessage},
		{"garbage", bytes.Repeat([]byte{0xa5}, 200), kerr.CorruptMessage},
		{"magic 1", edit(func(b []byte) []byte { b[offMagic] = 1; return b }), kerr.UnsupportedForMessageFormat},
		{"magic 7", edit(func(b []byte) []byte { b[offMagic] = 7; return b }), kerr.CorruptMessage},
		{"no records", edit(func(b []byte) []byte {
			binary.BigEndian.PutUint32(b[offRecordCount:], 0)
			fixCRC(b)
			return b
		}), kerr.InvalidRecord},
		{"lastOffsetDelta", edit(func(b []byte) []byte {
			binary.BigEndian.PutUint32(b[offLastOffsetDelta:], 5)
			fixCRC(b)
			return b
		}), kerr.InvalidRecord},
		{"record count vs records", edit(func(b []byte) []byte {
			binary.BigEndian.PutUint32(b[offRecordCount:], 3)
			binary.BigEndian.PutUint32(b[offLastOffsetDelta:], 2)
			fixCRC(b)
			return b
		}), kerr.InvalidRecord},
		{"codec", edit(func(b []byte) []byte { b[offAttributes+1] |= 6; fixCRC(b); return b }), kerr.InvalidRecord},
		{"too large", makeBatch(t, [][]byte{make([]byte, 5000)}, 1), kerr.MessageTooLarge},
	}
	dir := t.TempDir()
	l := openLog(t, dir, Options{MaxBatchBytes: 4096})
	appendN(t, l, 3, constTs)
	leo := l.LogEndOffset()
	size := fileSize(t, segmentPath(dir, 0, logSuffix))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := l.Append(tt.batch, 0)
			var be *BatchError
			if !errors.As(err, &be) || !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %s", err, tt.want.Message)
			}
			if l.LogEndOffset() != leo || fileSize(t, segmentPath(dir, 0, logSuffix)) != size {
				t.Fatal("rejected batch changed the log")
			}
		})
	}
	appendN(t, l, 1, constTs) // still appendable
	checkAll(t, l)
}

func TestAppendReplica(t *testing.T) {
	leader := openLog(t, t.TempDir(), Options{SegmentBytes: 4096})
	follower := openLog(t, t.TempDir(), Options{SegmentBytes: 4096})
	appendN(t, leader, 100, constTs)
	for o := int64(0); o < leader.LogEndOffset(); {
		b, err := leader.ReadBytes(o, 1, leader.LogEndOffset())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := follower.AppendReplica(b); err != nil {
			t.Fatal(err)
		}
		if _, err := follower.AppendReplica(b); !errors.Is(err, kerr.InvalidRecord) {
			t.Fatalf("non-contiguous replica append: %v", err)
		}
		o = decodeBatches(t, b)[0].last + 1
	}
	if follower.LogEndOffset() != leader.LogEndOffset() {
		t.Fatal("follower LEO differs")
	}
	checkAll(t, follower)
}

func TestRecoverTornTail(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "torn-0")
	opts := Options{SegmentBytes: 32 << 10, IndexIntervalBytes: 512}
	l := openLog(t, dir, opts)
	ranges := appendN(t, l, 400, constTs)
	lastBase := ranges[len(ranges)-1][0]
	fullLEO := l.LogEndOffset()
	// No Close: a kill -9 leaves the files as they are in the page cache.
	logs := segFiles(t, dir, ".log")
	active := filepath.Base(logs[len(logs)-1])
	if len(logs) < 2 {
		t.Fatal("want several segments")
	}
	size := fileSize(t, filepath.Join(dir, active))
	lastBatch, err := l.ReadBytes(lastBase, 1, fullLEO)
	if err != nil {
		t.Fatal(err)
	}
	start := size - int64(len(lastBatch))
	rng := rand.New(rand.NewPCG(3, 4))

	reopen := func(t *testing.T, d string, wantLEO int64) {
		t.Helper()
		l2, err := Open(d, opts, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer l2.Close()
		if got := l2.LogEndOffset(); got != wantLEO {
			t.Fatalf("LEO %d, want %d", got, wantLEO)
		}
		checkAll(t, l2)
		base, _, err := l2.Append(makeBatch(t, [][]byte{payload(wantLEO)}, 5), 8)
		if err != nil || base != wantLEO {
			t.Fatalf("append after recovery: offset %d, %v; want %d", base, err, wantLEO)
		}
		checkAll(t, l2)
	}

	for cut := start; cut < size; cut++ {
		d := copyDir(t, dir)
		p := filepath.Join(d, active)
		if err := os.Truncate(p, cut); err != nil {
			t.Fatal(err)
		}
		if cut%2 == 1 { // and garbage where the rest of the batch was
			f, _ := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
			junk := make([]byte, rng.IntN(300))
			for i := range junk {
				junk[i] = byte(rng.Uint32())
			}
			f.Write(junk)
			f.Close()
		}
		reopen(t, d, lastBase)
	}

	t.Run("garbage after intact tail", func(t *testing.T) {
		for _, junk := range [][]byte{
			bytes.Repeat([]byte{0}, 100),
			bytes.Repeat([]byte{0xff}, 5000),
			func() []byte { // a well-formed header whose CRC is wrong
				b := makeBatch(t, [][]byte{[]byte("zzz")}, 1)
				binary.BigEndian.PutUint64(b, uint64(fullLEO))
				b[len(b)-1]++
				return b
			}(),
			func() []byte { // a valid batch that would reuse offsets
				b := makeBatch(t, [][]byte{[]byte("old")}, 1)
				binary.BigEndian.PutUint64(b, uint64(lastBase))
				return b
			}(),
		} {
			d := copyDir(t, dir)
			f, _ := os.OpenFile(filepath.Join(d, active), os.O_WRONLY|os.O_APPEND, 0)
			f.Write(junk)
			f.Close()
			reopen(t, d, fullLEO)
		}
	})

	t.Run("corrupt batch in the middle", func(t *testing.T) {
		d := copyDir(t, dir)
		p := filepath.Join(d, active)
		b, _ := os.ReadFile(p)
		mid := ranges[len(ranges)-20]
		r, _ := l.Read(mid[0], 1, fullLEO)
		b[r.Position+int64(r.Size)-1] ^= 0x40
		r.Release()
		os.WriteFile(p, b, 0o644)
		reopen(t, d, mid[0])
	})
}

func TestRecoverCorruptIndex(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "idx-0")
	opts := Options{SegmentBytes: 32 << 10, IndexIntervalBytes: 512}
	l := openLog(t, dir, opts)
	appendN(t, l, 600, constTs)
	leo := l.LogEndOffset()
	l.Close()
	idx := segFiles(t, dir, ".index")
	sealed, active := filepath.Base(idx[0]), filepath.Base(idx[len(idx)-1])
	orig := map[string][]byte{}
	for _, f := range idx {
		orig[filepath.Base(f)], _ = os.ReadFile(f)
	}
	corruptions := map[string]func(b []byte) []byte{
		"odd length":   func(b []byte) []byte { return b[:len(b)-3] },
		"empty":        func(b []byte) []byte { return nil },
		"garbage":      func(b []byte) []byte { return bytes.Repeat([]byte{0x5a}, len(b)) },
		"past the end": func(b []byte) []byte { return binary.BigEndian.AppendUint32(append(b, 0xff, 0, 0, 0), 1<<30) },
		"decreasing":   func(b []byte) []byte { return append(b, b[:8]...) },
	}
	for name, corrupt := range corruptions {
		for _, file := range []string{sealed, active} {
			t.Run(name+"/"+file, func(t *testing.T) {
				d := copyDir(t, dir)
				p := filepath.Join(d, file)
				os.WriteFile(p, corrupt(slices.Clone(orig[file])), 0o644)
				l := openLog(t, d, opts)
				if l.LogEndOffset() != leo {
					t.Fatalf("LEO %d, want %d", l.LogEndOffset(), leo)
				}
				for o := int64(0); o < leo; o += 7 {
					checkOffset(t, l, o)
				}
				l.Close()
				if got, _ := os.ReadFile(p); !bytes.Equal(got, orig[file]) {
					t.Fatalf("index not rebuilt: %d bytes, want %d", len(got), len(orig[file]))
				}
			})
		}
	}
	t.Run("missing index files", func(t *testing.T) {
		d := copyDir(t, dir)
		for _, f := range segFiles(t, d, ".index") {
			os.Remove(f)
		}
		for _, f := range segFiles(t, d, ".timeindex") {
			os.Remove(f)
		}
		l := openLog(t, d, opts)
		checkAll(t, l)
	})
	t.Run("orphan index", func(t *testing.T) {
		d := copyDir(t, dir)
		orphan := segmentPath(d, 1<<40, indexSuffix)
		os.WriteFile(orphan, []byte("junk"), 0o644)
		openLog(t, d, opts)
		if _, err := os.Stat(orphan); !errors.Is(err, os.ErrNotExist) {
			t.Fatal("orphan index kept")
		}
	})
	t.Run("torn sealed segment", func(t *testing.T) {
		// A sealed segment cut short (a lost write after power loss)
		// ends the log there: later segments would leave a hole.
		d := copyDir(t, dir)
		logs := segFiles(t, d, ".log")
		os.Truncate(logs[1], fileSize(t, logs[1])-5)
		os.WriteFile(siblingPath(logs[1], ".index"), nil, 0o644) // force the rebuild path
		l := openLog(t, d, opts)
		if n := len(segFiles(t, d, ".log")); n != 2 {
			t.Fatalf("%d segments left, want 2", n)
		}
		checkAll(t, l)
		appendN(t, l, 5, constTs)
		checkAll(t, l)
	})
}

func siblingPath(logPath, suffix string) string {
	return logPath[:len(logPath)-len(logSuffix)] + suffix
}

func TestRetention(t *testing.T) {
	now := time.UnixMilli(1_700_000_000_000)
	t.Run("bytes", func(t *testing.T) {
		dir := t.TempDir()
		opts := Options{SegmentBytes: 4096, RetentionBytes: 10_000, RetentionMs: -1}
		l := openLog(t, dir, opts)
		appendN(t, l, 300, constTs)
		leo := l.LogEndOffset()
		if n, err := l.EnforceRetention(now); n != 0 || err != nil {
			t.Fatalf("deleted %d (%v) above the high watermark", n, err)
		}
		l.SetHighWatermark(leo)
		n, err := l.EnforceRetention(now)
		if err != nil || n == 0 {
			t.Fatalf("deleted %d, %v", n, err)
		}
		var total int64
		logs := segFiles(t, dir, ".log")
		for _, f := range logs {
			total += fileSize(t, f)
		}
		if total < opts.RetentionBytes || total-fileSize(t, logs[0]) >= opts.RetentionBytes {
			t.Fatalf("%d bytes left in %d segments", total, len(logs))
		}
		start := l.LogStartOffset()
		if want := segmentPath(dir, start, logSuffix); logs[0] != want {
			t.Fatalf("log start %d but first segment %s", start, logs[0])
		}
		if _, err := l.Read(start-1, 1, leo); !errors.Is(err, kerr.OffsetOutOfRange) {
			t.Fatalf("read below log start: %v", err)
		}
		checkAll(t, l)
		l.Close()
		l = openLog(t, dir, opts)
		if l.LogStartOffset() != start || l.LogEndOffset() != leo {
			t.Fatal("reopened log differs")
		}
	})
	t.Run("time", func(t *testing.T) {
		dir := t.TempDir()
		opts := Options{SegmentBytes: 4096, RetentionMs: time.Hour.Milliseconds()}
		l := openLog(t, dir, opts)
		old := now.Add(-2 * time.Hour).UnixMilli()
		appendN(t, l, 100, func(int) int64 { return old })
		boundary := l.LogEndOffset()
		appendN(t, l, 100, func(int) int64 { return now.UnixMilli() })
		l.SetHighWatermark(l.LogEndOffset())
		if _, err := l.EnforceRetention(now); err != nil {
			t.Fatal(err)
		}
		// Only segments holding nothing newer than the limit go.
		if s := l.LogStartOffset(); s == 0 || s > boundary {
			t.Fatalf("log start %d, want in (0, %d]", s, boundary)
		}
		checkAll(t, l)
		// Everything old: all but the active segment goes.
		n, _ := l.EnforceRetention(now.Add(24 * time.Hour))
		if n == 0 || len(segFiles(t, dir, ".log")) != 1 {
			t.Fatalf("deleted %d, %d segments left", n, len(segFiles(t, dir, ".log")))
		}
		checkAll(t, l)
		appendN(t, l, 3, constTs)
		checkAll(t, l)
	})
}

func TestTruncateTo(t *testing.T) {
	dir := t.TempDir()
	opts := Options{SegmentBytes: 4096, IndexIntervalBytes: 256}
	l := openLog(t, dir, opts)
	ranges := appendN(t, l, 300, constTs)
	l.SetHighWatermark(l.LogEndOffset())
	segs := len(segFiles(t, dir, ".log"))

	steps := []struct {
		name    string
		offset  int64
		wantLEO int64
	}{
		{"beyond LEO is a no-op", 1 << 40, l.LogEndOffset()},
		{"batch boundary", ranges[280][0], ranges[280][0]},
		{"inside a batch", ranges[270][0] + 1, ranges[270][0] + boolInt(ranges[270][1] == ranges[270][0])},
		{"across segments", ranges[50][0] + 1, ranges[50][0] + boolInt(ranges[50][1] == ranges[50][0])},
	}
	for _, s := range steps {
		if err := l.TruncateTo(s.offset); err != nil {
			t.Fatal(err)
		}
		if got := l.LogEndOffset(); got != s.wantLEO {
			t.Fatalf("%s: LEO %d, want %d", s.name, got, s.wantLEO)
		}
		if l.HighWatermark() > s.wantLEO {
			t.Fatalf("%s: hw %d above LEO", s.name, l.HighWatermark())
		}
		checkAll(t, l)
	}
	if n := len(segFiles(t, dir, ".log")); n >= segs {
		t.Fatalf("%d segments, want fewer than %d", n, segs)
	}
	appendN(t, l, 100, constTs)
	checkAll(t, l)
	leo := l.LogEndOffset()
	l.Close()
	l = openLog(t, dir, opts)
	if l.LogEndOffset() != leo {
		t.Fatal("LEO changed on reopen")
	}
	checkAll(t, l)

	t.Run("to log start", func(t *testing.T) {
		if err := l.TruncateTo(0); err != nil {
			t.Fatal(err)
		}
		if l.LogEndOffset() != 0 || l.LogStartOffset() != 0 || len(segFiles(t, dir, ".log")) != 1 {
			t.Fatal("log not empty")
		}
		appendN(t, l, 10, constTs)
		checkAll(t, l)
	})
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func TestOffsetForTimestamp(t *testing.T) {
	for _, name := range []string{"increasing", "random"} {
		t.Run(name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(5, 6))
			tsOf := func(i int) int64 { return 10_000 + int64(i)*10 }
			if name == "random" {
				tsOf = func(int) int64 { return 10_000 + rng.Int64N(5000) }
			}
			l := openLog(t, t.TempDir(), Options{SegmentBytes: 4096, IndexIntervalBytes: 256})
			var batches []decoded
			leo := int64(0)
			for i := range 500 {
				ts := tsOf(i)
				appendN(t, l, 1, func(int) int64 { return ts })
				b, _ := l.ReadBytes(leo, 1, l.LogEndOffset())
				d := decodeBatches(t, b)[0]
				batches = append(batches, d)
				leo = d.last + 1
			}
			for range 1000 {
				ts := 9_000 + rng.Int64N(8000)
				want := int64(-1)
				for _, d := range batches {
					if d.maxTs >= ts {
						want = d.base
						break
					}
				}
				got, err := l.OffsetForTimestamp(ts)
				if err != nil || got != want {
					t.Fatalf("ts %d: got %d (%v), want %d", ts, got, err, want)
				}
			}
		})
	}
}

func TestConcurrentReadAppendRetention(t *testing.T) {
	l := openLog(t, t.TempDir(), Options{SegmentBytes: 8192, RetentionBytes: 64 << 10, RetentionMs: -1})
	appendN(t, l, 50, constTs)
	var wg sync.WaitGroup
	done := make(chan struct{})
	errc := make(chan error, 4)
	for r := range 3 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(r), 9))
			for {
				select {
				case <-done:
					return
				default:
				}
				start, leo := l.LogStartOffset(), l.LogEndOffset()
				o := start + rng.Int64N(leo-start)
				res, err := l.Read(o, 4096, leo)
				if errors.Is(err, kerr.OffsetOutOfRange) {
					continue // retention got there first
				}
				if err != nil {
					errc <- err
					return
				}
				b := make([]byte, res.Size)
				_, err = res.File.ReadAt(b, res.Position)
				res.Release()
				if err != nil {
					errc <- err
					return
				}
				for len(b) > 0 {
					size := int(binary.BigEndian.Uint32(b[offBatchLength:])) + lengthPrefix
					if _, err := validateStored(b[:size]); err != nil {
						errc <- err
						return
					}
					b = b[size:]
				}
			}
		})
	}
	for i := range 2000 {
		appendN(t, l, 1, constTs)
		l.SetHighWatermark(l.LogEndOffset())
		if i%100 == 0 {
			if _, err := l.EnforceRetention(time.Now()); err != nil {
				t.Fatal(err)
			}
		}
	}
	close(done)
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	checkAll(t, l)
}

func TestWriteToSocket(t *testing.T) {
	l := openLog(t, t.TempDir(), Options{SegmentBytes: 1 << 20})
	appendN(t, l, 500, constTs)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan []byte, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			got <- nil
			return
		}
		defer c.Close()
		b, _ := io.ReadAll(c)
		got <- b
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	r, err := l.Read(100, 64<<10, l.LogEndOffset())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Release()
	n, err := r.WriteTo(c)
	c.Close()
	if err != nil || n != r.Size {
		t.Fatalf("WriteTo: %d of %d bytes, %v", n, r.Size, err)
	}
	want := make([]byte, r.Size)
	r.File.ReadAt(want, r.Position)
	if b := <-got; !bytes.Equal(b, want) {
		t.Fatalf("socket got %d bytes, want %d identical", len(b), len(want))
	}
	var buf bytes.Buffer // the io.Copy path
	if n, err := r.WriteTo(&buf); err != nil || n != r.Size || !bytes.Equal(buf.Bytes(), want) {
		t.Fatalf("WriteTo buffer: %d, %v", n, err)
	}
}

func TestClosed(t *testing.T) {
	l := openLog(t, t.TempDir(), Options{})
	appendN(t, l, 3, constTs)
	r, err := l.Read(0, 1<<20, 3)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	// An unreleased read keeps its file open past Close.
	if _, err := r.File.ReadAt(make([]byte, r.Size), r.Position); err != nil {
		t.Fatal(err)
	}
	r.Release()
	if _, _, err := l.Append(makeBatch(t, [][]byte{{1}}, 1), 0); !errors.Is(err, ErrClosed) {
		t.Fatalf("append after close: %v", err)
	}
	if _, err := l.Read(0, 1, 1); !errors.Is(err, ErrClosed) {
		t.Fatalf("read after close: %v", err)
	}
}

func TestOptionsValidate(t *testing.T) {
	for _, o := range []Options{{SegmentBytes: 10}, {SegmentBytes: 1 << 32}, {RetentionMs: -2}, {MaxBatchBytes: 3}} {
		if o.Validate() == nil {
			t.Errorf("%+v: no error", o)
		}
	}
	if err := (Options{}).Validate(); err != nil {
		t.Fatal(err)
	}
}
