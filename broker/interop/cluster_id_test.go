package interop_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicelogs/sluice/testkit/testcluster"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// TestClusterID: the first broker creates /cluster/id as Kafka 2.x
// writes it, a 22-character URL-safe base64 id; the second broker reads
// the same; kafka-cluster.sh cluster-id (DescribeCluster) and Metadata
// answer it, and kafka-broker-api-versions.sh lists DescribeCluster. A
// request for the controllers' endpoints is MISMATCHED_ENDPOINT_TYPE.
func TestClusterID(t *testing.T) {
	zkAddr := testcluster.Coordinator(t)
	b1 := testcluster.StartBroker(t, 1, zkAddr, "")
	b2 := testcluster.StartBroker(t, 2, zkAddr, "")

	conn, _, err := zk.Connect([]string{zkAddr}, 10*time.Second, zk.WithLogInfo(false))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	data, _, err := conn.Get("/cluster/id")
	if err != nil {
		t.Fatal(err)
	}
	var node map[string]string
	if err := json.Unmarshal(data, &node); err != nil || node["version"] != "1" || len(node) != 2 {
		t.Fatalf("/cluster/id = %s (%v)", data, err)
	}
	id := node["id"]
	if raw, err := base64.RawURLEncoding.DecodeString(id); err != nil || len(id) != 22 || len(raw) != 16 || id[0] == '-' {
		t.Fatalf("cluster id %q is not a Kafka Uuid (%v)", id, err)
	}

	for _, addr := range []string{b1.Addr(), b2.Addr()} {
		out := testpeer.KafkaTool(t, "kafka-cluster.sh", nil, "cluster-id", "--bootstrap-server", addr)
		if strings.TrimSpace(out) != "Cluster ID: "+id {
			t.Errorf("kafka-cluster.sh cluster-id at %s printed %q, want Cluster ID: %s", addr, out, id)
		}
	}
	out := testpeer.KafkaTool(t, "kafka-broker-api-versions.sh", nil, "--bootstrap-server", b1.Addr())
	if !regexp.MustCompile(`DescribeCluster\(60\): 0 to 1 \[usable: 1\]`).MatchString(out) || strings.Count(out, "(id: ") != 2 {
		t.Errorf("kafka-broker-api-versions.sh:\n%s", out)
	}

	cl, err := kgo.NewClient(kgo.SeedBrokers(b2.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	meta, err := kmsg.NewPtrMetadataRequest().RequestWith(context.Background(), cl)
	if err != nil || meta.ClusterID == nil || *meta.ClusterID != id {
		t.Fatalf("Metadata cluster id %v (%v), want %s", meta.ClusterID, err, id)
	}
	req := kmsg.NewPtrDescribeClusterRequest()
	req.EndpointType = 2
	resp, err := req.RequestWith(context.Background(), cl)
	if err != nil || resp.ErrorCode != kerr.MismatchedEndpointType.Code {
		t.Fatalf("DescribeCluster for controllers: %+v (%v), want MISMATCHED_ENDPOINT_TYPE", resp, err)
	}
}
