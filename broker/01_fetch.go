package broker

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"reflect"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicelogs/sluice/broker/segment"
)

// Fetch v4–v12 reads each partition from its offset up to the high
// watermark (a follower, replica id ≥ 0, up to the log end: its fetch
// offset tells the leader how far it has got). It long-polls: while fewer
// than MinBytes are ready it waits for appends until MaxWaitMillis. The
// records are not copied: the response is written around them and the
// batches go from the segment files to the socket with sendfile (under
// TLS, read into the connection's write buffer). v4 is
// the first with v2 record batches and the last stable offset; v5+ gives
// the log start offset; v7+ has fetch sessions, never granted here
// (session id 0 tells clients to send full fetches); v9+ carries the
// current leader epoch, fenced; v11+ the preferred read replica (-1); v12
// is flexible. v13+ (topic ids) is not offered. With an authorizer, as
// Kafka's KafkaApis: a follower's fetch needs CLUSTER_ACTION on the
// cluster, else every partition answers TOPIC_AUTHORIZATION_FAILED; a
// consumer's needs READ on each topic (TOPIC_AUTHORIZATION_FAILED on the
// partitions of those it may not read).
var fetchAPI = api{key: kmsg.Fetch, min: 4, max: 12, handle: (*Broker).handleFetch}

func (b *Broker) handleFetch(ctx context.Context, c *conn, r *request) (kmsg.Response, error) {
	req := r.kreq.(*kmsg.FetchRequest)
	var names []string
	for _, rt := range req.Topics {
		names = append(names, rt.Topic)
	}
	var denied map[string]bool
	if req.ReplicaID >= 0 {
		if !c.authorizedCluster(kmsg.ACLOperationClusterAction) {
			denied = map[string]bool{}
			for _, n := range names {
				denied[n] = true
			}
		}
	} else {
		denied = c.deniedTopics(kmsg.ACLOperationRead, names...)
	}
	res := b.fetch(ctx, req, denied)
	b.metrics.fetchBytes.Add(float64(res.records))
	b.recordLeaderThrottled(res)
	return &fetchResponse{FetchResponse: req.ResponseKind().(*kmsg.FetchResponse), res: res}, nil
}

// fetchResponse is the Fetch handler's answer: a kmsg.Response (the
// embedded FetchResponse only gives it its key and version) whose records
// are still in the segment files. The connection writes it with
// res.writeTo, the records by sendfile, then releases them; AppendTo
// encodes it all, copying the records, for any other writer.
type fetchResponse struct {
	*kmsg.FetchResponse
	res *fetchResult
}

// AppendTo appends the response body (no size, correlation id or header
// tags), as kmsg's AppendTo does.
func (f *fetchResponse) AppendTo(dst []byte) []byte {
	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	if err := f.res.writeTo(w, &buf, 0); err != nil || w.Flush() != nil {
		return dst // only reading the segment files can fail: no response
	}
	body := buf.Bytes()[8:] // size, correlation id
	if f.res.version >= 12 {
		body = body[1:] // response header tags
	}
	return append(dst, body...)
}

// fetch reads what req asks for, long-polling as Fetch does; the topics
// denied answer TOPIC_AUTHORIZATION_FAILED.
func (b *Broker) fetch(ctx context.Context, req *kmsg.FetchRequest, denied map[string]bool) *fetchResult {
	deadline := time.Now().Add(time.Duration(req.MaxWaitMillis) * time.Millisecond)
	for first := true; ; first = false {
		res, waits := b.fetchOnce(req, first, denied)
		if res.records >= int64(req.MinBytes) || len(waits) == 0 || !time.Now().Before(deadline) {
			return res
		}
		res.release()
		if !waitAny(ctx, waits, time.Until(deadline)) {
			res, _ = b.fetchOnce(req, false, denied)
			return res
		}
	}
}

// fetchResult is a Fetch response whose records are still in the files.
type fetchResult struct {
	version int16
	topics  []fetchTopic
	records int64 // bytes of records in all partitions
}

type fetchTopic struct {
	name  string
	parts []fetchPart
}

type fetchPart struct {
	partition                int32
	errCode                  int16
	hw, lastStable, logStart int64
	data                     segment.ReadResult
	throttled                bool // the follower's replica is throttled on this leader (throttles.go)
	heldBack                 bool // throttled and over the leader quota: no records
}

func (f *fetchResult) release() {
	for i := range f.topics {
		for j := range f.topics[i].parts {
			f.topics[i].parts[j].data.Release()
		}
	}
}

