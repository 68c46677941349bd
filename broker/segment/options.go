package segment

import (
	"fmt"
	"math"
	"time"
)

const (
	// maxSegmentBytes bounds a segment because index positions are uint32
	// and Kafka caps log.segment.bytes at Integer.MAX_VALUE.
	maxSegmentBytes = math.MaxInt32
	minSegmentBytes = 1024

	DefaultSegmentBytes       = 1 << 30
	DefaultIndexIntervalBytes = 4096
	DefaultRetentionMs        = 7 * 24 * 60 * 60 * 1000 // log.retention.hours=168
	DefaultMaxBatchBytes      = 1048588                 // message.max.bytes

	DefaultDeleteRetentionMs      = 86400000 // delete.retention.ms
	DefaultMinCleanableDirtyRatio = 0.5      // min.cleanable.dirty.ratio
)

// Options configure a Log. The zero value of every field means its default.
type Options struct {
	// SegmentBytes is log.segment.bytes: the active segment rolls before
	// an append would take it past this size. Default 1 GiB, at most
	// 2^31-1, at least 1 KiB.
	SegmentBytes int64
	// IndexIntervalBytes is index.interval.bytes: a batch gets a sparse
	// index entry when it starts at least this many bytes after the
	// previous entry. Default 4096.
	IndexIntervalBytes int
	// RetentionBytes is log.retention.bytes per partition; -1 (the
	// default, also for 0) keeps any size.
	RetentionBytes int64
	// RetentionMs is log.retention.ms; -1 keeps forever; 0 means the
	// default of 168 hours.
	RetentionMs int64
	// MaxBatchBytes is message.max.bytes, the largest batch Append takes.
	// Default 1048588.
	MaxBatchBytes int
	// FlushMessages is log.flush.interval.messages: fsync the active
	// segment once this many records were appended since the last fsync.
	// 0 (the default) leaves flushing to the OS and to Flush, as Kafka's
	// default of Long.MAX_VALUE does; 1 syncs every append.
	FlushMessages int64
	// FlushInterval is log.flush.interval.ms: FlushIfDue fsyncs the active
	// segment when it holds records appended since the last fsync and
	// that fsync is at least this old. 0 (the default) never does.
	FlushInterval time.Duration
	// OnSync, when set, is called after every fsync of the log's data
	// (a flush by FlushMessages, FlushIfDue or Flush, and a roll) with
	// how long it took: the broker's flush metric. It runs with the
	// log's writer lock held and must not call the log.
	OnSync func(time.Duration)
	// WriteFault, when set, is consulted before every write to a
	// segment's files: it returns how many bytes of p to write and an
	// error to fail the write with after them, as a full or failing
	// disk would (a torn write, then ENOSPC or EIO). nil error: the
	// write proceeds. Tests inject storage faults with it.
	WriteFault func(file string, p []byte) (int, error)

	// Compact is cleanup.policy containing compact: appends refuse
	// records without a key and Clean keeps the latest record of each
	// key. Retention still applies unless the caller disables it.
	Compact bool
	// DeleteRetentionMs is delete.retention.ms: how long a tombstone
	// stays after the pass that first cleaned it. 0 means the default
	// of 86400000; -1 means tombstones go at their first clean.
	DeleteRetentionMs int64
	// MinCleanableDirtyRatio is min.cleanable.dirty.ratio (default 0.5
	// for 0): the share of dirty bytes that makes the log worth cleaning.
	MinCleanableDirtyRatio float64
	// MinCompactionLagMs is min.compaction.lag.ms: segments with records
	// younger than this are not cleaned. Default 0.
	MinCompactionLagMs int64
	// MaxCompactionLagMs is max.compaction.lag.ms: a dirty segment whose
	// first batch is older than this is cleaned whatever the dirty
	// ratio. 0 means never (Kafka's default of Long.MAX_VALUE).
	MaxCompactionLagMs int64
	// CleanFault, when set, is called at each step of a cleaning pass
	// (see Clean); a non-nil error stops the pass there as a kill -9
	// would, without cleaning up. Tests inject crashes with it.
	CleanFault func(step string) error
}

func (o Options) withDefaults() Options {
	if o.SegmentBytes == 0 {
		o.SegmentBytes = DefaultSegmentBytes
	}
	if o.IndexIntervalBytes == 0 {
		o.IndexIntervalBytes = DefaultIndexIntervalBytes
	}
	if o.RetentionBytes == 0 {
		o.RetentionBytes = -1
	}
	if o.RetentionMs == 0 {
		o.RetentionMs = DefaultRetentionMs
	}
	if o.MaxBatchBytes == 0 {
		o.MaxBatchBytes = DefaultMaxBatchBytes
	}
	if o.DeleteRetentionMs == 0 {
		o.DeleteRetentionMs = DefaultDeleteRetentionMs
	} else if o.DeleteRetentionMs < 0 {
		o.DeleteRetentionMs = 0
	}
	if o.MinCleanableDirtyRatio == 0 {
		o.MinCleanableDirtyRatio = DefaultMinCleanableDirtyRatio
	}
	return o
}

// Validate reports the first option out of range (after defaults).
func (o Options) Validate() error {
	o = o.withDefaults()
	switch {
	case o.SegmentBytes < minSegmentBytes || o.SegmentBytes > maxSegmentBytes:
		return fmt.Errorf("segment: SegmentBytes %d not in [%d, %d]", o.SegmentBytes, minSegmentBytes, maxSegmentBytes)
	case o.IndexIntervalBytes < 0:
		return fmt.Errorf("segment: IndexIntervalBytes %d < 0", o.IndexIntervalBytes)
	case o.RetentionBytes < -1:
		return fmt.Errorf("segment: RetentionBytes %d < -1", o.RetentionBytes)
	case o.RetentionMs < -1:
		return fmt.Errorf("segment: RetentionMs %d < -1", o.RetentionMs)
	case o.MaxBatchBytes < HeaderSize:
		return fmt.Errorf("segment: MaxBatchBytes %d < %d", o.MaxBatchBytes, HeaderSize)
	case o.FlushMessages < 0:
		return fmt.Errorf("segment: FlushMessages %d < 0", o.FlushMessages)
	case o.MinCleanableDirtyRatio < 0 || o.MinCleanableDirtyRatio > 1:
		return fmt.Errorf("segment: MinCleanableDirtyRatio %g not in [0, 1]", o.MinCleanableDirtyRatio)
	case o.MinCompactionLagMs < 0 || o.MaxCompactionLagMs < 0:
		return fmt.Errorf("segment: compaction lags %d, %d < 0", o.MinCompactionLagMs, o.MaxCompactionLagMs)
	case o.FlushInterval < 0:
		return fmt.Errorf("segment: FlushInterval %s < 0", o.FlushInterval)
	}
	return nil
}
