package testpeer

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/sluicelogs/sluice/internal/kadmin"
)

// Kafka27 is a running Apache Kafka 2.7 broker: the ZooKeeper-based Kafka
// that the 2.7 tools' --zookeeper forms were written for, its controller
// acting on the znodes they write.
type Kafka27 struct {
	ID      int
	Addr    string // host:port of its PLAINTEXT listener
	Process *Process
}

// kafka27Log4j keeps the broker's log to warnings and above, and the line
// saying it started.
const kafka27Log4j = `log4j.rootLogger=WARN, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.Target=System.out
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.server.KafkaServer=INFO
log4j.logger.kafka.controller.KafkaController=INFO
`

// StartKafka27 starts Apache Kafka 2.7's broker (kafka.Kafka from the jars
// in .peers/kafka27/libs, on the JDK found on PATH) as broker id on a free
// loopback port, with zookeeper.connect set to zkConnect (e.g. a
// StartZooKeeper server's Addr), waits until a Metadata request to it lists
// brokers brokers, and stops it when the test ends. Replication settings
// are those of a one-broker test cluster (num.partitions, the internal
// topics' replication factors 1, no initial rebalance delay). It fails the
// test (as Missing) if the 2.7 jars are not provisioned.
func StartKafka27(tb testing.TB, zkConnect string, id, brokers int) *Kafka27 {
	tb.Helper()
	_, libs := kafkaPeerPaths(tb, "kafka27", Kafka27Version, "deploy/kafka/build.sh 2.7")
	dir := tb.TempDir()
	port := FreePort(tb)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	props := fmt.Sprintf(`# Written by testpeer.StartKafka27
broker.id=%d
listeners=PLAINTEXT://%s
advertised.listeners=PLAINTEXT://%s
log.dirs=%s
zookeeper.connect=%s
num.partitions=1
default.replication.factor=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
`, id, addr, addr, filepath.Join(dir, "logs"), zkConnect)
	serverProps, log4j := filepath.Join(dir, "server.properties"), filepath.Join(dir, "log4j.properties")
	if err := os.WriteFile(serverProps, []byte(props), 0o644); err != nil {
		tb.Fatalf("testpeer: %v", err)
	}
	if err := os.WriteFile(log4j, []byte(kafka27Log4j), 0o644); err != nil {
		tb.Fatalf("testpeer: %v", err)
	}
	cmd := exec.Command("java", "-Xms256m", "-Xmx512m", "-XX:+UseG1GC", "-Djava.awt.headless=true",
		"-Dlog4j.configuration=file:"+log4j, "-cp", filepath.Join(libs, "*"), "kafka.Kafka", serverProps)
	ready := func(ctx context.Context) error { return kadmin.ReadyBrokers(ctx, addr, brokers) }
	p := Start(tb, fmt.Sprintf("kafka27-broker%d", id), cmd, 90*time.Second, ready)
	Used(tb, "kafka27", Kafka27Version+" broker at "+addr+" on ZooKeeper "+zkConnect)
	return &Kafka27{ID: id, Addr: addr, Process: p}
}
