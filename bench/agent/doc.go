// Package agent is `sluice-bench agent` (Main): it tails pre-written files into
// a sluice broker twice — once with `sluice agent` and once with rsyslog's
// imfile → omkafka (Debian packages rsyslog and rsyslog-kafka) — and
// reports, for each, lines/s, MiB/s of file bytes and CPU seconds per GiB
// of file bytes, side by side with the ratio sluice/rsyslog.
//
// Every shipper runs as a process (testkit/proc) against one standalone
// sluice coordinator + broker (testkit/testpeer.StartBrokers) and gets a fresh topic
// and a fresh registry or work directory, so each reads its file from the
// start. The wall time runs from starting the shipper until the end
// offsets of its topic sum to the file's line count (polled with
// ListOffsets); the CPU time is the shipper's utime+stime read from
// /proc/<pid>/stat at that moment, before it is stopped.
//
// The two do not ship the same bytes: sluice sends each line as an ECS
// JSON event (@timestamp, message, log.file.path, log.offset, …), the form
// the indexer reads, while rsyslog is given a template that sends just the
// message. The rates are per line and per byte read from the file, so
// sluice's extra encoding counts against it.
package agent
