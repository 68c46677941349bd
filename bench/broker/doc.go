// Package broker is `sluice-bench broker` (Main): it measures the broker
// side by side with Apache Kafka 3.9. It starts each target as processes on
// free loopback ports with temporary directories (testkit/testpeer's
// StartBrokers: a sluice standalone coordinator plus a sluice broker, or one
// Kafka KRaft JVM from deploy/kafka/run.sh; with Config.Brokers > 1,
// that many sluice brokers with a 3-member coordinator ensemble, or that
// many Kafka JVMs each a broker and a KRaft voter, and topics of
// Load.Replication replicas that start a phase only with a full ISR on
// every broker's Metadata), runs the same franz-go
// load against it (Load: a producer phase per record size and acks setting,
// then a consumer phase reading one of the produced topics from the start),
// reads the resident memory of the server processes from /proc, and prints
// one comparison table (Compare, WriteTable). `make bench` drives it.
//
// Produce latency is per record: from the Produce call to its promise, so it
// includes the time a record waits in the client's bounded buffer
// (Load.MaxBuffered) and linger, not only the broker's round trip. Latencies
// go into bench/latency histograms. Nothing here asserts timings: the
// numbers are for people to read.
package broker
