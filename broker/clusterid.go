package broker

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/go-zookeeper/zk"
)

// The cluster id is kept where Kafka 2.x keeps it, /cluster/id =
// {"version":"1","id":"<22 characters>"}: the first broker to start
// creates it, every other reads it. Metadata v2+ and DescribeCluster
// answer it; kafka-cluster.sh cluster-id prints it.
const clusterIDPath = "/cluster/id"

// newClusterID returns a random 16-byte id as Kafka writes one: URL-safe
// base64 without padding (22 characters), never starting with '-' (a
// command-line tool would take it for a flag; Kafka draws again too).
func newClusterID() string {
	for {
		var id [16]byte
		_, _ = rand.Read(id[:])
		if s := base64.RawURLEncoding.EncodeToString(id[:]); s[0] != '-' {
			return s
		}
	}
}

// clusterID reads /cluster/id, creating it when no broker has yet.
func (m *clusterMeta) clusterID() (string, error) {
	if err := m.ensure("/cluster"); err != nil {
		return "", err
	}
	p := m.p(clusterIDPath)
	for attempt := 0; attempt < 3; attempt++ {
		b, _, err := m.conn.Get(p)
		if err == nil {
			return decodeClusterID(b)
		}
		if !errors.Is(err, zk.ErrNoNode) {
			return "", fmt.Errorf("broker: read %s: %w", p, err)
		}
		data, _ := json.Marshal(map[string]string{"version": "1", "id": newClusterID()})
		if _, err := m.conn.Create(p, data, 0, m.aclFor(p)); err != nil && !errors.Is(err, zk.ErrNodeExists) {
			return "", fmt.Errorf("broker: create %s: %w", p, err)
		}
	}
	return "", fmt.Errorf("broker: %s: created and gone again", p)
}

// decodeClusterID reads /cluster/id, which anyone may have written.
func decodeClusterID(b []byte) (string, error) {
	var n struct {
		Version string `json:"version"`
		ID      string `json:"id"`
	}
	if err := json.Unmarshal(b, &n); err != nil {
		return "", fmt.Errorf("broker: %s: %w: %v", clusterIDPath, errBadMetadata, err)
	}
	if n.ID == "" || len(n.ID) > 64 {
		return "", fmt.Errorf("broker: %s: %w: id %q", clusterIDPath, errBadMetadata, n.ID)
	}
	return n.ID, nil
}
