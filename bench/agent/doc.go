// Package agent is `sluice-bench agent` (Main): it ships the same
// workloads into a sluice broker twice — once with `sluice agent` and once
// with rsyslog into omkafka (Debian packages rsyslog and rsyslog-kafka) —
// and reports, for each, lines/s, MiB/s and CPU seconds per GiB of line
// bytes and lines per CPU second, side by side with the ratio
// sluice/rsyslog. Four sources (-sources), each its own rows:
//
//   - file: pre-written files; sluice's file input, rsyslog's imfile.
//   - journald: one pre-written journal file (written once per run with
//     systemd-journal-remote, testkit/journaltest); sluice's journald
//     input with directory: it, which reads the file itself (through a
//     journalctl child only when it cannot: reader: auto);
//     rsyslog's imjournal, which reads the system journal only, so for its
//     run /var/log/journal/<machine id> is a symbolic link to the
//     bench's journal directory (refused when the machine has a journal of
//     its own; removed afterwards); a fresh state file, rate limit off.
//   - syslog-tcp: RFC 3164 messages from the bench's sender (SendTCP) as
//     fast as the shipper takes them; sluice's syslog input, rsyslog's
//     imtcp.
//   - syslog-udp: the same messages, one datagram each, at a fixed offered
//     rate (-udp-rate; SendUDP): an unpaced sender loses datagrams in the
//     kernel. Its lines/s is the offered rate; lines per CPU second is the
//     figure that matters. The run also ends when the topic has not grown
//     for udpStall after the sender finished; up to maxUDPLoss of the
//     messages may be lost (reported), and the rates count those that
//     arrived.
//
// rsyslog runs each syslog source twice (-rsyslog-queues): with its
// default memory queue, which a kill of rsyslogd loses, and with its
// ruleset's queue on disk (queue.type="Disk"), so that every message is
// written to a file and read back before omkafka sends it, the work
// sluice's syslog input does for its guarantee (a kill -9 loses nothing
// it accepted over TCP). Each is a row of its own, with sluice's run.
//
// With syslog-tcp among the sources, a kill test follows the rows (-kill
// messages, Kill): for each shipper (and each of rsyslog's queues) the
// broker is stopped with SIGSTOP, the bench sends the messages and waits
// until the shipper read every byte (/proc/net/tcp shows nothing queued
// either way), kills it with SIGKILL a second later, resumes the broker,
// starts the shipper again on the same configuration and state, and
// counts the distinct messages that reach the topic. It shows what each
// keeps of what it had accepted.
//
// Every shipper runs as a process (testkit/proc) against one standalone
// sluice coordinator + broker (testkit/testpeer.StartBrokers) and gets a
// fresh topic and a fresh registry or work directory, so each reads its
// input from the start. The wall time runs from starting the shipper until
// the last record arrived (the end offsets of its topic, polled with
// ListOffsets, sum to the line count); the CPU time is the user+system
// time of the shipper's process tree read from /proc at that moment
// (TreeCPU: every live descendant's own time plus the time of the
// children each has reaped), before it is stopped, so a journalctl
// child of sluice's journald input would count.
//
// With -idle, a last run starts `sluice agent` with one input of each kind
// (file, journald, syslog on TCP and UDP, container), waits until their
// few lines arrived, lets it idle and reports its VmRSS and VmHWM, and a
// journalctl child's VmRSS apart if it has one (Idle).
//
// The two do not ship the same bytes: sluice sends each line as an ECS
// JSON event (@timestamp, message, log.file.path, log.offset, …), the form
// the indexer reads, while rsyslog is given a template that sends just the
// message. The rates are per line and per byte read or sent, so sluice's
// extra encoding counts against it.
package agent
