// Package kafka27 holds the broker's tests against ZooKeeper-mode
// programs: Apache Kafka 2.7's CLI tools (kafka-topics.sh --zookeeper,
// kafka-reassign-partitions.sh, …) and brokers, compared step by step
// with sluice on the same ZooKeeper-protocol data (the differential
// walks), and the broker on a real Apache ZooKeeper with zkCli.sh. It
// has no code of its own; the helpers the broker's test packages share
// are in testkit/brokertest.
//
// The walks are the longest tests of the broker (each runs dozens of JVM
// tool invocations, twice), so they have this package to themselves: with
// make test's -p 3 it runs beside broker, broker/clustertest and
// broker/interop, and its t.Parallel tests overlap three at a time. A new
// test against Kafka 2.7 or Apache ZooKeeper goes here.
package kafka27
