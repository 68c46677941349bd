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
// Config.Security (-security plaintext,sasl_ssl: one table per setting,
// then WriteSecurityRatios puts each setting's sluice/kafka ratio side by
// side) says how the load client reaches the brokers. With
// SecuritySASLSSL every broker of both targets gets, beside its PLAINTEXT
// listener, a SASL_SSL one with the same settings (security.go): a PEM key
// store issued by a CA of the run (internal/pemtls, as `sluice certs`),
// SCRAM-SHA-512 only; the user "bench" is made by kafka-storage.sh when
// Kafka formats, and through AlterUserScramCredentials on the PLAINTEXT
// listener for sluice (kept in the coordinator). The load client logs in
// over TLS with internal/clientsec's options, as the agent's output does.
// The brokers replicate over PLAINTEXT on both sides (deploy/kafka/run.sh
// sets inter.broker.listener.name=PLAINTEXT), so a multi-broker SASL_SSL
// run measures client security only.
//
// Produce latency is per record: from the Produce call to its promise, so it
// includes the time a record waits in the client's bounded buffer
// (Load.MaxBuffered) and linger, not only the broker's round trip. Latencies
// go into bench/latency histograms. Nothing here asserts timings: the
// numbers are for people to read.
package broker
