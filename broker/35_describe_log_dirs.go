package broker

import (
	"cmp"
	"context"
	"path/filepath"
	"slices"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicelogs/sluice/broker/partition"
)

// DescribeLogDirs v0–v4 lists each of this broker's log.dirs (its
// absolute path, as Kafka's) with the partitions kept there that the
// request names (all when its topics are null): each with its size (the
// bytes of its segments), offset lag (how far its log end is behind the
// high watermark, 0 on a leader) and isFuture false (this broker moves no
// replica between directories). An offline directory (logdirs.go) is
// listed with KAFKA_STORAGE_ERROR and no partitions. v2 is flexible; v3
// adds the top-level error code; v4 each directory's total and usable
// bytes. With an authorizer, DESCRIBE on the cluster is required, as in
// Kafka: without it no directory is listed and (v3+) the error is
// CLUSTER_AUTHORIZATION_FAILED.
var describeLogDirsAPI = api{key: kmsg.DescribeLogDirs, min: 0, max: 4, handle: (*Broker).handleDescribeLogDirs}

func (b *Broker) handleDescribeLogDirs(_ context.Context, c *conn, r *request) (kmsg.Response, error) {
	req := r.kreq.(*kmsg.DescribeLogDirsRequest)
	resp := req.ResponseKind().(*kmsg.DescribeLogDirsResponse)
	if !c.authorizedCluster(kmsg.ACLOperationDescribe) {
		resp.ErrorCode = kerr.ClusterAuthorizationFailed.Code
		return resp, nil
	}
	var wanted map[string]map[int32]bool // nil: every partition
	if req.Topics != nil {
		wanted = map[string]map[int32]bool{}
		for _, t := range req.Topics {
			if wanted[t.Topic] == nil {
				wanted[t.Topic] = map[int32]bool{}
			}
			for _, p := range t.Partitions {
				wanted[t.Topic][p] = true
			}
		}
	}
	byDir := map[string][]*partition.Partition{}
	for _, p := range b.localPartitions() {
		if wanted == nil || wanted[p.Topic()][p.Index()] {
			d := filepath.Dir(p.Dir())
			byDir[d] = append(byDir[d], p)
		}
	}
	offline := b.offlineLogDirs()
	for _, d := range b.cfg.LogDirs {
		d = filepath.Clean(d)
		rd := kmsg.NewDescribeLogDirsResponseDir()
		rd.Dir = d
		if abs, err := filepath.Abs(d); err == nil {
			rd.Dir = abs
		}
		if _, ok := offline[d]; ok {
			rd.ErrorCode = kerr.KafkaStorageError.Code
			resp.Dirs = append(resp.Dirs, rd)
			continue
		}
		rd.TotalBytes, rd.UsableBytes = diskSpace(d)
		rd.Topics = logDirTopics(byDir[d])
		resp.Dirs = append(resp.Dirs, rd)
	}
	return resp, nil
}

// logDirTopics groups the partitions of one log directory by topic.
func logDirTopics(ps []*partition.Partition) []kmsg.DescribeLogDirsResponseDirTopic {
	slices.SortFunc(ps, func(a, b *partition.Partition) int {
		return cmp.Or(cmp.Compare(a.Topic(), b.Topic()), cmp.Compare(a.Index(), b.Index()))
	})
	var out []kmsg.DescribeLogDirsResponseDirTopic
	for _, p := range ps {
		if p.Offline() {
			continue
		}
		if len(out) == 0 || out[len(out)-1].Topic != p.Topic() {
			t := kmsg.NewDescribeLogDirsResponseDirTopic()
			t.Topic = p.Topic()
			out = append(out, t)
		}
		rp := kmsg.NewDescribeLogDirsResponseDirTopicPartition()
		rp.Partition, rp.Size = p.Index(), p.Size()
		rp.OffsetLag = max(p.HighWatermark()-p.LogEndOffset(), 0)
		t := &out[len(out)-1]
		t.Partitions = append(t.Partitions, rp)
	}
	return out
}
