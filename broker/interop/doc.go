// Package interop holds the broker's tests against programs nobody on this
// project wrote: Apache Kafka 3.9's CLI tools and brokers (the
// differential tests run the same steps against a Kafka 3.9 broker and
// sluice and compare what the tools print), kcat and sarama. Those
// against Kafka 2.7 and Apache ZooKeeper are in broker/kafka27. It has no
// code of its own; the helpers the broker's test packages share are in
// testkit/brokertest.
//
// Most of these tests spend their time waiting on JVMs, so they call
// t.Parallel: make test's -parallel 3 overlaps three of them, and -p 3
// runs this package beside the other broker test packages. A new test
// that starts a Kafka 3.9 JVM or runs its tools goes here.
package interop
