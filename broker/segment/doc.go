// Package segment stores one Kafka partition's log on disk: producer record
// batches kept verbatim in segment files, with sparse offset and time
// indexes, size/time retention, truncation and crash recovery. The broker
// serves fetches straight from the segment files.
//
// # On-disk layout
//
// A partition is one directory, named <topic>-<partition> by the broker.
// Each segment is three files named by the segment's base offset, the first
// offset it may hold, zero-padded to 20 digits (Kafka's naming):
//
//	<topic>-<n>/
//	  00000000000000000000.log        record batches, back to back
//	  00000000000000000000.index      sparse offset index
//	  00000000000000000000.timeindex  sparse time index
//	  00000000000000123456.log        the next segment, base offset 123456
//	  ...
//
// .log holds magic v2 record batches exactly as the producer sent them,
// except the two fields the broker assigns (big-endian, as on the wire):
//
//	off  size  field
//	  0     8  baseOffset            assigned by Append
//	  8     4  batchLength           bytes after this field
//	 12     4  partitionLeaderEpoch  assigned by Append
//	 16     1  magic                 always 2
//	 17     4  crc                   CRC-32C (Castagnoli) of bytes 21..end
//	 21     2  attributes            bits 0-2 compression codec
//	 23     4  lastOffsetDelta
//	 27     8  baseTimestamp
//	 35     8  maxTimestamp
//	 43     8  producerId
//	 51     2  producerEpoch
//	 53     4  baseSequence
//	 57     4  recordCount
//	 61     …  records (compressed as a whole when the codec is not 0)
//
// The CRC does not cover baseOffset, batchLength or partitionLeaderEpoch, so
// assigning offsets and epoch keeps a producer's CRC valid, and a fetch
// returns the very bytes that were appended.
//
// .index is a sequence of 8-byte entries {relativeOffset uint32, position
// uint32}: the batch whose baseOffset is base+relativeOffset starts at
// position in .log. .timeindex is a sequence of 12-byte entries {timestamp
// int64, relativeOffset uint32}: every batch whose baseOffset is at most
// base+relativeOffset has maxTimestamp ≤ timestamp.
//
// # Invariants
//
//   - Offsets increase across the whole log: each batch's baseOffset is
//     at least the previous batch's lastOffset+1, and each segment's first
//     batch starts at or after the segment's base offset. They are
//     contiguous until compaction cleans a segment: it leaves gaps (a
//     batch may also hold fewer records than its offset range, or none)
//     and may leave sealed segments empty; readers skip both, as Kafka's
//     consumers do. LogEndOffset is the last batch's lastOffset+1 (or the
//     active segment's base when it is empty).
//   - Only whole batches that passed validation are ever visible; a .log
//     file past its visible size may hold a torn write, which recovery cuts.
//   - A segment is at most SegmentBytes (≤ 2^31-1) and spans at most 2^32
//     offsets, so relative offsets and positions fit uint32. A batch larger
//     than SegmentBytes is refused. Only the last (active) segment is
//     written; older ones are sealed and were fsynced when they rolled.
//   - The index rule is a function of the data alone: the batch at position
//     p > 0 gets an offset index entry when p is at least IndexIntervalBytes
//     past the previous entry (position 0 is an implied entry). So a lookup
//     binary-searches the entries and then scans at most about one interval
//     of batch headers, and a rebuild produces the same .index. The time
//     index gets an entry with each offset index entry when the segment's
//     running max timestamp grew, plus one final entry when a segment rolls.
//     Entries are strictly increasing in both fields.
//   - LogStartOffset ≤ HighWatermark ≤ LogEndOffset. The high watermark is
//     in memory only: it starts at LogStartOffset on Open and the owner
//     raises it (a single-replica broker sets it to LogEndOffset after each
//     append). It never decreases except through TruncateTo.
//   - Retention deletes whole segments from the oldest on, never the active
//     segment and never one holding offsets at or above the high watermark.
//
// # Recovery
//
// Open lists the .log files (removing index files whose .log is gone) and:
//
//   - scans the active segment from its start, checking for every batch the
//     length against the file, magic 2, the CRC-32C and the contiguity of
//     offsets; it truncates the file at the first batch that fails (a torn
//     write after kill -9 or power loss, or garbage), logs what it cut, and
//     rebuilds both indexes from the data;
//   - for each sealed segment, loads its indexes if they are sane (no
//     larger than the log allows — one entry per HeaderSize bytes of log,
//     checked before the file is read, so a huge or sparse index costs a
//     rebuild and not its size in memory —, whole, strictly increasing
//     entries inside the file, no entry missing by the index rule) and scans the headers after the last entry to find the
//     segment's end offset and max timestamp; if anything is off it
//     rebuilds the segment like the active one, and if that cuts data it
//     deletes all later segments, because a log never has holes.
//
// Every batch that Append returned for is in the OS page cache before
// Append returns, so it survives kill -9 of the process. Surviving power
// loss needs FlushMessages=1 (fsync per append), Flush, or replication;
// FlushMessages=N and FlushInterval (with FlushIfDue, called by the
// broker's flush loop) bound what a power loss can take from one replica.
// OnSync counts every fsync of the active segment.
//
// A write that fails (ENOSPC, EIO) is cut again before Append returns: the
// .log and index files end where they did, so nothing torn stays and a
// batch its producer was told failed does not reappear after a restart.
//
// # Compaction
//
// A log opened with Compact (cleanup.policy=compact) refuses records
// without a key, and Clean keeps only the last record of each key in the
// sealed segments below the high watermark; see Clean for the rules
// (Kafka's: producers' last batches stay, tombstones stay until the delete
// horizon the first pass wrote into their batch, KIP-534's attribute bit
// 6 with the horizon in baseTimestamp). A pass writes each group of
// segments to <base>.log.cleaned, fsyncs it and renames it to
// <base>.log.swap: the commit point. It then removes the group's old files
// and renames the .swap over <base>.log; the indexes are rebuilt from the
// data. Open first removes any .cleaned file (never committed) and
// finishes any .swap: it removes the segments whose base lies in the
// swap's offsets and renames it into place. Segments of the group past
// the swap's last offset may survive a crash; their records were all
// superseded, so the log is only less clean. Which part was already clean
// is kept in memory only: after Open the first pass cleans everything.
//
// # Concurrency and ownership
//
// A Log is safe for concurrent use. Its writer lock serializes every
// mutation: Append, AppendReplica, TruncateTo, EnforceRetention, Flush and
// Close. A cleaning pass takes the cleaner lock instead, which everything
// that removes sealed segments (retention, truncation, Close) also takes
// first, so appends and reads go on during a pass; it takes the writer
// lock and the RWMutex only to swap a cleaned segment in. The writer does its file I/O holding only that lock, then publishes
// the new visible size, index entries and LogEndOffset under a RWMutex that
// readers (Read, OffsetForTimestamp, the offset getters) hold only long
// enough to copy a segment's visible size and index slice. Readers therefore
// run concurrently with appends and never see a batch that is not fully
// written. Index slices are only appended to in place; truncation installs
// new slices, so a reader's copy stays valid.
//
// A ReadResult holds a reference on its segment: retention, truncation and
// Close remove segments from the log at once, but their files stay open
// until the last ReadResult is released. A ReadResult for bytes that
// TruncateTo later cuts may return short or different bytes; the broker only
// truncates above what it has let consumers read.
//
// Append rewrites the baseOffset and partitionLeaderEpoch fields of the
// caller's buffer in place and does not keep the buffer.
//
// # Errors
//
// Rejected batches are *BatchError values and read errors
// *OffsetOutOfRangeError; both unwrap to the franz-go kerr error the broker
// answers with: CORRUPT_MESSAGE (length, magic, CRC), UNSUPPORTED_FOR_MESSAGE_FORMAT
// (magic 0 or 1), INVALID_RECORD (record count, lastOffsetDelta, record
// framing of an uncompressed batch, unknown codec, non-contiguous replica
// batch), MESSAGE_TOO_LARGE (over MaxBatchBytes or SegmentBytes) and
// OFFSET_OUT_OF_RANGE. I/O failures wrap KAFKA_STORAGE_ERROR.
//
// # Not yet here
//
// Time-based rolling (log.roll.hours), LogAppendTime timestamps (they would
// change the CRC), per-record timestamp lookup inside a batch, a checkpoint
// of the high watermark, recovery point and cleaner offset, and deferred file
// deletion. Indexes of all segments are kept in memory (8 bytes per
// IndexIntervalBytes of log, about 2 MiB per GiB at the defaults).
package segment
