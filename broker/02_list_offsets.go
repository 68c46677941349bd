package broker

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// ListOffsets v0–v9 answers, as leader, the high watermark (timestamp -1,
// latest), the log start offset (-2, earliest) or the first offset at or
// after a timestamp (-1 when none below the high watermark). v0 answers in
// the old offsets array; v4+ gives the leader epoch; v6+ is flexible. v7
// adds -3, the record with the largest timestamp (KIP-734,
// maxtimestamp.go); v8 adds -4, the local log start (KIP-405: without
// tiered storage, the log start); v9 adds -5, the last offset in tiered
// storage (KIP-1005), which a broker without tiered storage answers -1.
// With an authorizer, a topic the principal may not DESCRIBE answers
// TOPIC_AUTHORIZATION_FAILED on each partition, as Kafka's.
var listOffsetsAPI = api{key: kmsg.ListOffsets, min: 0, max: 9, handle: (*Broker).handleListOffsets}

func (b *Broker) handleListOffsets(_ context.Context, c *conn, r *request) (kmsg.Response, error) {
	req := r.kreq.(*kmsg.ListOffsetsRequest)
	resp := req.ResponseKind().(*kmsg.ListOffsetsResponse)
	var names []string
	for _, rt := range req.Topics {
		names = append(names, rt.Topic)
	}
	denied := c.deniedTopics(kmsg.ACLOperationDescribe, names...)
	for _, rt := range req.Topics {
		st := kmsg.NewListOffsetsResponseTopic()
		st.Topic = rt.Topic
		for _, rp := range rt.Partitions {
			sp := kmsg.NewListOffsetsResponseTopicPartition()
			sp.Partition, sp.Timestamp, sp.Offset = rp.Partition, -1, -1
			p, err := b.localPartition(rt.Topic, rp.Partition)
			if denied[rt.Topic] {
				err = kerr.TopicAuthorizationFailed
			}
			if err == nil {
				sp.LeaderEpoch = p.Epoch()
				switch rp.Timestamp {
				case -1: // latest: the high watermark
					sp.Offset = p.HighWatermark()
				case -2, -4: // earliest, earliest local
					sp.Offset = p.LogStartOffset()
				case -3: // max timestamp
					sp.Timestamp, sp.Offset, sp.LeaderEpoch, err = maxTimestampOffset(p)
				case -5: // latest tiered: none
				default:
					var off int64
					off, err = p.OffsetForTimestamp(rp.Timestamp)
					if err == nil {
						sp.Offset, sp.Timestamp = max(off, p.LogStartOffset()), rp.Timestamp
						if off < 0 || off >= p.HighWatermark() {
							sp.Offset, sp.Timestamp = -1, -1 // none: Kafka answers -1
						}
					}
				}
				if req.GetVersion() == 0 && sp.Offset >= 0 {
					sp.OldStyleOffsets = []int64{sp.Offset}
				}
			}
			sp.ErrorCode = errCode(err)
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
	return resp, nil
}
