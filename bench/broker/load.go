package broker

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sluicelogs/sluice/bench/latency"
	"github.com/sluicelogs/sluice/internal/kadmin"
)

// Load is the workload run against one target. For each record size and
// each acks setting, one producer client produces to a fresh topic for
// Duration with kgo's asynchronous Produce, at most MaxBuffered records
// buffered or in flight; then one consumer client (no group) reads the topic
// of the largest size's phase (acks=1 if it ran) from the start until it has
// every record that phase produced. Each topic is created with Replication
// replicas, and a phase starts only once every partition's ISR holds all of
// them.
type Load struct {
	Brokers     []string      // bootstrap host:port
	Partitions  int           // partitions of each topic, default 3
	Replication int           // replicas of each partition, default 1
	Acks        []string      // AcksLeader and/or AcksAll, default both
	Duration    time.Duration // length of each producer phase, default 5s
	Warmup      time.Duration // untimed produce and consume before the phases (JIT, caches), 0 for none
	Sizes       []int         // record value sizes in bytes, default 100 and 1024
	MaxBuffered int           // kgo.MaxBufferedRecords, default 4096
	Linger      time.Duration // kgo.ProducerLinger, default 0 (batches form while a request is in flight)
	Progress    io.Writer     // a line per phase; nil for none
	// ClientOpts are added to every client's options (admin, producers,
	// consumer): e.g. TLS and SASL for a SASL_SSL listener.
	ClientOpts []kgo.Opt
}

// client is a kgo client seeded with the load's brokers, with
// ClientOpts and then opts.
func (l *Load) client(opts ...kgo.Opt) (*kgo.Client, error) {
	all := append([]kgo.Opt{kgo.SeedBrokers(l.Brokers...)}, l.ClientOpts...)
	return kgo.NewClient(append(all, opts...)...)
}

// Acks settings of the producer phases.
const (
	AcksLeader = "acks=1"   // kgo.LeaderAck, idempotence off
	AcksAll    = "acks=all" // kgo.AllISRAcks, idempotent
)

// Phase is the outcome of one phase.
type Phase struct {
	Name     string
	Size     int    // bytes of each record's value
	Acks     string // AcksLeader or AcksAll; "" for the consumer phase
	Topic    string
	Records  uint64 // acknowledged (consumed) records
	Bytes    uint64 // their value bytes
	Errors   uint64
	FirstErr error
	Elapsed  time.Duration
	Latency  latency.Histogram // produce call to promise, per acknowledged record
}

// RecordsPerSec is the rate of acknowledged (consumed) records.
func (p *Phase) RecordsPerSec() float64 {
	if p.Elapsed <= 0 {
		return 0
	}
	return float64(p.Records) / p.Elapsed.Seconds()
}

// MBPerSec is the rate of record value bytes, in 10^6 bytes per second.
func (p *Phase) MBPerSec() float64 {
	if p.Elapsed <= 0 {
		return 0
	}
	return float64(p.Bytes) / 1e6 / p.Elapsed.Seconds()
}

// Report is what Run measured.
type Report struct {
	Phases []Phase
}

// Phase returns the phase called name, or nil.
func (r *Report) Phase(name string) *Phase {
	for i := range r.Phases {
		if r.Phases[i].Name == name {
			return &r.Phases[i]
		}
	}
	return nil
}

// Err is the first error of any phase, or nil.
func (r *Report) Err() error {
	for _, p := range r.Phases {
		if p.Errors > 0 {
			return fmt.Errorf("%s: %d errors, first: %w", p.Name, p.Errors, p.FirstErr)
		}
	}
	return nil
}

func (l *Load) defaults() {
	if l.Partitions <= 0 {
		l.Partitions = 3
	}
	if l.Duration <= 0 {
		l.Duration = 5 * time.Second
	}
	if len(l.Sizes) == 0 {
		l.Sizes = []int{100, 1024}
	}
	if l.MaxBuffered <= 0 {
		l.MaxBuffered = 4096
	}
	if l.Replication <= 0 {
		l.Replication = 1
	}
	if len(l.Acks) == 0 {
		l.Acks = []string{AcksLeader, AcksAll}
	}
}

// createTopic creates topic with the load's partitions and replicas and
// waits for a full ISR.
func (l *Load) createTopic(ctx context.Context, cl *kgo.Client, topic string) error {
	return kadmin.CreateReplicatedTopic(ctx, cl, topic, l.Partitions, l.Replication)
}

func (l *Load) progressf(format string, args ...any) {
	if l.Progress != nil {
		fmt.Fprintf(l.Progress, format+"\n", args...)
	}
}

// SizeName is how a record size shows in phase names: "100 B", "1 KiB".
func SizeName(n int) string {
	if n >= 1024 && n%1024 == 0 {
		return fmt.Sprintf("%d KiB", n/1024)
	}
	return fmt.Sprintf("%d B", n)
}

// ProduceName and ConsumeName are the names of the phases.
func ProduceName(size int, acks string) string { return "produce " + SizeName(size) + " " + acks }

// ConsumeName is the name of the consumer phase that reads size-byte records.
func ConsumeName(size int) string { return "consume " + SizeName(size) }

