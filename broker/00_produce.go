package broker

import (
	"context"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// produce appends each partition's record batch as leader. acks=0 gets no
// response; acks=1 is answered once the batch is in the leader's log;
// acks=all (-1) once the ISR holds it (the high watermark passed it), and
// is refused with NOT_ENOUGH_REPLICAS, nothing written, while the ISR is
// smaller than min.insync.replicas.
func (b *Broker) produce(ctx context.Context, req *kmsg.ProduceRequest) kmsg.Response {
	if req.TransactionID != nil {
		return produceError(req, kerr.TransactionalIDAuthorizationFailed)
	}
	type pending struct {
		p      *partition
		ti, pi int // where its answer is in resp
		last   int64
		epoch  int32
	}
	var waits []pending
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
					var last int64
					var epoch int32
					sp.BaseOffset, last, epoch, err = p.append(rp.Records, req.Acks == -1)
					if err == nil {
						b.metrics.produceBytes.Add(float64(len(rp.Records)))
						if req.Acks == -1 {
							waits = append(waits, pending{p, len(resp.Topics), len(st.Partitions), last, epoch})
						}
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
	timeout := time.Duration(req.TimeoutMillis) * time.Millisecond
	if timeout <= 0 {
		timeout = b.cfg.RequestTimeout
	}
	deadline := time.Now().Add(timeout)
	for _, w := range waits {
		if err := w.p.waitCommitted(ctx, w.last, w.epoch, deadline); err != nil {
			sp := &resp.Topics[w.ti].Partitions[w.pi]
			sp.ErrorCode, sp.BaseOffset = errCode(err), -1
			b.log.Debug("acks=all not met", "topic", w.p.topic, "partition", w.p.index, "err", err)
		}
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
