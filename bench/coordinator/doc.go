// Package coordinator is `sluice-bench coordinator` (Main): it measures the
// coordinator side by side with Apache ZooKeeper 3.8. It starts each target
// as separate processes on free loopback ports (testkit/testpeer's
// StartEnsemble), runs the same ZooKeeper-protocol load against it
// (Load: create, setData and getData with closed-loop clients, then Fill
// with pipelined multi requests for memory), reads the members' resident
// memory from /proc, and prints one comparison table (Compare, WriteTable).
// `make bench` drives it.
//
// Latencies go into fixed-size log-linear histograms (bench/latency),
// one per client merged per phase, so memory stays bounded however long a
// phase runs. Nothing here asserts timings: the numbers are for people to read.
package coordinator
