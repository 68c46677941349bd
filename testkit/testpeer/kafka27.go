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
	Addr    string   // host:port of its PLAINTEXT listener
	Process *Process // nil while killed

	args    []string // the java command line
	brokers int      // how many brokers it must list to be ready
	runs    int
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
	k := newKafka27(tb, zkConnect, id, brokers, nil)
	k.launch(tb)
	k.awaitReady(tb, 90*time.Second)
	return k
}

// StartKafka27Cluster starts brokers 1..n of Kafka 2.7 on zkConnect as
// StartKafka27 does, all at once (the JVMs start side by side), with props
// ("key=value" lines, e.g. zookeeper.session.timeout.ms=6000) added to each
// broker's server.properties, and waits until each lists all n.
func StartKafka27Cluster(tb testing.TB, zkConnect string, n int, props ...string) []*Kafka27 {
	tb.Helper()
	ks := make([]*Kafka27, n)
	for i := range ks {
		ks[i] = newKafka27(tb, zkConnect, i+1, n, props)
		ks[i].launch(tb)
	}
	for _, k := range ks {
		k.awaitReady(tb, 3*time.Minute) // n JVMs starting at once on a small machine
	}
	return ks
}

// newKafka27 writes broker id's server.properties and log4j.properties
// into a new temporary directory.
func newKafka27(tb testing.TB, zkConnect string, id, brokers int, extra []string) *Kafka27 {
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
	for _, p := range extra {
		props += p + "\n"
	}
	serverProps, log4j := filepath.Join(dir, "server.properties"), filepath.Join(dir, "log4j.properties")
	if err := os.WriteFile(serverProps, []byte(props), 0o644); err != nil {
		tb.Fatalf("testpeer: %v", err)
	}
	if err := os.WriteFile(log4j, []byte(kafka27Log4j), 0o644); err != nil {
		tb.Fatalf("testpeer: %v", err)
	}
	args := []string{"-Xms256m", "-Xmx512m", "-XX:+UseG1GC", "-Djava.awt.headless=true",
		"-Dlog4j.configuration=file:" + log4j, "-cp", filepath.Join(libs, "*"), "kafka.Kafka", serverProps}
	Used(tb, "kafka27", Kafka27Version+" broker at "+addr+" on ZooKeeper "+zkConnect)
	return &Kafka27{ID: id, Addr: addr, args: args, brokers: brokers}
}

func (k *Kafka27) launch(tb testing.TB) {
	tb.Helper()
	k.runs++
	k.Process = Launch(tb, fmt.Sprintf("kafka27-broker%d-run%d", k.ID, k.runs), exec.Command("java", k.args...))
}

func (k *Kafka27) awaitReady(tb testing.TB, limit time.Duration) {
	tb.Helper()
	k.Process.AwaitReady(tb, limit, func(ctx context.Context) error { return kadmin.ReadyBrokers(ctx, k.Addr, k.brokers) })
}

// Kill kills the broker with SIGKILL (kill -9) and waits for it to exit.
func (k *Kafka27) Kill() {
	k.Process.Kill()
	k.Process = nil
}

// Restart starts the killed broker again with its data and port, and
// waits until it lists as many brokers as it did when first started.
func (k *Kafka27) Restart(tb testing.TB) {
	tb.Helper()
	k.launch(tb)
	k.awaitReady(tb, 90*time.Second)
}
