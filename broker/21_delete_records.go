package broker

import (
	"context"
	"errors"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicelogs/sluice/broker/segment"
)

// DeleteRecords v0–v2 (KIP-107) moves each partition's log start offset,
// as leader, to the offset asked (-1: the high watermark); the sealed
// segments wholly below it are deleted, fetches below it are
// OFFSET_OUT_OF_RANGE and ListOffsets earliest answers it. The new start
// is kept in the partition's log-start-offset-checkpoint
// (segment.LogStartCheckpoint), and followers take it from the
// LogStartOffset of the leader's fetch responses. v2 is flexible.
//
// The low watermark answered is the leader's new log start, at once: a
// Kafka leader waits (up to the request's timeout) until every live
// replica has reported a log start at least that far, and answers the
// smallest. Its followers move soon after ours, with their next fetch.
// With an authorizer, a topic the principal may not DELETE answers
// TOPIC_AUTHORIZATION_FAILED on each partition, as Kafka's.
var deleteRecordsAPI = api{key: kmsg.DeleteRecords, min: 0, max: 2, handle: (*Broker).handleDeleteRecords}

func (b *Broker) handleDeleteRecords(_ context.Context, c *conn, r *request) (kmsg.Response, error) {
	req := r.kreq.(*kmsg.DeleteRecordsRequest)
	resp := req.ResponseKind().(*kmsg.DeleteRecordsResponse)
	for _, rt := range req.Topics {
		st := kmsg.NewDeleteRecordsResponseTopic()
		st.Topic = rt.Topic
		for _, rp := range rt.Partitions {
			sp := kmsg.NewDeleteRecordsResponseTopicPartition()
			sp.Partition, sp.LowWatermark = rp.Partition, -1
			low, err := int64(-1), error(kerr.TopicAuthorizationFailed)
			if c.authorized(kmsg.ACLOperationDelete, kmsg.ACLResourceTypeTopic, rt.Topic) {
				low, err = b.deleteRecords(rt.Topic, rp.Partition, rp.Offset)
			}
			if err == nil {
				sp.LowWatermark = low
			}
			sp.ErrorCode = errCode(err)
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
	return resp, nil
}

// deleteRecords moves one partition's log start to offset and returns
// it. DeleteRecords has no error message in its response: the messages
// are for the log.
func (b *Broker) deleteRecords(topic string, index int32, offset int64) (int64, error) {
	if isInternalTopic(topic) {
		return -1, kafkaErrorf(kerr.InvalidTopicException, "Cannot delete records of internal topic %s", topic)
	}
	p, err := b.localPartition(topic, index)
	if err != nil {
		return -1, err
	}
	if t := b.lookupTopic(topic); t != nil && !strings.Contains(t.config["cleanup.policy"], "delete") && t.config["cleanup.policy"] != "" {
		return -1, kafkaErrorf(kerr.PolicyViolation, "Records of partition %s-%d can not be deleted due to the configured policy", topic, index)
	}
	hw := p.HighWatermark()
	low, err := p.DeleteRecords(offset)
	if errors.Is(err, segment.ErrPastHighWatermark) {
		err = kafkaErrorf(kerr.OffsetOutOfRange, "Cannot increment the log start offset to %d of partition %s-%d since it is larger than the high watermark %d", offset, topic, index, hw)
	}
	if err != nil {
		p.Logger().Info("DeleteRecords refused", "offset", offset, "err", err)
		return -1, err
	}
	return low, nil
}
