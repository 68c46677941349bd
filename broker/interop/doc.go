// Package interop holds the broker's tests against programs nobody on this
// project wrote: Apache Kafka 3.9's and 2.7's CLI tools and brokers (the
// differential tests run the same steps against both and compare what the
// tools print), kcat, sarama and zkCli.sh with a real ZooKeeper. It has no
// code of its own; the helpers the broker's test packages share are in
// testkit/brokertest.
//
// Most of these tests spend their time waiting on JVMs, so they call
// t.Parallel: make test's -parallel 3 overlaps three of them, and -p 3
// runs this package beside broker and broker/clustertest. A new test that
// starts a Kafka JVM or runs Kafka's tools goes here.
package interop
