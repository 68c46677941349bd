// Package zktls is a ZooKeeper client's TLS settings and Kafka's secure
// znode ACLs, shared by the broker (server.properties' zookeeper.ssl.*
// keys and zookeeper.set.acl) and the admin tools (`sluice topics
// --zookeeper --zk-tls-config-file`, `sluice zk -client-configuration`).
//
// The settings are one struct, Settings, read under either of the two
// spellings in use: Kafka's (zookeeper.ssl.client.enable,
// zookeeper.ssl.keystore.location, zookeeper.ssl.endpoint.identification.algorithm,
// …) and ZooKeeper's own client properties, which Kafka maps its keys to
// (zookeeper.client.secure, zookeeper.ssl.keyStore.location,
// zookeeper.ssl.hostnameVerification, …). Only PEM stores are read
// (internal/pemtls). The client socket is always Go's:
// zookeeper.clientCnxnSocket is accepted when it names ZooKeeper's Netty
// socket, which the Java client requires for TLS.
package zktls
