package interop_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sluicelogs/sluice/broker"
	"github.com/sluicelogs/sluice/testkit/brokertest"
	"github.com/sluicelogs/sluice/testkit/testcluster"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// logDirsJSON is kafka-log-dirs.sh --describe's output.
type logDirsJSON struct {
	Version int `json:"version"`
	Brokers []struct {
		Broker  int `json:"broker"`
		LogDirs []struct {
			LogDir     string  `json:"logDir"`
			Error      *string `json:"error"`
			Partitions []struct {
				Partition string `json:"partition"`
				Size      int64  `json:"size"`
				OffsetLag int64  `json:"offsetLag"`
				IsFuture  bool   `json:"isFuture"`
			} `json:"partitions"`
		} `json:"logDirs"`
	} `json:"brokers"`
}

// describeLogDirs runs kafka-log-dirs.sh --describe for topics at addr.
func describeLogDirs(t *testing.T, addr, topics string) logDirsJSON {
	t.Helper()
	out := testpeer.KafkaTool(t, "kafka-log-dirs.sh", nil, "--describe", "--bootstrap-server", addr, "--topic-list", topics)
	i := strings.Index(out, "{")
	var d logDirsJSON
	if i < 0 || json.Unmarshal([]byte(out[i:]), &d) != nil || len(d.Brokers) != 1 {
		t.Fatalf("kafka-log-dirs.sh --describe printed:\n%s", out)
	}
	return d
}

// TestDescribeLogDirs: kafka-log-dirs.sh --describe against a broker
// with three log directories, one of them offline (a regular file in its
// place when the broker started), lists each with its absolute path, the
// offline one with KafkaStorageException, and each partition of the
// topic where it is kept with the size of its segment files, offset lag
// 0 and isFuture false; for one batch in one partition, a Kafka 3.9
// broker reports the same size.
func TestDescribeLogDirs(t *testing.T) {
	t.Parallel() // spends its time waiting on Kafka\'s JVM tools or brokers: see the package doc
	zkAddr := testcluster.Coordinator(t)
	dir := t.TempDir()
	dirs := []string{filepath.Join(dir, "a"), filepath.Join(dir, "b"), filepath.Join(dir, "c")}
	if err := os.WriteFile(dirs[2], []byte("not a directory"), 0o644); err != nil {
		t.Fatal(err)
	}
	b := testcluster.StartBroker(t, 1, zkAddr, dir, func(c *broker.Config) { c.LogDirs = dirs })
	k := testpeer.StartKafka(t)
	base := time.Now().Add(-time.Hour).Truncate(time.Second)
	testcluster.CreateTopic(t, b.Addr(), "ld", 2)
	testcluster.CreateTopic(t, b.Addr(), "other", 1)
	for _, addr := range []string{b.Addr(), k.Addr} {
		testcluster.CreateTopic(t, addr, "one", 1)
		produceBatch(t, addr, "one", kgo.NoCompression(), base, 0, 1, 2, 3, 4)
	}
	brokertest.ProduceTo(t, b.Addr(), "ld", map[int32]int{0: 7, 1: 3})

	d := describeLogDirs(t, b.Addr(), "ld")
	if d.Version != 1 || d.Brokers[0].Broker != 1 || len(d.Brokers[0].LogDirs) != 3 {
		t.Fatalf("kafka-log-dirs.sh: %+v", d)
	}
	seen := map[string]string{}
	for _, ld := range d.Brokers[0].LogDirs {
		if ld.LogDir == dirs[2] {
			if ld.Error == nil || *ld.Error != "org.apache.kafka.common.errors.KafkaStorageException" || len(ld.Partitions) != 0 {
				t.Errorf("offline log dir %s: error %v, partitions %+v", ld.LogDir, ld.Error, ld.Partitions)
			}
			continue
		}
		if ld.Error != nil {
			t.Errorf("log dir %s: error %s", ld.LogDir, *ld.Error)
		}
		for _, p := range ld.Partitions {
			if !strings.HasPrefix(p.Partition, "ld-") {
				t.Errorf("log dir %s lists %s, not asked for", ld.LogDir, p.Partition)
			}
			seen[p.Partition] = ld.LogDir
			var size int64
			logs, _ := filepath.Glob(filepath.Join(ld.LogDir, p.Partition, "*.log"))
			for _, l := range logs {
				st, err := os.Stat(l)
				if err != nil {
					t.Fatal(err)
				}
				size += st.Size()
			}
			if p.Size != size || size == 0 || p.OffsetLag != 0 || p.IsFuture {
				t.Errorf("%s in %s: %+v, want size %d (its .log files), offset lag 0, not future", p.Partition, ld.LogDir, p, size)
			}
		}
	}
	if len(seen) != 2 || seen["ld-0"] == "" || seen["ld-1"] == "" || seen["ld-0"] == seen["ld-1"] {
		t.Errorf("ld's partitions listed in %v, want ld-0 and ld-1 each in one directory", seen)
	}

	sizeOf := func(d logDirsJSON) string {
		var got []string
		for _, ld := range d.Brokers[0].LogDirs {
			for _, p := range ld.Partitions {
				got = append(got, fmt.Sprintf("%s size=%d lag=%d future=%v", p.Partition, p.Size, p.OffsetLag, p.IsFuture))
			}
		}
		return strings.Join(got, ",")
	}
	if ours, theirs := sizeOf(describeLogDirs(t, b.Addr(), "one")), sizeOf(describeLogDirs(t, k.Addr, "one")); ours != theirs {
		t.Errorf("kafka-log-dirs.sh for one batch: sluice %s, Kafka %s", ours, theirs)
	}
}