// fetchOnce reads what each partition has for req. On the first pass of
// a follower's fetch, its offsets are recorded (they are its log ends).
func (b *Broker) fetchOnce(req *kmsg.FetchRequest, first bool, denied map[string]bool) (*fetchResult, []<-chan struct{}) {
	res := &fetchResult{version: req.GetVersion()}
	maxBytes := int64(req.MaxBytes)
	if maxBytes <= 0 {
		maxBytes = 50 << 20
	}
	var waits []<-chan struct{}
	for _, rt := range req.Topics {
		ft := fetchTopic{name: rt.Topic}
		for _, rp := range rt.Partitions {
			fp := fetchPart{partition: rp.Partition, hw: -1, lastStable: -1, logStart: -1}
			p, err := b.localPartition(rt.Topic, rp.Partition)
			if denied[rt.Topic] {
				err = kerr.TopicAuthorizationFailed
			}
			if err == nil {
				err = p.CheckEpoch(rp.CurrentLeaderEpoch)
			}
			if err == nil {
				waits = append(waits, p.WaitChan())
				// A follower (replica id ≥ 0) reads up to the log end and
				// its fetch offset tells the leader how far it has got; a
				// consumer reads only what the ISR has (the high watermark).
				upTo := p.HighWatermark()
				if req.ReplicaID >= 0 {
					if first {
						if isr := p.FollowerFetched(req.ReplicaID, rp.FetchOffset, time.Now()); isr != nil && b.isLive(req.ReplicaID) {
							b.alterISR(p, isr)
						}
					}
					upTo = p.LogEndOffset()
				}
				hw := p.HighWatermark()
				fp.hw, fp.lastStable, fp.logStart = hw, hw, p.LogStartOffset()
				limit := min(int64(rp.PartitionMaxBytes), maxBytes-res.records)
				if req.ReplicaID >= 0 {
					fp.throttled, fp.heldBack = b.leaderThrottles(p, req.ReplicaID)
				}
				// The first partition with data gets at least one whole
				// batch, so a consumer always makes progress (as in Kafka).
				if !fp.heldBack && (limit > 0 || res.records == 0) {
					fp.data, err = p.Read(rp.FetchOffset, int(max(limit, 1)), upTo)
					res.records += fp.data.Size
				}
			}
			fp.errCode = errCode(err)
			ft.parts = append(ft.parts, fp)
		}
		res.topics = append(res.topics, ft)
	}
	return res, waits
}

// writeTo sends the response (Fetch v4–v12 wire format) to nc, buffering
// everything but the records in w and sending those with sendfile when nc
// is a socket. Otherwise (a TLS connection: sendfile cannot encrypt) the
// records go through w too, read from the segment files straight into w's
// buffer: each write to nc is a full buffer (64 KiB for a connection, four
// TLS records of 16 KiB) holding the response's small parts with the
// records, rather than a small write per partition header and io.Copy's
// 32 KiB chunks through a buffer allocated per partition.
func (f *fetchResult) writeTo(w *bufio.Writer, nc io.Writer, correlationID int32) error {
	sendfile := segment.SendfileTo(nc)
	flexible := f.version >= 12
	var e fetchEncoder
	e.flexible = flexible
	e.int32(0) // size, set below
	e.int32(correlationID)
	if flexible {
		e.uvarint(0) // response header tags
	}
	e.int32(0) // throttle_time_ms
	if f.version >= 7 {
		e.int16(0) // error_code
		e.int32(0) // session_id: no session
	}
	e.arrayLen(len(f.topics))
	type cut struct {
		at   int // bytes of e.buf before the records
		data *segment.ReadResult
	}
	var cuts []cut
	for ti := range f.topics {
		t := &f.topics[ti]
		e.str(t.name)
		e.arrayLen(len(t.parts))
		for pi := range t.parts {
			p := &t.parts[pi]
			e.int32(p.partition)
			e.int16(p.errCode)
			e.int64(p.hw)
			e.int64(p.lastStable)
			if f.version >= 5 {
				e.int64(p.logStart)
			}
			e.arrayLen(0) // aborted_transactions: none (no transactions)
			if f.version >= 11 {
				e.int32(-1) // preferred_read_replica
			}
			e.bytesLen(int(p.data.Size))
			cuts = append(cuts, cut{len(e.buf), &p.data})
			if flexible {
				e.uvarint(0) // partition tags
			}
		}
		if flexible {
			e.uvarint(0) // topic tags
		}
	}
	if flexible {
		e.uvarint(0) // body tags
	}
	binary.BigEndian.PutUint32(e.buf, uint32(len(e.buf)-4+int(f.records)))
	prev := 0
	for _, c := range cuts {
		if _, err := w.Write(e.buf[prev:c.at]); err != nil {
			return err
		}
		prev = c.at
		if c.data.Size == 0 {
			continue
		}
		if !sendfile {
			if _, err := w.ReadFrom(c.data.Reader()); err != nil {
				return err
			}
			continue
		}
		if err := w.Flush(); err != nil {
			return err
		}
		if _, err := c.data.WriteTo(nc); err != nil {
			return err
		}
	}
	_, err := w.Write(e.buf[prev:])
	return err
}

// fetchEncoder appends Kafka primitives, in the compact (flexible) forms
// when flexible is set.
type fetchEncoder struct {
	buf      []byte
	flexible bool
}

func (e *fetchEncoder) int16(v int16)    { e.buf = binary.BigEndian.AppendUint16(e.buf, uint16(v)) }
func (e *fetchEncoder) int32(v int32)    { e.buf = binary.BigEndian.AppendUint32(e.buf, uint32(v)) }
func (e *fetchEncoder) int64(v int64)    { e.buf = binary.BigEndian.AppendUint64(e.buf, uint64(v)) }
func (e *fetchEncoder) uvarint(v uint64) { e.buf = binary.AppendUvarint(e.buf, v) }

func (e *fetchEncoder) arrayLen(n int) {
	if e.flexible {
		e.uvarint(uint64(n) + 1)
	} else {
		e.int32(int32(n))
	}
}

func (e *fetchEncoder) bytesLen(n int) { e.arrayLen(n) }

func (e *fetchEncoder) str(s string) {
	if e.flexible {
		e.uvarint(uint64(len(s)) + 1)
	} else {
		e.int16(int16(len(s)))
	}
	e.buf = append(e.buf, s...)
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
