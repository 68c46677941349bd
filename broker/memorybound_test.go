package broker_test

import (
	"encoding/binary"
	"io"
	"net"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicelogs/sluice/broker"
	"github.com/sluicelogs/sluice/testkit/testcluster"
)

// TestAnsweredFramesChargedUntilFreed: queued.max.request.bytes bounds
// what request frames take of the heap, dead ones included. Four
// connections send 4 MiB frames one after the other under a budget of
// 8 MiB, with the collector told to let the heap grow fivefold before
// it runs (GOGC=400): the heap grows by the budget and a little, not by
// the dead frames the collector has not yet freed (they stay charged
// until it frees them, and a connection waiting for memory asks for a
// collection). Without that, the heap grew by 55 MiB here.
func TestAnsweredFramesChargedUntilFreed(t *testing.T) {
	const (
		budget  = 8 << 20
		frame   = 4 << 20
		senders = 4
		each    = 10
	)
	zkAddr := testcluster.Coordinator(t)
	b := testcluster.StartBroker(t, 1, zkAddr, "", func(c *broker.Config) {
		c.MaxRequestBytes, c.QueuedMaxRequestBytes = frame+1<<20, budget
	})
	addr := b.Addr()
	defer debug.SetGCPercent(debug.SetGCPercent(400))

	// A Produce v9 whose body does not decode: the broker reads it whole,
	// then closes the connection.
	body := binary.BigEndian.AppendUint32(nil, frame)
	body = binary.BigEndian.AppendUint16(body, uint16(kmsg.Produce))
	body = binary.BigEndian.AppendUint16(body, 9)
	body = binary.BigEndian.AppendUint32(body, 1)
	body = binary.BigEndian.AppendUint16(body, 0)
	for len(body) < frame+4 {
		body = append(body, 0xff)
	}

	heap := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() int64 { metrics.Read(heap); return int64(heap[0].Value.Uint64()) }
	runtime.GC()
	base := read()
	var maxUsed int64
	stop := make(chan struct{})
	peak := make(chan int64)
	go func() {
		top := base
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				peak <- top
				return
			case <-tick.C:
				top = max(top, read())
				u, _ := broker.RequestMemory(b.Broker)
				maxUsed = max(maxUsed, u)
			}
		}
	}()
	var wg sync.WaitGroup
	errs := make(chan error, senders)
	for range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				nc, err := net.Dial("tcp", addr)
				if err != nil {
					errs <- err
					return
				}
				_ = nc.SetDeadline(time.Now().Add(60 * time.Second))
				if _, err := nc.Write(body); err != nil {
					nc.Close()
					errs <- err
					return
				}
				_, err = io.Copy(io.Discard, nc) // until the broker closes it
				nc.Close()
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	grown := <-peak - base
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	t.Logf("heap grew by %.1f MiB for %d frames of %d MiB under a budget of %d MiB", float64(grown)/(1<<20), senders*each, frame>>20, budget>>20)
	// The budget's documented overshoot: the first buffers (124 KiB each)
	// of the requests that wait, and those of answered requests the
	// collector has not freed yet.
	if limit := int64(budget + 2*senders*124<<10); maxUsed > limit {
		t.Errorf("request memory reached %d bytes, more than the budget and the first buffers of every sender (%d)", maxUsed, limit)
	}
	if limit := int64(budget + 4<<20); grown > limit {
		t.Fatalf("heap grew by %.1f MiB, more than the budget + 4 MiB (%d MiB)", float64(grown)/(1<<20), limit>>20)
	}
}

// TestShortConnectionsReuseBuffers: 200 connections one after the other,
// each sending an ApiVersions and closing, allocate far less than the
// 128 KiB of read and write buffers each would take new: they come from
// the broker's pool and go back to it (internal/connbuf).
func TestShortConnectionsReuseBuffers(t *testing.T) {
	const conns = 200
	zkAddr := testcluster.Coordinator(t)
	b := testcluster.StartBroker(t, 1, zkAddr, "")
	one := func() {
		nc, err := net.Dial("tcp", b.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		if err := apiVersions(nc); err != nil {
			t.Fatal(err)
		}
	}
	one()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range conns {
		one()
	}
	runtime.ReadMemStats(&after)
	per := (after.TotalAlloc - before.TotalAlloc) / conns
	t.Logf("%d bytes allocated per connection", per)
	if per > 64<<10 {
		t.Fatalf("%d KiB allocated per short connection, want well under the 128 KiB of new buffers", per>>10)
	}
}
