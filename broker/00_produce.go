package broker

import (
	"context"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicelogs/sluice/broker/partition"
)

// Produce v0–v9 appends each partition's record batch as leader. acks=0
// gets no response; acks=1 is answered once the batch is in the leader's
// log; acks=all (-1) once the ISR holds it (the high watermark passed it),
// and is refused with NOT_ENOUGH_REPLICAS, nothing written, while the ISR
// is smaller than min.insync.replicas. Only magic v2 batches are taken
// (v0–v2 clients sending older magics get UNSUPPORTED_FOR_MESSAGE_FORMAT);
// v5+ answers the log start offset, v9 is flexible. v10+ (KIP-951 leader
// hints) is not offered: it adds fields we do not fill. Transactional
// produces are refused, and so is a produce to an internal topic
// (__consumer_offsets, __transaction_state) with INVALID_TOPIC_EXCEPTION,
// as Kafka does: only the broker writes them. (Kafka lets a client whose
// client.id is "__admin_client" through; a client id proves nothing, so
// no client gets through here.) With an authorizer, a topic the
// principal may not WRITE answers TOPIC_AUTHORIZATION_FAILED on each of
// its partitions, before whether it exists, as Kafka 3's KafkaApis (which
// no longer asks IDEMPOTENT_WRITE of an idempotent producer).
var produceAPI = api{key: kmsg.Produce, min: 0, max: 9, handle: (*Broker).handleProduce}

func (b *Broker) handleProduce(ctx context.Context, c *conn, r *request) (kmsg.Response, error) {
	req := r.kreq.(*kmsg.ProduceRequest)
	if req.TransactionID != nil {
		return produceError(req, kerr.TransactionalIDAuthorizationFailed), nil
	}
	type pending struct {
		p      *partition.Partition
		ti, pi int // where its answer is in resp
		last   int64
		epoch  int32
	}
	var waits []pending
	resp := req.ResponseKind().(*kmsg.ProduceResponse)
	var names []string
	for _, rt := range req.Topics {
		names = append(names, rt.Topic)
	}
	denied := c.deniedTopics(kmsg.ACLOperationWrite, names...)
	for _, rt := range req.Topics {
		st := kmsg.NewProduceResponseTopic()
		st.Topic = rt.Topic
		for _, rp := range rt.Partitions {
			sp := kmsg.NewProduceResponseTopicPartition()
			sp.Partition = rp.Partition
			sp.BaseOffset, sp.LogAppendTime, sp.LogStartOffset = -1, -1, -1
			p, err := b.localPartition(rt.Topic, rp.Partition)
			if denied[rt.Topic] {
				err = kerr.TopicAuthorizationFailed
			}
			if err == nil && isInternalTopic(rt.Topic) {
				// Only the broker writes its internal topics (Kafka answers
				// a client's produce with INVALID_TOPIC_EXCEPTION too).
				err = kerr.InvalidTopicException
			}
			if err == nil {
				switch {
				case len(rp.Records) > int(b.effective().MessageMaxBytes):
					err = kerr.MessageTooLarge
				default:
					var last int64
					var epoch int32
					sp.BaseOffset, last, epoch, err = p.Append(rp.Records, req.Acks == -1)
					if err == nil {
						b.metrics.produceBytes.Add(float64(len(rp.Records)))
						if req.Acks == -1 {
							waits = append(waits, pending{p, len(resp.Topics), len(st.Partitions), last, epoch})
						}
					}
					sp.LogStartOffset = p.LogStartOffset()
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
		return nil, nil
	}
	timeout := time.Duration(req.TimeoutMillis) * time.Millisecond
	if timeout <= 0 {
		timeout = b.cfg.RequestTimeout
	}
	deadline := time.Now().Add(timeout)
	for _, w := range waits {
		if err := w.p.WaitCommitted(ctx, w.last, w.epoch, deadline); err != nil {
			sp := &resp.Topics[w.ti].Partitions[w.pi]
			sp.ErrorCode, sp.BaseOffset = errCode(err), -1
			b.log.Debug("acks=all not met", "topic", w.p.Topic(), "partition", w.p.Index(), "err", err)
		}
	}
	return resp, nil
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
