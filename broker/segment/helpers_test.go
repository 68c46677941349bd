package segment

import (
	"encoding/binary"
	"hash/crc32"
	"os"
	"path/filepath"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// makeBatch builds a valid, uncompressed magic v2 producer batch holding
// records as values, with record i at timestamp ts+i, using franz-go's
// encoders for the records and the batch header.
func makeBatch(tb testing.TB, records [][]byte, ts int64) []byte {
	tb.Helper()
	var recs []byte
	for i, v := range records {
		r := kmsg.Record{TimestampDelta64: int64(i), OffsetDelta: int32(i), Value: v}
		r.Length = int32(len(r.AppendTo(nil)) - 1) // a zero Length is one varint byte
		recs = r.AppendTo(recs)
	}
	n := int32(len(records))
	rb := kmsg.RecordBatch{
		FirstOffset:          0,
		Length:               int32(HeaderSize - lengthPrefix + len(recs)),
		PartitionLeaderEpoch: -1,
		Magic:                2,
		LastOffsetDelta:      n - 1,
		FirstTimestamp:       ts,
		MaxTimestamp:         ts + int64(n) - 1,
		ProducerID:           -1,
		ProducerEpoch:        -1,
		FirstSequence:        -1,
		NumRecords:           n,
		Records:              recs,
	}
	b := rb.AppendTo(nil)
	fixCRC(b)
	return b
}

// fixCRC recomputes the CRC-32C of a batch after a test edited it.
func fixCRC(b []byte) {
	binary.BigEndian.PutUint32(b[offCRC:], crc32.Checksum(b[offAttributes:], crc32.MakeTable(crc32.Castagnoli)))
}

type decoded struct {
	base, last int64
	epoch      int32
	maxTs      int64
	values     [][]byte
}

// decodeBatches splits fetched bytes into batches with kmsg and decodes
// their records, failing on anything that is not whole, valid batches.
func decodeBatches(tb testing.TB, b []byte) []decoded {
	tb.Helper()
	var out []decoded
	for len(b) > 0 {
		if len(b) < HeaderSize {
			tb.Fatalf("%d trailing bytes", len(b))
		}
		size := int(binary.BigEndian.Uint32(b[offBatchLength:])) + lengthPrefix
		if size > len(b) {
			tb.Fatalf("partial batch: %d of %d bytes", len(b), size)
		}
		if _, err := validateStored(b[:size]); err != nil {
			tb.Fatalf("invalid batch returned: %v", err)
		}
		var rb kmsg.RecordBatch
		if err := rb.ReadFrom(b[:size]); err != nil {
			tb.Fatal(err)
		}
		d := decoded{base: rb.FirstOffset, last: rb.FirstOffset + int64(rb.LastOffsetDelta), epoch: rb.PartitionLeaderEpoch, maxTs: rb.MaxTimestamp}
		recs := rb.Records
		for i := int32(0); i < rb.NumRecords; i++ {
			var r kmsg.Record
			if err := r.ReadFrom(recs); err != nil {
				tb.Fatalf("record %d: %v", i, err)
			}
			l, n := binary.Varint(recs)
			recs = recs[n+int(l):]
			d.values = append(d.values, r.Value)
		}
		out = append(out, d)
		b = b[size:]
	}
	return out
}

func openLog(tb testing.TB, dir string, opts Options) *Log {
	tb.Helper()
	l, err := Open(dir, opts, nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { l.Close() })
	return l
}

// copyDir copies a partition directory, as a crash would leave it.
func copyDir(tb testing.TB, src string) string {
	tb.Helper()
	dst := filepath.Join(tb.TempDir(), filepath.Base(src))
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		tb.Fatal(err)
	}
	return dst
}

func segFiles(tb testing.TB, dir, suffix string) []string {
	tb.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*"+suffix))
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

func fileSize(tb testing.TB, path string) int64 {
	tb.Helper()
	st, err := os.Stat(path)
	if err != nil {
		tb.Fatal(err)
	}
	return st.Size()
}
