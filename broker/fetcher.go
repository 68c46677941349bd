package broker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicelogs/sluice/broker/partition"
	"github.com/sluicelogs/sluice/broker/segment"
)

// fetcher is a follower's replication of one partition from its leader:
// a goroutine owned by the broker (bg), stopped when the partition's
// leader or epoch changes.
type fetcher struct {
	cancel context.CancelFunc
	done   chan struct{}
}

func (f *fetcher) stop() {
	f.cancel()
	<-f.done
}

// startFetcher starts following leader at epoch for p, unless the broker
// is not running yet (Run starts the fetchers then) or p moved on.
func (b *Broker) startFetcher(p *partition.Partition, leader, epoch int32) {
	b.runMu.Lock()
	defer b.runMu.Unlock()
	if b.runCtx == nil || b.runCtx.Err() != nil {
		return
	}
	ctx, cancel := context.WithCancel(b.runCtx)
	f := &fetcher{cancel: cancel, done: make(chan struct{})}
	if !p.AttachFetcher(leader, epoch, f.stop) {
		cancel()
		return
	}
	b.bg.Add(1)
	go func() {
		defer b.bg.Done()
		defer close(f.done)
		b.follow(ctx, p, leader, epoch)
	}()
}

// follow replicates p from leader until ctx ends, reconnecting with
// backoff after errors.
func (b *Broker) follow(ctx context.Context, p *partition.Partition, leader, epoch int32) {
	backoff := 50 * time.Millisecond
	for ctx.Err() == nil {
		err := b.followOnce(ctx, p, leader, epoch)
		if ctx.Err() != nil {
			return
		}
		p.Logger().Debug("replica fetcher", "leader", leader, "epoch", epoch, "err", err)
		if !sleepCtx(ctx, backoff) {
			return
		}
		backoff = min(2*backoff, time.Second)
	}
}

var errNoLeaderAddress = errors.New("leader's address unknown")

// followOnce connects to the leader, truncates a divergent tail, then
// fetches until an error.
func (b *Broker) followOnce(ctx context.Context, p *partition.Partition, leader, epoch int32) error {
	addr, tlsCfg, err := b.peerEndpoint(leader)
	if err != nil {
		_ = b.refreshBrokers()
		return err
	}
	c, err := dialPeer(ctx, addr, tlsCfg, b.cfg.BrokerID, b.cfg.MaxRequestBytes+b.cfg.ReplicaFetchMaxBytes)
	if err != nil {
		return err
	}
	defer c.close()
	stop := context.AfterFunc(ctx, func() { c.close() })
	defer stop()
	if mech := b.cfg.interBrokerMechanism(); mech != nil {
		if err := authenticatePeer(ctx, c, mech, addr, b.cfg.RequestTimeout); err != nil {
			return err
		}
	}
	if err := b.truncateToLeader(c, p, epoch); err != nil {
		return err
	}
	timeout := b.cfg.ReplicaFetchWaitMax + 30*time.Second
	quota := b.quotas.follower
	for ctx.Err() == nil {
		throttled := quota.IsThrottled(p.Topic(), p.Index())
		if throttled && !p.InSync(b.cfg.BrokerID) && quota.Exceeded() {
			// Left out of this fetch, as Kafka's fetcher leaves a
			// throttled partition out while it is not in the ISR; with
			// nothing else to fetch it backs off.
			b.metrics.replThrottled.WithLabelValues("follower").Inc()
			if !sleepCtx(ctx, b.cfg.ReplicaFetchBackoff) {
				return ctx.Err()
			}
			continue
		}
		req := kmsg.NewPtrFetchRequest()
		req.SetVersion(11)
		req.ReplicaID = b.cfg.BrokerID
		req.MaxWaitMillis = int32(b.cfg.ReplicaFetchWaitMax / time.Millisecond)
		req.MinBytes = 1
		req.MaxBytes = b.cfg.ReplicaFetchMaxBytes
		rt := kmsg.NewFetchRequestTopic()
		rt.Topic = p.Topic()
		rp := kmsg.NewFetchRequestTopicPartition()
		rp.Partition, rp.CurrentLeaderEpoch = p.Index(), epoch
		rp.FetchOffset, rp.LogStartOffset = p.LogEndOffset(), p.LogStartOffset()
		rp.PartitionMaxBytes = b.cfg.ReplicaFetchMaxBytes
		rt.Partitions = append(rt.Partitions, rp)
		req.Topics = append(req.Topics, rt)
		kresp, err := c.do(req, timeout)
		if err != nil {
			return err
		}
		resp := kresp.(*kmsg.FetchResponse)
		if resp.ErrorCode != 0 {
			return kerr.ErrorForCode(resp.ErrorCode)
		}
		if len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 1 {
			return fmt.Errorf("broker: fetch response for %d topics", len(resp.Topics))
		}
		fp := resp.Topics[0].Partitions[0]
		switch code := fp.ErrorCode; {
		case code == kerr.OffsetOutOfRange.Code && p.LogEndOffset() < fp.LogStartOffset:
			// The leader deleted what we would fetch next: start over at
			// its log start.
			if err := p.RestartAt(fp.LogStartOffset, epoch); err != nil {
				return err
			}
			continue
		case code != 0:
			return kerr.ErrorForCode(code)
		}
		ok, err := p.AppendReplica(segment.SplitBatches(fp.RecordBatches), epoch, fp.HighWatermark)
		if err != nil {
			return err
		}
		if !ok {
			return partition.ErrNotFollowing
		}
		if err := p.FollowLogStart(fp.LogStartOffset); err != nil {
			return err
		}
		b.metrics.replicaFetchBytes.Add(float64(len(fp.RecordBatches)))
		if throttled && len(fp.RecordBatches) > 0 {
			quota.Record(int64(len(fp.RecordBatches)))
			b.metrics.replThrottledBytes.WithLabelValues("follower").Add(float64(len(fp.RecordBatches)))
		}
	}
	return ctx.Err()
}

// truncateToLeader asks the leader where this replica's newest epoch ends
// in its log (OffsetForLeaderEpoch) and cuts everything after that, so a
// returning old leader drops the tail the new leader never had.
func (b *Broker) truncateToLeader(c *peerConn, p *partition.Partition, epoch int32) error {
	mine, _ := p.LatestEpoch()
	if mine < 0 {
		return nil // an empty log has nothing to diverge
	}
	req := kmsg.NewPtrOffsetForLeaderEpochRequest()
	req.SetVersion(3)
	req.ReplicaID = b.cfg.BrokerID
	rt := kmsg.NewOffsetForLeaderEpochRequestTopic()
	rt.Topic = p.Topic()
	rp := kmsg.NewOffsetForLeaderEpochRequestTopicPartition()
	rp.Partition, rp.CurrentLeaderEpoch, rp.LeaderEpoch = p.Index(), epoch, mine
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	kresp, err := c.do(req, 30*time.Second)
	if err != nil {
		return err
	}
	resp := kresp.(*kmsg.OffsetForLeaderEpochResponse)
	if len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 1 {
		return fmt.Errorf("broker: OffsetForLeaderEpoch response for %d topics", len(resp.Topics))
	}
	r := resp.Topics[0].Partitions[0]
	if r.ErrorCode != 0 {
		return kerr.ErrorForCode(r.ErrorCode)
	}
	target := p.Divergence(r.LeaderEpoch, r.EndOffset)
	if target < p.LogEndOffset() {
		p.Logger().Info("truncating to the leader's log", "leader_epoch", epoch, "offset", target, "log_end", p.LogEndOffset())
	}
	return p.Truncate(target, epoch)
}
