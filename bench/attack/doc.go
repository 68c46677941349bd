// Package attack is `sluice-bench attack`: hostile clients against sluice
// processes on loopback, each attack for a few seconds, reporting per
// attack whether every node stayed up (its process alive and still
// answering afterwards), the attacked node's resident memory (idle before,
// peak during, sampled from /proc every 20 ms) and the p99 of a normal
// client running beside the attack next to the same client's p99 just
// before, unloaded. The nodes keep their data on /dev/shm (tmpfs) unless
// -dir says otherwise: the suite is about listeners, and a disk's fsync
// jitter (the coordinator's setData waits for one) swamped what an attack
// did to the client's p99.
//
// Each attack starts its own processes through testkit/testpeer (a broker
// with its standalone coordinator, a standalone coordinator, or a 3-member
// ensemble for the peer port) with the listener limits the attack is
// about set in their configuration, and stops them afterwards, so that
// one attack's leftovers never weigh on the next.
//
// The goals are printed, not enforced: the peak RSS at most the idle RSS
// plus the attack's budget (queued.max.request.bytes for the Kafka
// port's request memory, largeRequestMaxBytes for the ZooKeeper client
// port's large connect packets; a stated constant for the others; each
// attacked process runs with GOMEMLIMIT at its budget + 16 MiB for a
// broker, and 40 MiB + its connections' share for a coordinator, whose
// large packets are off the Go heap; env.go says why), and the p99
// under attack at most twice the unloaded p99. A node that went down is
// the one result that makes the bench fail.
//
// The attacker runs in a process of its own (`sluice-bench attack child`,
// child.go), so it shares no Go scheduler with the normal client. With
// -pin (the default on 2+ cores) it also has a core of its own: the suite
// runs itself again under taskset on the other cores (main.go runPinned),
// where the nodes and the client it starts stay, and each attacker is put
// on the last core, as an attacker on another host would be. Without it
// an attack that floods short connections takes processors from the
// nodes and the client. The table also shows the attacked node's own CPU
// use, unloaded and under attack, to tell a server busy with the attack
// from a machine busy with the attacker.
package attack
