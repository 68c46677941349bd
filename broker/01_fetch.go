package broker

import (
	"context"
	"reflect"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// fetch reads each partition from its offset up to the high watermark. It
// long-polls: when fewer than MinBytes are ready it waits for appends until
// MaxWaitMillis. No incremental fetch sessions are granted (session id 0
// tells clients to send full fetches), which every client handles.
func (b *Broker) fetch(ctx context.Context, req *kmsg.FetchRequest) kmsg.Response {
	deadline := time.Now().Add(time.Duration(req.MaxWaitMillis) * time.Millisecond)
	for {
		resp, size, waits := b.fetchOnce(req)
		if size >= int(req.MinBytes) || len(waits) == 0 || !time.Now().Before(deadline) {
			return resp
		}
		if !waitAny(ctx, waits, time.Until(deadline)) {
			resp, _, _ = b.fetchOnce(req)
			return resp
		}
	}
}

func (b *Broker) fetchOnce(req *kmsg.FetchRequest) (*kmsg.FetchResponse, int, []<-chan struct{}) {
	resp := req.ResponseKind().(*kmsg.FetchResponse)
	total := 0
	maxBytes := int(req.MaxBytes)
	if maxBytes <= 0 {
		maxBytes = 50 << 20
	}
	var waits []<-chan struct{}
	for _, rt := range req.Topics {
		st := kmsg.NewFetchResponseTopic()
		st.Topic = rt.Topic
		for _, rp := range rt.Partitions {
			sp := kmsg.NewFetchResponseTopicPartition()
			sp.Partition = rp.Partition
			sp.HighWatermark, sp.LastStableOffset, sp.LogStartOffset = -1, -1, -1
			p, err := b.localPartition(rt.Topic, rp.Partition)
			if err == nil && rp.CurrentLeaderEpoch >= 0 && rp.CurrentLeaderEpoch < p.leaderEpoch {
				err = kerr.FencedLeaderEpoch
			}
			if err == nil {
				waits = append(waits, p.waitChan())
				hw := p.log.HighWatermark()
				sp.HighWatermark, sp.LastStableOffset, sp.LogStartOffset = hw, hw, p.log.LogStartOffset()
				limit := min(int(rp.PartitionMaxBytes), maxBytes-total)
				if total > 0 && limit <= 0 {
					limit = 0
				}
				if limit > 0 || total == 0 {
					var data []byte
					data, err = p.read(rp.FetchOffset, max(limit, 1), hw)
					sp.RecordBatches = data
					total += len(data)
				}
			}
			sp.ErrorCode = errCode(err)
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
	return resp, total, waits
}

// waitAny waits until one of chans is closed (true), or d passes or ctx
// ends (false).
func waitAny(ctx context.Context, chans []<-chan struct{}, d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	cases := make([]reflect.SelectCase, 0, len(chans)+2)
	cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(ctx.Done())},
		reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(timer.C)})
	for _, ch := range chans {
		cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(ch)})
	}
	chosen, _, _ := reflect.Select(cases)
	return chosen >= 2
}
