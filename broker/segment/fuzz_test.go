package segment

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// fixCRCIfFramed recomputes the CRC over what the batch length says is the
// batch, so the fuzzer gets past the checksum to the checks behind it.
func fixCRCIfFramed(b []byte) {
	if len(b) < HeaderSize {
		return
	}
	end := int64(int32(binary.BigEndian.Uint32(b[offBatchLength:]))) + lengthPrefix
	if end < HeaderSize || end > int64(len(b)) {
		return
	}
	binary.BigEndian.PutUint32(b[offCRC:], crc32.Checksum(b[offAttributes:end], castagnoli))
}

func FuzzValidateBatch(f *testing.F) {
	good := makeBatch(f, [][]byte{[]byte("hello"), nil, []byte("world")}, 42)
	f.Add(good, false)
	f.Add(good[:40], false)
	f.Add(append(slices.Clone(good), 1, 2, 3), true)
	bad := slices.Clone(good)
	bad[len(bad)-2] ^= 0xff
	f.Add(bad, false)
	f.Add(bad, true)
	f.Fuzz(func(t *testing.T, b []byte, fix bool) {
		if fix {
			fixCRCIfFramed(b)
		}
		h, err := ValidateBatch(b)
		h2, err2 := ValidateBatch(b)
		if (err == nil) != (err2 == nil) || h != h2 {
			t.Fatalf("validation not deterministic: %v / %v", err, err2)
		}
		if err != nil {
			var be *BatchError
			if !errors.As(err, &be) {
				t.Fatalf("untyped error %T: %v", err, err)
			}
			return
		}
		if int(h.Size) != len(b) || h.RecordCount < 1 || h.LastOffsetDelta != h.RecordCount-1 {
			t.Fatalf("accepted inconsistent header %+v for %d bytes", h, len(b))
		}
		var rb kmsg.RecordBatch
		if err := rb.ReadFrom(b); err != nil {
			t.Fatalf("kmsg cannot decode an accepted batch: %v", err)
		}
		// Assigning offsets and epoch keeps the batch valid.
		c := slices.Clone(b)
		binary.BigEndian.PutUint64(c[offBaseOffset:], 1<<40)
		binary.BigEndian.PutUint32(c[offLeaderEpoch:], 9)
		if _, err := ValidateBatch(c); err != nil {
			t.Fatalf("offset rewrite broke the batch: %v", err)
		}
		if _, err := validateStored(c); err != nil {
			t.Fatalf("appended batch fails the stored check: %v", err)
		}
	})
}

func FuzzRecover(f *testing.F) {
	prefix := slices.Concat(
		makeBatch(f, [][]byte{[]byte("a")}, 1),
		makeBatch(f, [][]byte{[]byte("b"), []byte("c")}, 2),
	)
	// Offsets 0, then 1–2: stamp the second batch's base offset.
	binary.BigEndian.PutUint64(prefix[len(makeBatch(f, [][]byte{[]byte("a")}, 1)):], 1)
	next := makeBatch(f, [][]byte{[]byte("d")}, 3)
	binary.BigEndian.PutUint64(next, 3)
	f.Add(next, false)
	f.Add(next[:len(next)-1], false)
	f.Add([]byte{0, 0, 0, 0}, false)
	f.Add(slices.Concat(next, []byte("junk")), true)
	f.Fuzz(func(t *testing.T, tail []byte, fix bool) {
		if fix {
			fixCRCIfFramed(tail)
		}
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "00000000000000000000.log"), slices.Concat(prefix, tail), 0o644); err != nil {
			t.Fatal(err)
		}
		l, err := Open(dir, Options{SegmentBytes: 1 << 20, IndexIntervalBytes: 64}, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		leo := l.LogEndOffset()
		if leo < 3 {
			t.Fatalf("LEO %d lost intact batches", leo)
		}
		b, err := l.ReadBytes(0, 1<<30, leo)
		if err != nil {
			t.Fatal(err)
		}
		o := int64(0)
		for len(b) > 0 {
			size := int(binary.BigEndian.Uint32(b[offBatchLength:])) + lengthPrefix
			h, err := validateStored(b[:size])
			if err != nil || h.BaseOffset < o { // compaction may leave gaps
				t.Fatalf("recovered log holds an invalid batch at offset %d: %v", o, err)
			}
			o, b = h.NextOffset(), b[size:]
		}
		if o != leo {
			t.Fatalf("batches end at %d, LEO %d", o, leo)
		}
		base, _, err := l.Append(makeBatch(t, [][]byte{[]byte("e")}, 4), 0)
		if err != nil || base != leo {
			t.Fatalf("append after recovery: %d, %v", base, err)
		}
	})
}

// FuzzSplitBatches: splitting never reads past the input, the pieces are
// consecutive prefixes of it, and each is as long as its length says.
func FuzzSplitBatches(f *testing.F) {
	good := makeBatch(f, [][]byte{[]byte("a"), []byte("bc")}, 7)
	f.Add(append(slices.Clone(good), good...))
	f.Add(append(slices.Clone(good), good[:30]...))
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		at := 0
		for _, p := range SplitBatches(b) {
			if len(p) < HeaderSize || !slices.Equal(p, b[at:at+len(p)]) {
				t.Fatalf("piece of %d bytes at %d does not match the input", len(p), at)
			}
			if n := int(binary.BigEndian.Uint32(p[offBatchLength:])) + lengthPrefix; n != len(p) {
				t.Fatalf("piece of %d bytes says %d", len(p), n)
			}
			at += len(p)
		}
	})
}
