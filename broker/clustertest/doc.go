// Package clustertest holds the broker's multi-broker failure tests:
// in-process clusters (replication, ISR, leader failover, network
// partitions through a proxy, failed log directories, reassignments,
// topics changed through ZooKeeper) and sluice brokers run as processes
// that are killed (kill -9, SIGSTOP) while clients produce. It has no
// code of its own; the helpers the broker's test packages share are in
// testkit/brokertest.
//
// These tests time failovers, so they run one at a time; make test's -p 3
// runs this package beside the other broker test packages. A new test of
// broker failures across a cluster, with no JVM peer, goes here.
package clustertest
