package broker

import (
	"context"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicelogs/sluice/broker/group"
)

// offsetsStore keeps the group coordinator's records in partition 0 of
// __consumer_offsets, in Kafka's key/value formats, so committed offsets
// survive restarts (and, with the cluster, replicate like any partition).
type offsetsStore struct{ p *partition }

func (s *offsetsStore) Append(_ context.Context, key, value []byte) error {
	_, err := s.p.append(buildBatch([]kv{{key, value}}, time.Now().UnixMilli()))
	if err != nil {
		return fmt.Errorf("broker: write %s: %w", offsetsTopic, err)
	}
	return s.p.log.Flush()
}

func (s *offsetsStore) Replay(f func(key, value []byte) error) error {
	off := s.p.log.LogStartOffset()
	end := s.p.log.LogEndOffset()
	for off < end {
		data, err := s.p.log.ReadBytes(off, 1<<20, end)
		if err != nil {
			return fmt.Errorf("broker: replay %s: %w", offsetsTopic, err)
		}
		if len(data) == 0 {
			break
		}
		next := off
		err = eachRecord(data, func(o int64, r *kmsg.Record) error {
			next = o + 1
			return f(r.Key, r.Value)
		})
		if err != nil {
			return err
		}
		if next <= off {
			return fmt.Errorf("broker: replay %s stuck at offset %d", offsetsTopic, off)
		}
		off = next
	}
	return nil
}

// startGroups opens (creating if needed) __consumer_offsets and the group
// coordinator over it. One partition holds every group: this broker is the
// coordinator of all groups.
func (b *Broker) startGroups() error {
	if b.lookupTopic(offsetsTopic) == nil {
		err := b.createTopic(offsetsTopic, 1, 1, map[string]string{"cleanup.policy": "compact"}, false)
		if err != nil && err != kerr.TopicAlreadyExists {
			return fmt.Errorf("broker: create %s: %w", offsetsTopic, err)
		}
	}
	p, err := b.localPartition(offsetsTopic, 0)
	if err != nil {
		return fmt.Errorf("broker: %s: %w", offsetsTopic, err)
	}
	c, err := group.New(&offsetsStore{p: p}, group.Options{RebalanceDelay: 0}, b.log.With("component", "group"))
	if err != nil {
		return err
	}
	b.groups = c
	return nil
}
