package broker

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// produce appends each partition's record batch. acks=0 gets no response.
// With one replica per partition (this broker), acks=1 and acks=all
// are both answered once the batch is in the leader's log.
func (b *Broker) produce(_ context.Context, req *kmsg.ProduceRequest) kmsg.Response {
	if req.TransactionID != nil {
		return produceError(req, kerr.TransactionalIDAuthorizationFailed)
	}
	resp := req.ResponseKind().(*kmsg.ProduceResponse)
	for _, rt := range req.Topics {
		st := kmsg.NewProduceResponseTopic()
		st.Topic = rt.Topic
		for _, rp := range rt.Partitions {
			sp := kmsg.NewProduceResponseTopicPartition()
			sp.Partition = rp.Partition
			sp.BaseOffset, sp.LogAppendTime, sp.LogStartOffset = -1, -1, -1
			p, err := b.localPartition(rt.Topic, rp.Partition)
			if err == nil {
				switch {
				case len(rp.Records) > int(b.cfg.MessageMaxBytes):
					err = kerr.MessageTooLarge
				default:
					sp.BaseOffset, err = p.append(rp.Records)
					if err == nil {
						b.metrics.produceBytes.Add(float64(len(rp.Records)))
					}
					sp.LogStartOffset = p.log.LogStartOffset()
				}
			}
			sp.ErrorCode = errCode(err)
			if err != nil && err != kerr.NotLeaderForPartition && err != kerr.UnknownTopicOrPartition {
				b.log.Debug("produce refused", "topic", rt.Topic, "partition", rp.Partition, "err", err)
			}
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
	if req.Acks == 0 {
		return nil
	}
	return resp
}

func produceError(req *kmsg.ProduceRequest, err *kerr.Error) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.ProduceResponse)
	for _, rt := range req.Topics {
		st := kmsg.NewProduceResponseTopic()
		st.Topic = rt.Topic
		for _, rp := range rt.Partitions {
			sp := kmsg.NewProduceResponseTopicPartition()
			sp.Partition, sp.ErrorCode, sp.BaseOffset = rp.Partition, err.Code, -1
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
	return resp
}
