package testpeer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// KafkaVersion is the Apache Kafka release deploy/kafka provisions.
const KafkaVersion = "3.9.1"

// Kafka27Version is the Apache Kafka release of the older tools
// `deploy/kafka/build.sh 2.7` provisions: the ones that manage topics
// through ZooKeeper (kafka-topics.sh --zookeeper).
const Kafka27Version = "2.7.0"

// KafkaToolTimeout bounds one run of a Kafka CLI tool by KafkaTool.
const KafkaToolTimeout = 2 * time.Minute

// kafkaPaths returns the repository root and the folder of the provisioned
// Kafka 3.9 jars, failing the test (as Missing) when they are not there.
func kafkaPaths(tb testing.TB) (root, libs string) {
	tb.Helper()
	return kafkaPeerPaths(tb, "kafka", KafkaVersion, "deploy/kafka/build.sh")
}

// kafkaPeerPaths is kafkaPaths for the peer provisioned into
// .peers/<peer> by build (Kafka version).
func kafkaPeerPaths(tb testing.TB, peer, version, build string) (root, libs string) {
	tb.Helper()
	root, err := RepoRoot()
	if err != nil {
		tb.Fatalf("testpeer: %v", err)
	}
	libs = filepath.Join(root, ".peers", peer, "libs")
	jar := filepath.Join(libs, "kafka_2.13-"+version+".jar")
	if _, err := os.Stat(jar); err != nil {
		Missing(tb, peer, fmt.Errorf("%w (provision with %s)", err, build))
	}
	if _, err := exec.LookPath("java"); err != nil {
		Missing(tb, "kafka", fmt.Errorf("java: %w", err))
	}
	return root, libs
}

// StartKafka starts one Apache Kafka node (KRaft, broker and controller in
// one JVM, deploy/kafka/run.sh) for a test with StartBrokers, waits until a
// Metadata request lists it, and stops it when the test ends. It fails the
// test if Kafka is not provisioned.
func StartKafka(tb testing.TB) *Brokers {
	tb.Helper()
	root, _ := kafkaPaths(tb)
	k := BrokersFor(tb, BrokersSpec{Kind: KindKafka, Kafka: filepath.Join(root, "deploy", "kafka", "run.sh"), StartLimit: 90 * time.Second})
	Used(tb, "kafka", KafkaVersion+" at "+k.Addr)
	return k
}

// KafkaTool runs one of the Apache Kafka CLI wrappers in deploy/kafka/bin
// (e.g. "kafka-topics.sh") with args, feeding it stdin (may be nil), and
// returns its stdout. It fails the test, showing stderr, if the tool fails or
// runs longer than KafkaToolTimeout.
func KafkaTool(tb testing.TB, script string, stdin io.Reader, args ...string) string {
	tb.Helper()
	root, _ := kafkaPaths(tb)
	return runKafkaTool(tb, filepath.Join(root, "deploy", "kafka", "bin", script), stdin, args...)
}

// Kafka27Tool is KafkaTool for the Apache Kafka 2.7 tools in
// deploy/kafka/bin/2.7 (kafka-topics.sh with --zookeeper, the console
// producer with --broker-list, the console consumer,
// kafka-preferred-replica-election.sh).
func Kafka27Tool(tb testing.TB, script string, stdin io.Reader, args ...string) string {
	tb.Helper()
	root, _ := kafkaPeerPaths(tb, "kafka27", Kafka27Version, "deploy/kafka/build.sh 2.7")
	return runKafkaTool(tb, filepath.Join(root, "deploy", "kafka", "bin", "2.7", script), stdin, args...)
}

// KafkaToolExit is KafkaTool for a run that may fail: it returns the
// tool's stdout, stderr and exit code instead of failing the test (it
// still fails it when the tool cannot run or outlives KafkaToolTimeout).
func KafkaToolExit(tb testing.TB, script string, stdin io.Reader, args ...string) (stdout, stderr string, code int) {
	tb.Helper()
	root, _ := kafkaPaths(tb)
	return kafkaToolExit(tb, filepath.Join(root, "deploy", "kafka", "bin", script), stdin, args...)
}

// Kafka27ToolExit is KafkaToolExit for the Apache Kafka 2.7 tools
// (Kafka27Tool).
func Kafka27ToolExit(tb testing.TB, script string, stdin io.Reader, args ...string) (stdout, stderr string, code int) {
	tb.Helper()
	root, _ := kafkaPeerPaths(tb, "kafka27", Kafka27Version, "deploy/kafka/build.sh 2.7")
	return kafkaToolExit(tb, filepath.Join(root, "deploy", "kafka", "bin", "2.7", script), stdin, args...)
}

// kafkaToolExit runs the wrapper at path as KafkaToolExit describes.
func kafkaToolExit(tb testing.TB, path string, stdin io.Reader, args ...string) (stdout, stderr string, code int) {
	tb.Helper()
	script := filepath.Base(path)
	out, errOut, err := execKafkaTool(path, stdin, args...)
	var exit *exec.ExitError
	switch {
	case err == nil:
		return out, errOut, 0
	case errors.As(err, &exit) && exit.ExitCode() > 0:
		return out, errOut, exit.ExitCode()
	default:
		tb.Fatalf("testpeer: %s %q: %v\nstderr:\n%s", script, args, err, errOut)
		return "", "", -1
	}
}

// runKafkaTool runs the wrapper at path as KafkaTool describes.
func runKafkaTool(tb testing.TB, path string, stdin io.Reader, args ...string) string {
	tb.Helper()
	start := time.Now()
	stdout, stderr, err := execKafkaTool(path, stdin, args...)
	if err != nil {
		tb.Fatalf("testpeer: %s %q failed after %s: %v\nstderr:\n%s\nstdout (tail):\n%s",
			filepath.Base(path), args, time.Since(start).Round(time.Millisecond), err, stderr, kafkaTail([]byte(stdout), 2000))
	}
	return stdout
}

// execKafkaTool runs the wrapper at path for at most KafkaToolTimeout.
func execKafkaTool(path string, stdin io.Reader, args ...string) (stdout, stderr string, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), KafkaToolTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", append([]string{path}, args...)...)
	cmd.Stdin = stdin
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	cmd.WaitDelay = 5 * time.Second
	err = cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("still running after %s: %w", KafkaToolTimeout, ctx.Err())
	}
	return out.String(), errOut.String(), err
}

// kafkaTail returns at most the last n bytes of b.
func kafkaTail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}
