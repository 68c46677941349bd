// Package wal is the coordinator's durable Raft storage: a write-ahead log
// of entries and hard states, plus snapshot files, with crash recovery and
// purge. It fills a *raft.MemoryStorage on Open and keeps it in step with
// the disk afterwards, so raft.Config.Storage can be w.Storage() (a
// Storage: that MemoryStorage, whose snapshot made by CreateSnapshotFrom
// keeps its data only in its file, read back when raft sends it to a
// follower).
//
// # Use from the Ready loop
//
//	rd := rn.Ready()
//	w.SaveSnapshot(rd.Snapshot)                     // no-op when empty
//	w.Save(rd.HardState, rd.Entries, rd.MustSync)   // before sending rd.Messages
//	... send rd.Messages, apply rd.CommittedEntries ...
//	rn.Advance(rd)
//
// Now and then the application snapshots its state machine at its applied
// index with CreateSnapshotFrom (streaming its encoding to the file) and, per autopurge.purgeInterval, calls
// Purge(autopurge.snapRetainCount). All methods are safe for concurrent use.
// After a failed write the WAL refuses further writes (the file may end in
// a partial record); reopening it truncates that and recovers.
//
// # Files
//
//	<logDir>/log-<first index, 16 hex digits>.wal    log segments
//	<snapDir>/snap-<term, 16 hex>-<index, 16 hex>.snap snapshots
//
// A segment's name is the lowest entry index it may hold. A new segment is
// started only by CreateSnapshot and SaveSnapshot (as ZooKeeper rolls its log
// at a snapshot); segment log-X begins with a snapshot marker for index X-1,
// the hard state at that time, and — for CreateSnapshot — a copy of every
// entry after X-1 that the log already held. So segment log-X alone (with
// the segments after it) rebuilds the log from index X on. New segments are
// written as *.tmp, fsynced and renamed, so a segment that exists is never
// half-made. The first segment, log-0000000000000001.wal, has no marker.
//
// # Record format
//
// Segments are sequences of records; a snapshot file is exactly one record:
//
//	[uint32 LE payload length][uint32 LE CRC-32C (Castagnoli) of payload][payload]
//	payload = type byte + protobuf (raftpb, proto2 wire format)
//
//	type 1 entry      pb.Entry
//	type 2 hardstate  pb.HardState
//	type 3 marker     pb.SnapshotMetadata (the log was snapshotted/restored here)
//	type 4 snapshot   pb.Snapshot (only in .snap files; one received from the leader)
//	type 5 snapshot   uvarint metadata length, pb.SnapshotMetadata, then the
//	                  application's data to the end (only in .snap files;
//	                  streamed by CreateSnapshotFrom, its header written last)
//
// A record in a segment is at most MaxRecordSize bytes, so a garbage length
// never makes recovery allocate much; snapshot files are bounded by their
// size instead (a type 5 file is written back to the disk 4 MiB at a time
// as it is written, so that its writeback never stalls the log's fdatasync
// for long). Save writes the entries of a batch before its hard state,
// so a torn batch never leaves a commit index beyond the entries it covers.
//
// # Replay (Open)
//
// Open loads the newest snapshot file that decodes and matches its name,
// skipping corrupt ones with a warning, then reads every segment in order:
//
//   - an entry at index i replaces the entry at i and everything after it
//     (raft's conflict rule); entries at or below the snapshot index are not
//     kept, and a gap is an error;
//   - the last hard state wins;
//   - a marker for index m drops entries after m (they were superseded, or
//     are repeated after the marker). If m is above the loaded snapshot (its
//     file was corrupt and an older one was loaded), the entries replayed so
//     far must reach m with the marker's term, else Open fails: the log then
//     depends on a snapshot it cannot read.
//
// Torn writes: a crash may interrupt the write of the LAST segment's final
// records, leaving a bad record there. One rule decides whether a bad
// record is such a torn tail: only zeros (the preallocated space, or
// nothing) may follow the bytes it claims. So, in the last segment:
//
//   - a record whose CRC fails is torn if only zeros follow its claimed
//     length;
//   - a record whose length is zero or above MaxRecordSize claims only its
//     header: torn if only zeros follow the header (all zeros from the
//     record on are the unused preallocation, trimmed without a warning);
//   - a record cut inside its header ends the file: torn;
//   - a record whose length runs past the end of the file claims all that
//     remains, so nothing follows it; as a length corrupted in the middle
//     of the log would too, it is torn only if those bytes hold no intact
//     record (a whole record whose CRC matches): a torn write leaves a
//     prefix of one record, not whole records after it.
//
// A torn tail is truncated (a slog warning) and appending continues. Any
// other bad record — whatever is wrong with it, header or CRC — and any
// bad record in an earlier segment (earlier segments are cut to their
// records and fsynced before a new one starts) makes Open refuse, with an
// error naming the file, the offset, and what follows the record: cutting
// the log there would silently lose the entries after it.
//
// Preallocation: the segment being written is filled with zeros ahead of
// its last record (1 to 16 MiB, in the background; see pad.go), because an
// fdatasync over blocks that already exist costs less than one that also
// grows the file. Records are written at an offset, over the zeros. Zeros
// after the last record are the unused preallocation: Open trims them
// without a warning, as do Close and the start of a new segment.
//
// # Compaction and purge
//
// CreateSnapshot compacts the MemoryStorage but keeps SetKeepEntries
// (default 10,000) entries before the snapshot index for slow followers.
// After a restart the MemoryStorage starts at the loaded snapshot.
//
// Purge(retain) keeps the newest retain snapshot files (a corrupt one still
// counts) and deletes older ones, then deletes segments from the oldest up,
// stopping at the first one still needed: a segment can go when the segment
// after it starts at or below (oldest retained snapshot index)+1 and it is
// not the segment being written. So Open can fall back to ANY retained
// snapshot and still replay every entry after it.
package wal
