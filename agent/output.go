package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sluicelogs/sluice/internal/kgolog"
)

// output produces events to Kafka topics with franz-go. Its buffer holds at
// most queue.mem.events records: when the brokers are unreachable, publish
// blocks and the harvesters stop reading (backpressure); kgo retries with
// backoff, and an idempotent producer (acks=all) makes the retries
// duplicate-free.
type output struct {
	cl      *kgo.Client
	promise func(*kgo.Record, error) // o.done, made once
	free    *freeList                // the slabs' chunks free to be used again
	cfg     *KafkaConfig
	log     *slog.Logger
	metrics *agentMetrics
}

// kgoOptions turns output.kafka into franz-go options.
func kgoOptions(k *KafkaConfig, queue int) []kgo.Opt {
	opts := []kgo.Opt{
		kgo.SeedBrokers(k.Hosts...),
		kgo.ClientID(k.ClientID),
		kgo.AllowAutoTopicCreation(),
		kgo.UnknownTopicRetries(-1), // wait for the topic rather than drop its events
		kgo.MaxBufferedRecords(queue),
		kgo.ProducerBatchMaxBytes(int32(k.MaxMessageBytes)),
		kgo.ProduceRequestTimeout(k.Timeout),
		kgo.RetryBackoffFn(func(tries int) time.Duration {
			d := k.Backoff.Init << min(tries, 16)
			return min(d, k.Backoff.Max)
		}),
	}
	switch *k.RequiredAcks {
	case -1:
		opts = append(opts, kgo.RequiredAcks(kgo.AllISRAcks()))
	case 1:
		opts = append(opts, kgo.RequiredAcks(kgo.LeaderAck()), kgo.DisableIdempotentWrite())
	case 0:
		opts = append(opts, kgo.RequiredAcks(kgo.NoAck()), kgo.DisableIdempotentWrite())
	}
	switch k.Compression {
	case "none":
		opts = append(opts, kgo.ProducerBatchCompression(kgo.NoCompression()))
	case "gzip":
		opts = append(opts, kgo.ProducerBatchCompression(kgo.GzipCompression()))
	case "snappy":
		opts = append(opts, kgo.ProducerBatchCompression(kgo.SnappyCompression()))
	case "lz4":
		opts = append(opts, kgo.ProducerBatchCompression(kgo.Lz4Compression()))
	case "zstd":
		opts = append(opts, kgo.ProducerBatchCompression(kgo.ZstdCompression()))
	}
	opts = append(opts, k.Kafka.Options()...)
	if k.Partition == "round_robin" {
		opts = append(opts, kgo.RecordPartitioner(kgo.RoundRobinPartitioner()))
	} else {
		// Keys hash as the Java client does; events without a key stick
		// to a partition per batch.
		opts = append(opts, kgo.RecordPartitioner(kgo.StickyKeyPartitioner(nil)))
	}
	return opts
}

func newOutput(k *KafkaConfig, queue int, log *slog.Logger, m *agentMetrics) (*output, error) {
	cl, err := kgo.NewClient(append(kgoOptions(k, queue), kgo.WithLogger(kgolog.New(log, kgo.LogLevelWarn)))...)
	if err != nil {
		return nil, fmt.Errorf("agent: output.kafka: %w", err)
	}
	o := &output{cl: cl, cfg: k, log: log, metrics: m, free: newFreeList()}
	o.promise = o.done
	return o, nil
}

// publish hands one record to the producer; it blocks while the buffer is
// full. rec.Context must be an *ackContext (see slab.record): its token is
// acknowledged once the brokers acknowledged the record.
func (o *output) publish(rec *kgo.Record) {
	o.metrics.produced.Add(1)
	o.cl.Produce(rec.Context, rec, o.promise)
}

// freeChunks is the free list of the slabs of in's events (nil without an
// output, in tests).
func (in *input) freeChunks() *freeList {
	if in.out == nil {
		return nil
	}
	return in.out.free
}

// done is the promise of every record.
func (o *output) done(r *kgo.Record, err error) {
	a := r.Context.(*ackContext)
	if o.settled(r, err) {
		a.ack()
	}
	a.settle() // the record's memory may be reused from here on
}

// settled counts and logs the outcome of producing r and reports whether
// its event is done with: acknowledged, or rejected for good (dropped).
func (o *output) settled(r *kgo.Record, err error) bool {
	o.metrics.finished.Add(1)
	switch {
	case err == nil:
		o.metrics.acked.Inc()
		return true
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, kgo.ErrClientClosed):
		// Shutting down: not acknowledged, read again at the next start.
		o.metrics.unacked.Inc()
		return false
	case permanent(err):
		// The brokers will never take this record: say so loudly and
		// move on rather than stall the file forever.
		o.metrics.dropped.WithLabelValues(errName(err)).Inc()
		o.log.Error("the brokers rejected an event; it is dropped", "topic", r.Topic, "bytes", len(r.Value), "err", err)
		return true
	default:
		o.metrics.unacked.Inc()
		o.log.Error("event not delivered; it will be read again after a restart", "topic", r.Topic, "err", err)
	}
	return false
}

// permanent reports whether retrying err can never succeed.
func permanent(err error) bool {
	var ke *kerr.Error
	if errors.As(err, &ke) {
		return !ke.Retriable
	}
	return false
}

func errName(err error) string {
	var ke *kerr.Error
	if errors.As(err, &ke) {
		return ke.Message
	}
	return "other"
}

// drain waits (up to ctx) for buffered and in-flight records to be
// acknowledged, then closes the client.
func (o *output) drain(ctx context.Context) error {
	defer o.cl.Close()
	if err := o.cl.Flush(ctx); err != nil {
		return fmt.Errorf("agent: draining the output: %w", err)
	}
	return nil
}
