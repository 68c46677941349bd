package wal

import (
	"testing"

	pb "go.etcd.io/raft/v3/raftpb"
)

// BenchmarkSave measures one Ready's worth of log writes: 100 entries of
// 1 KiB and a hard state per Save, or 10 (a standalone coordinator's Ready
// under 32 clients).
func BenchmarkSave(b *testing.B) {
	for _, c := range []struct {
		name    string
		sync    bool
		entries int
	}{{"nosync", false, 100}, {"fsync", true, 100}, {"fsync-10", true, 10}} {
		b.Run(c.name, func(b *testing.B) {
			d := dirs{log: b.TempDir(), snap: b.TempDir()}
			w, err := Open(d.log, d.snap, nil)
			if err != nil {
				b.Fatal(err)
			}
			defer w.Close()
			w.SetKeepEntries(0)
			// The same 100 entries are saved again and again under new
			// indexes, so the benchmark measures the WAL, not the building
			// of entries.
			data := make([]byte, 1024)
			ents := make([]*pb.Entry, c.entries)
			for i := range ents {
				ents[i] = &pb.Entry{Term: new(uint64(1)), Index: new(uint64(0)), Type: pb.EntryNormal.Enum(), Data: data}
			}
			hs := mkHS(1, 1, 0)
			var next uint64 = 1
			b.SetBytes(int64(len(ents) * len(data)))
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				for _, e := range ents {
					*e.Index = next
					next++
				}
				*hs.Commit = next - 1
				if err := w.Save(hs, ents, c.sync); err != nil {
					b.Fatal(err)
				}
				if i%1000 == 999 {
					// Bound the disk and memory a long run uses, as the
					// coordinator does with snapshots and autopurge.
					b.StopTimer()
					if err := w.CreateSnapshot(next-1, nil, nil); err != nil {
						b.Fatal(err)
					}
					if err := w.Purge(1); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
				}
			}
		})
	}
}
