package broker

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"encoding/binary"
	"io"
	"log/slog"
	"net"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicelogs/sluice/broker/segment"
)

// TestFetchResponseEncoding: the hand-written Fetch response (written
// around sendfile'd records) decodes with franz-go's codec at every
// version this broker advertises, with the records byte for byte.
func TestFetchResponseEncoding(t *testing.T) {
	l, err := segment.Open(t.TempDir(), segment.Options{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for _, v := range []string{"one", "two", "three"} {
		if _, _, err := l.Append(segment.BuildBatch([]segment.Record{{Value: []byte(v)}}, 1), 0); err != nil {
			t.Fatal(err)
		}
	}
	l.SetHighWatermark(l.LogEndOffset())
	want, err := l.ReadBytes(0, 1<<20, l.HighWatermark())
	if err != nil {
		t.Fatal(err)
	}
	// A loopback TCP pair, so the records really go by sendfile.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	server, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	r := bufio.NewReader(client)
	for version := fetchAPI.min; version <= fetchAPI.max; version++ {
		data, err := l.Read(0, 1<<20, l.HighWatermark())
		if err != nil {
			t.Fatal(err)
		}
		res := &fetchResult{version: version, records: data.Size, topics: []fetchTopic{
			{name: "t", parts: []fetchPart{
				{partition: 0, hw: 3, lastStable: 3, logStart: 0, data: data},
				{partition: 1, errCode: kerr.NotLeaderForPartition.Code, hw: -1, lastStable: -1, logStart: -1},
			}},
		}}
		w := bufio.NewWriter(server)
		if err := res.writeTo(w, server, 42); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		res.release()
		var size [4]byte
		if _, err := io.ReadFull(r, size[:]); err != nil {
			t.Fatal(err)
		}
		frame := make([]byte, binary.BigEndian.Uint32(size[:]))
		if _, err := io.ReadFull(r, frame); err != nil {
			t.Fatal(err)
		}
		if corr := int32(binary.BigEndian.Uint32(frame)); corr != 42 {
			t.Fatalf("v%d: correlation id %d", version, corr)
		}
		body := frame[4:]
		if version >= 12 {
			body = body[1:] // header tags
		}
		resp := kmsg.NewPtrFetchResponse()
		resp.SetVersion(version)
		if err := resp.ReadFrom(body); err != nil {
			t.Fatalf("v%d: franz-go cannot decode the response: %v", version, err)
		}
		if len(resp.Topics) != 1 || resp.Topics[0].Topic != "t" || len(resp.Topics[0].Partitions) != 2 {
			t.Fatalf("v%d: decoded %+v", version, resp)
		}
		p0, p1 := resp.Topics[0].Partitions[0], resp.Topics[0].Partitions[1]
		if p0.HighWatermark != 3 || p0.ErrorCode != 0 || !bytes.Equal(p0.RecordBatches, want) {
			t.Fatalf("v%d: partition 0 = hw %d err %d, %d record bytes (want %d)", version, p0.HighWatermark, p0.ErrorCode, len(p0.RecordBatches), len(want))
		}
		if p1.ErrorCode != kerr.NotLeaderForPartition.Code || len(p1.RecordBatches) != 0 {
			t.Fatalf("v%d: partition 1 = %+v", version, p1)
		}

		// The same response through AppendTo (as kmsg encodes) decodes to
		// the same records.
		data, err = l.Read(0, 1<<20, l.HighWatermark())
		if err != nil {
			t.Fatal(err)
		}
		kr := kmsg.NewPtrFetchResponse()
		kr.SetVersion(version)
		fr := &fetchResponse{FetchResponse: kr, res: &fetchResult{version: version, records: data.Size,
			topics: []fetchTopic{{name: "t", parts: []fetchPart{{partition: 0, hw: 3, lastStable: 3, data: data}}}}}}
		appended := fr.AppendTo(nil)
		fr.res.release()
		resp = kmsg.NewPtrFetchResponse()
		resp.SetVersion(version)
		if err := resp.ReadFrom(appended); err != nil {
			t.Fatalf("v%d: AppendTo: franz-go cannot decode it: %v", version, err)
		}
		if len(resp.Topics) != 1 || !bytes.Equal(resp.Topics[0].Partitions[0].RecordBatches, want) {
			t.Fatalf("v%d: AppendTo decoded as %+v", version, resp)
		}
	}
}

// writeSizes records the size of each Write; it is no io.ReaderFrom, as a
// *tls.Conn is not.
type writeSizes struct {
	buf   bytes.Buffer
	sizes []int
}

func (w *writeSizes) Write(p []byte) (int, error) {
	w.sizes = append(w.sizes, len(p))
	return w.buf.Write(p)
}

// TestFetchResponseWithoutSendfile: to a writer sendfile cannot reach (a
// TLS connection), a Fetch response of three partitions of ~200 KiB each
// goes out in writes of the connection buffer's full 64 KiB, the last one
// excepted (no small write per partition header, no 32 KiB io.Copy
// chunks), and decodes with franz-go to the records byte for byte.
func TestFetchResponseWithoutSendfile(t *testing.T) {
	if _, ok := any(&tls.Conn{}).(io.ReaderFrom); ok {
		t.Fatal("*tls.Conn is an io.ReaderFrom now: bufio.Writer.ReadFrom would hand it the file")
	}
	if segment.SendfileTo(&tls.Conn{}) {
		t.Fatal("SendfileTo says a TLS connection takes sendfile")
	}
	l, err := segment.Open(t.TempDir(), segment.Options{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	value := bytes.Repeat([]byte("v"), 1000)
	for range 200 {
		if _, _, err := l.Append(segment.BuildBatch([]segment.Record{{Value: value}}, 1), 0); err != nil {
			t.Fatal(err)
		}
	}
	l.SetHighWatermark(l.LogEndOffset())
	want, err := l.ReadBytes(0, 1<<20, l.HighWatermark())
	if err != nil {
		t.Fatal(err)
	}
	res := &fetchResult{version: 12, topics: []fetchTopic{{name: "t"}}}
	for p := range int32(3) {
		data, err := l.Read(0, 1<<20, l.HighWatermark())
		if err != nil {
			t.Fatal(err)
		}
		res.records += data.Size
		res.topics[0].parts = append(res.topics[0].parts, fetchPart{partition: p, hw: l.HighWatermark(), lastStable: l.HighWatermark(), data: data})
	}
	nc := &writeSizes{}
	w := bufio.NewWriterSize(nc, 64<<10)
	err = res.writeTo(w, nc, 7)
	res.release()
	if err == nil {
		err = w.Flush()
	}
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range nc.sizes[:len(nc.sizes)-1] {
		if n != 64<<10 {
			t.Fatalf("write %d of %d is %d bytes, want every write but the last a full 64 KiB buffer: %v", i, len(nc.sizes), n, nc.sizes)
		}
	}
	frame := nc.buf.Bytes()
	if size := int(binary.BigEndian.Uint32(frame)); size != len(frame)-4 {
		t.Fatalf("size field %d, frame %d bytes", size, len(frame)-4)
	}
	resp := kmsg.NewPtrFetchResponse()
	resp.SetVersion(12)
	if err := resp.ReadFrom(frame[4+4+1:]); err != nil {
		t.Fatalf("franz-go cannot decode the response: %v", err)
	}
	for _, p := range resp.Topics[0].Partitions {
		if !bytes.Equal(p.RecordBatches, want) {
			t.Fatalf("partition %d: %d record bytes, want %d", p.Partition, len(p.RecordBatches), len(want))
		}
	}
}
