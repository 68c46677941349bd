package broker

import (
	"encoding/binary"
	"reflect"
	"runtime"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicelogs/sluice/testkit/memtest"
)

// fill sets every field of v (a struct) to a value other than its zero:
// strings and bytes of a few bytes, two elements in every array.
func fill(v reflect.Value, depth int) {
	for i := 0; i < v.NumField(); i++ {
		f := v.Field(i)
		if !f.CanSet() || f.Type() == tagsType || v.Type().Field(i).Name == "Version" {
			continue
		}
		switch f.Kind() {
		case reflect.Bool:
			f.SetBool(true)
		case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			f.SetInt(int64(3 + i))
		case reflect.Float64:
			f.SetFloat(1.5)
		case reflect.Array:
			for j := 0; j < f.Len(); j++ {
				f.Index(j).SetUint(uint64(j + 1))
			}
		case reflect.String:
			f.SetString("ab")
		case reflect.Pointer:
			s := "xyz"
			f.Set(reflect.ValueOf(&s))
		case reflect.Struct:
			fill(f, depth+1)
		case reflect.Slice:
			if f.Type().Elem().Kind() == reflect.Uint8 {
				f.SetBytes([]byte("bytes"))
				continue
			}
			s := reflect.MakeSlice(f.Type(), 2, 2)
			for j := 0; j < 2; j++ {
				e := s.Index(j)
				switch e.Kind() {
				case reflect.Struct:
					setDefault(e.Addr())
					if depth < 4 {
						fill(e, depth+1)
					}
				case reflect.String:
					e.SetString("cd")
				default:
					e.SetInt(7)
				}
			}
			f.Set(s)
		}
	}
}

// TestBodyLayouts: for every API version the broker implements, the
// layout learnt from kmsg walks a request with every field set (tagged
// ones too) to its last byte, and kmsg decodes the same bytes.
func TestBodyLayouts(t *testing.T) {
	for key, a := range newAPITable() {
		for v := a.min; v <= a.max; v++ {
			req := key.Request()
			setDefault(reflect.ValueOf(req))
			fill(reflect.ValueOf(req).Elem(), 0)
			req.SetVersion(v)
			body := req.AppendTo(nil)
			rest, alloc, err := a.bodies[v-a.min].walk(body, 1<<30)
			if err != nil || len(rest) != 0 {
				t.Errorf("%s v%d: walked with %d of %d bytes left: %v", key.Name(), v, len(rest), len(body), err)
				continue
			}
			dec := key.Request()
			dec.SetVersion(v)
			if err := dec.ReadFrom(body); err != nil {
				t.Errorf("%s v%d: kmsg: %v", key.Name(), v, err)
			}
			if alloc > 8*int64(len(body))+4096 {
				t.Errorf("%s v%d: a filled request of %d bytes charged %d", key.Name(), v, len(body), alloc)
			}
		}
	}
}

// decodeAlloc is the bytes parseRequest allocated for frame.
func decodeAlloc(frame []byte, apis apiTable) (uint64, error) {
	var err error
	grew := memtest.Allocated(func() { _, err = parseRequest(frame, apis) })
	return grew, err
}

// maxDecodeAlloc is what decoding a frame may allocate: a small multiple
// of its size.
func maxDecodeAlloc(frame []byte) uint64 { return 12*uint64(len(frame)) + 32<<10 }

// emptyTopicsFetch is a Fetch v12 of size bytes whose topics array holds
// as many empty topics as kmsg lets through (its check is 2 bytes each):
// it made kmsg allocate 40 times its size.
func emptyTopicsFetch(size int) []byte {
	req := kmsg.NewPtrFetchRequest()
	req.SetVersion(12)
	head := frame(req, 12, "")
	head = head[:len(head)-4] // without the (empty) topics, forgotten topics, rack and tags
	n := (size - len(head) - 8) / 3
	b := binary.AppendUvarint(head, uint64(n+1))
	for range n {
		b = append(b, 1, 1, 0) // topic "", no partitions, no tags
	}
	return append(b, 1, 1, 0) // no forgotten topics, rack "", no tags
}

// TestDecodeAllocationBounded: a Fetch made of empty topics (the 1.2 GB
// one, at 1 MiB) is refused before kmsg allocates, and decoding it
// allocates a small multiple of its size; a well-formed large Fetch is
// decoded.
func TestDecodeAllocationBounded(t *testing.T) {
	apis := newAPITable()
	bad := emptyTopicsFetch(1 << 20)
	// kmsg alone decodes it, allocating some 20 times its size.
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	plain := kmsg.NewPtrFetchRequest()
	plain.SetVersion(12)
	if err := plain.ReadFrom(bad[11:]); err != nil || len(plain.Topics) < 300_000 {
		t.Fatalf("kmsg alone: %v, %d topics", err, len(plain.Topics))
	}
	runtime.ReadMemStats(&after)
	t.Logf("kmsg alone: %d bytes allocated for a %d-byte Fetch of %d empty topics", after.TotalAlloc-before.TotalAlloc, len(bad), len(plain.Topics))

	alloc, err := decodeAlloc(bad, apis)
	if err == nil {
		t.Fatal("a Fetch of empty topics was decoded")
	}
	if alloc > maxDecodeAlloc(bad) {
		t.Fatalf("refusing a %d-byte Fetch allocated %d bytes", len(bad), alloc)
	}

	req := kmsg.NewPtrFetchRequest()
	for i := range 2000 {
		rt := kmsg.NewFetchRequestTopic()
		rt.Topic = "topic-" + string(rune('a'+i%26))
		for p := range 20 {
			rp := kmsg.NewFetchRequestTopicPartition()
			rp.Partition, rp.PartitionMaxBytes = int32(p), 1<<20
			rt.Partitions = append(rt.Partitions, rp)
		}
		req.Topics = append(req.Topics, rt)
	}
	good := frame(req, 12, "replica")
	alloc, err = decodeAlloc(good, apis)
	if err != nil {
		t.Fatalf("a %d-byte Fetch of 40,000 partitions: %v", len(good), err)
	}
	if alloc > maxDecodeAlloc(good) {
		t.Fatalf("decoding a %d-byte Fetch allocated %d bytes", len(good), alloc)
	}
}

// FuzzParseRequest: no input makes the request parser panic, and
// parsing, accepted or not, allocates at most a small multiple of the
// frame (runtime.MemStats.TotalAlloc before and after). Seeds beyond
// these are in testdata/fuzz/FuzzParseRequest.
func FuzzParseRequest(f *testing.F) {
	md := kmsg.NewPtrMetadataRequest()
	f.Add(frame(md, 12, "c"))
	f.Add(frame(kmsg.NewPtrApiVersionsRequest(), 3, "kcat"))
	f.Add(frame(kmsg.NewPtrProduceRequest(), 9, ""))
	f.Add(frame(kmsg.NewPtrFetchRequest(), 12, "x"))
	f.Add([]byte{0, 18, 0, 3, 0, 0, 0, 1, 0, 0, 2, 0})
	f.Add(emptyTopicsFetch(4 << 10))
	apis := newAPITable()
	f.Fuzz(func(t *testing.T, b []byte) {
		alloc, err := decodeAlloc(b, apis)
		if alloc > maxDecodeAlloc(b) {
			t.Fatalf("parsing %d bytes allocated %d (err %v)", len(b), alloc, err)
		}
		r, err := parseRequest(b, apis)
		if err == nil && r.kreq == nil {
			t.Fatal("no error and no request")
		}
	})
}