// Run creates the topics (named after the current time, so a run never
// reuses old data) and runs the phases one after the other. A phase's errors
// are in its Phase; Run returns an error only when it cannot go on.
func (l *Load) Run(ctx context.Context) (*Report, error) {
	l.defaults()
	if len(l.Brokers) == 0 {
		return nil, errors.New("broker bench: no brokers")
	}
	admin, err := l.client()
	if err != nil {
		return nil, err
	}
	defer admin.Close()
	prefix := fmt.Sprintf("kbench-%d", time.Now().UnixNano())

	if l.Warmup > 0 {
		topic := prefix + "-warmup"
		if err := l.createTopic(ctx, admin, topic); err != nil {
			return nil, err
		}
		p := l.produce(ctx, topic, l.Sizes[0], AcksAll, l.Warmup)
		c := l.consume(ctx, topic, l.Sizes[0], p.Records)
		l.progressf("  warm-up: %d records produced, %d consumed", p.Records, c.Records)
	}

	rep := &Report{}
	// The consumer phase reads the largest size's topic of the first acks
	// setting: acks=1 when it ran.
	consumeAcks := AcksAll
	if slices.Contains(l.Acks, AcksLeader) {
		consumeAcks = AcksLeader
	}
	consumeSize, consumeTopic, consumeWant := 0, "", uint64(0)
	for _, size := range l.Sizes {
		for _, acks := range []string{AcksLeader, AcksAll} {
			if !slices.Contains(l.Acks, acks) {
				continue
			}
			topic := fmt.Sprintf("%s-%d-%s", prefix, size, acks[len("acks="):])
			if err := l.createTopic(ctx, admin, topic); err != nil {
				return rep, err
			}
			p := l.produce(ctx, topic, size, acks, l.Duration)
			rep.Phases = append(rep.Phases, p)
			l.progressf("  %-22s %9d records in %5.1fs = %9.0f rec/s %7.1f MB/s  p50 %-9v p99 %-9v errors %d",
				p.Name, p.Records, p.Elapsed.Seconds(), p.RecordsPerSec(), p.MBPerSec(),
				p.Latency.Quantile(0.5).Round(time.Microsecond), p.Latency.Quantile(0.99).Round(time.Microsecond), p.Errors)
			if acks == consumeAcks && size >= consumeSize {
				consumeSize, consumeTopic, consumeWant = size, topic, p.Records
			}
			if ctx.Err() != nil {
				return rep, ctx.Err()
			}
		}
	}
	c := l.consume(ctx, consumeTopic, consumeSize, consumeWant)
	rep.Phases = append(rep.Phases, c)
	l.progressf("  %-22s %9d records in %5.1fs = %9.0f rec/s %7.1f MB/s  errors %d",
		c.Name, c.Records, c.Elapsed.Seconds(), c.RecordsPerSec(), c.MBPerSec(), c.Errors)
	return rep, nil
}

// produce runs one producer phase: Produce calls for d, then a flush.
func (l *Load) produce(ctx context.Context, topic string, size int, acks string, d time.Duration) Phase {
	p := Phase{Name: ProduceName(size, acks), Size: size, Acks: acks, Topic: topic}
	opts := []kgo.Opt{
		kgo.DefaultProduceTopic(topic),
		kgo.MaxBufferedRecords(l.MaxBuffered),
		kgo.ProducerLinger(l.Linger),
		// Random values do not compress; sending them uncompressed keeps
		// the codec out of both brokers' work.
		kgo.ProducerBatchCompression(kgo.NoCompression()),
	}
	if acks == AcksLeader {
		opts = append(opts, kgo.RequiredAcks(kgo.LeaderAck()), kgo.DisableIdempotentWrite())
	} else {
		opts = append(opts, kgo.RequiredAcks(kgo.AllISRAcks()))
	}
	cl, err := l.client(opts...)
	if err != nil {
		p.Errors, p.FirstErr = 1, err
		return p
	}
	defer cl.Close()
	value := make([]byte, size)
	_, _ = rand.Read(value)

	// Promises run one at a time on the client's promise goroutine, and all
	// of them before Flush returns, so they update p without a lock.
	start := time.Now()
	deadline := start.Add(d)
	for ctx.Err() == nil {
		t0 := time.Now()
		if !t0.Before(deadline) {
			break
		}
		cl.Produce(ctx, &kgo.Record{Value: value}, func(r *kgo.Record, err error) {
			if err != nil {
				p.Errors++
				if p.FirstErr == nil {
					p.FirstErr = err
				}
				return
			}
			p.Latency.Record(time.Since(t0))
			p.Records++
			p.Bytes += uint64(len(r.Value))
		})
	}
	if err := cl.Flush(ctx); err != nil && p.FirstErr == nil {
		p.Errors++
		p.FirstErr = err
	}
	p.Elapsed = time.Since(start)
	return p
}

// consume reads topic from the start with a consumer without a group until
// it has want records, or no record came for 30 seconds.
func (l *Load) consume(ctx context.Context, topic string, size int, want uint64) Phase {
	p := Phase{Name: ConsumeName(size), Size: size, Topic: topic}
	cl, err := l.client(
		kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
	)
	if err != nil {
		p.Errors, p.FirstErr = 1, err
		return p
	}
	defer cl.Close()
	start := time.Now()
	for p.Records < want && ctx.Err() == nil {
		pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		fs := cl.PollFetches(pctx)
		cancel()
		fs.EachError(func(t string, part int32, err error) {
			if errors.Is(err, context.DeadlineExceeded) {
				err = fmt.Errorf("no record for 30s after %d of %d: %w", p.Records, want, err)
			}
			p.Errors++
			if p.FirstErr == nil {
				p.FirstErr = err
			}
		})
		fs.EachRecord(func(r *kgo.Record) {
			p.Records++
			p.Bytes += uint64(len(r.Value))
		})
		if pctx.Err() != nil && ctx.Err() == nil && fs.NumRecords() == 0 {
			break
		}
	}
	p.Elapsed = time.Since(start)
	return p
}
