package main

// TLS to the coordinator (or ZooKeeper) for the admin tools, as their
// Apache counterparts take it:
//
//   - `sluice topics --zookeeper … --zk-tls-config-file F`: a properties
//     file with Kafka's zookeeper.ssl.* keys, the flag of Kafka 2.7's
//     kafka-configs.sh, kafka-acls.sh and zookeeper-security-migration.sh
//     (KIP-515). Kafka 2.7's kafka-topics.sh has no such flag: it takes
//     the same settings as ZooKeeper system properties in KAFKA_OPTS. As
//     kafka-configs.sh does, a file that gives the client a certificate
//     (zookeeper.ssl.client.enable=true, zookeeper.clientCnxnSocket and a
//     key store: KafkaConfig.zkTlsClientAuthEnabled) makes the created
//     znodes get Kafka's secure ACLs (creator all, world read).
//   - `sluice zk -client-configuration F`: zkCli.sh 3.8's flag, a file of
//     ZooKeeper's client properties (zookeeper.client.secure,
//     zookeeper.ssl.keyStore.location, …). zkCli's create keeps its
//     default ACL, world:anyone:cdrwa.
//
// Both read PEM stores only, through internal/zktls as the broker does.

import (
	"fmt"

	"github.com/go-zookeeper/zk"

	"github.com/sluicelogs/sluice/internal/zktls"
)

// zkTLSConfigFile reads --zk-tls-config-file: the dialer (nil without a
// file or with TLS off) and whether created znodes get secure ACLs.
func zkTLSConfigFile(file string) (zk.Dialer, bool, error) {
	if file == "" {
		return nil, false, nil
	}
	s, err := zktls.KafkaKeys.Load(file)
	if err != nil {
		return nil, false, fmt.Errorf("--zk-tls-config-file: %w", err)
	}
	dial, err := zktls.KafkaKeys.Dialer(s)
	if err != nil {
		return nil, false, fmt.Errorf("--zk-tls-config-file %s: %w", file, err)
	}
	return dial, s.ClientAuth(), nil
}

// zkClientConfiguration reads -client-configuration: the dialer, nil
// without a file or with zookeeper.client.secure off.
func zkClientConfiguration(file string) (zk.Dialer, error) {
	if file == "" {
		return nil, nil
	}
	s, err := zktls.ZooKeeperKeys.Load(file)
	if err != nil {
		return nil, fmt.Errorf("-client-configuration: %w", err)
	}
	dial, err := zktls.ZooKeeperKeys.Dialer(s)
	if err != nil {
		return nil, fmt.Errorf("-client-configuration %s: %w", file, err)
	}
	return dial, nil
}
