// Package partition is one replica of a Kafka partition on a broker: its
// segment log (package segment), its role — leader, follower or neither —
// with the leader epoch, ISR and state-node version the cluster metadata
// last gave it, the leader-epoch cache (leader-epoch-checkpoint, as Kafka
// keeps it), the idempotent producers' recent sequences, and the high
// watermark rules of a leader (replica.go).
//
// # Writes
//
// Every write goes through one of three methods, and each validates what
// it writes:
//
//   - Append: a producer's batch, and the broker's own __consumer_offsets
//     records (the group manager's Store). The batch is validated once,
//     first (segment.CheckBatch: framing, CRC-32C, records), before the
//     role, the ISR and the producer's sequence are looked at; the log
//     takes only the segment.CheckedBatch that check returned
//     (segment.Log.AppendChecked), so it does not validate again and
//     nothing unchecked can reach it.
//   - AppendReplica: a follower's batches, fetched from the leader and
//     written as they are (offsets and leader epoch included); the log
//     checks each (segment.Log.AppendReplica: framing, CRC-32C, offsets
//     that continue the log) before writing it.
//   - Truncate and RestartAt: a follower cutting a divergent tail, or
//     starting over at the leader's log start.
//
// # Storage faults
//
// A write that fails with KAFKA_STORAGE_ERROR (the segment log's wrapping
// of ENOSPC, EIO, a failed fsync; a failed leader-epoch checkpoint too)
// takes the partition offline inside the failed call: its role becomes
// none, Append, AppendReplica, Truncate and RestartAt answer
// KAFKA_STORAGE_ERROR, WaitCommitted too for what is not committed yet,
// and SetState gives it no role again; Config.OnStorageError tells the
// broker, once. TakeOffline does the same for the other partitions of a
// failed log directory. Only reopening (a broker restart) brings it back.
//
// # Concurrency
//
// A Partition is shared by the broker's goroutines: connection handlers
// (produce, fetch, list offsets, OffsetForLeaderEpoch), the follower's
// fetcher, the cluster watch and the ISR loop (SetState), the retention
// loop, and the group manager (through Append and WaitCommitted). mu, not
// visible outside this package, guards the role, epochs, ISR, follower
// progress, producer state and the notify channel; every method takes it
// for its whole step, so a role check and the write it allows are one
// step (a batch is never appended by a replica that stopped leading).
// The log guards itself: HighWatermark, LogEndOffset, Read, Flush,
// EnforceRetention and the other log reads take no partition lock. Lock
// order: mu, then the log's locks; nothing is called with mu held that
// takes a broker lock or waits for a goroutine.
//
// Waiting is done outside mu: WaitChan returns a channel closed and
// replaced at every append, high-watermark change and role change, and
// WaitCommitted (acks=all) rechecks after each.
//
// The follower's fetcher is a goroutine the broker owns; the partition
// only records the function that stops it (AttachFetcher). SetState and
// Resign hand that function back when the role changes and the caller
// calls it after they return, outside mu, because the fetcher may be
// waiting for mu itself. Close only closes the log: stop the fetcher
// first.
package partition
