package broker

import (
	"encoding/binary"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// frame encodes a request the way a client does (without the length).
func frame(req kmsg.Request, version int16, clientID string) []byte {
	req.SetVersion(version)
	b := binary.BigEndian.AppendUint16(nil, uint16(req.Key()))
	b = binary.BigEndian.AppendUint16(b, uint16(version))
	b = binary.BigEndian.AppendUint32(b, 7)
	b = binary.BigEndian.AppendUint16(b, uint16(len(clientID)))
	b = append(b, clientID...)
	if req.IsFlexible() {
		b = append(b, 0)
	}
	return req.AppendTo(b)
}

func TestParseRequest(t *testing.T) {
	md := kmsg.NewPtrMetadataRequest()
	topic := "magedu"
	md.Topics = []kmsg.MetadataRequestTopic{{Topic: &topic}}
	for _, v := range []int16{0, 4, 9, 12} {
		r, err := parseRequest(frame(md, v, "client-1"))
		if err != nil {
			t.Fatalf("metadata v%d: %v", v, err)
		}
		got := r.kreq.(*kmsg.MetadataRequest)
		if r.correlationID != 7 || r.clientID != "client-1" || len(got.Topics) != 1 || *got.Topics[0].Topic != "magedu" {
			t.Fatalf("metadata v%d parsed as %+v", v, r)
		}
	}
	if _, err := parseRequest(frame(kmsg.NewPtrFetchRequest(), 13, "c")); err == nil {
		t.Fatal("fetch v13 (not advertised) was accepted")
	}
	unknown := binary.BigEndian.AppendUint16(nil, 999)
	unknown = append(unknown, 0, 0, 0, 0, 0, 1, 0, 0)
	if _, err := parseRequest(unknown); err == nil {
		t.Fatal("an unknown api key was accepted")
	}
}

// FuzzParseRequest: no input makes the request parser panic.
func FuzzParseRequest(f *testing.F) {
	md := kmsg.NewPtrMetadataRequest()
	f.Add(frame(md, 12, "c"))
	f.Add(frame(kmsg.NewPtrApiVersionsRequest(), 3, "kcat"))
	f.Add(frame(kmsg.NewPtrProduceRequest(), 9, ""))
	f.Add(frame(kmsg.NewPtrFetchRequest(), 12, "x"))
	f.Add([]byte{0, 18, 0, 3, 0, 0, 0, 1, 0, 0, 2, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := parseRequest(b)
		if err == nil && r.kreq == nil {
			t.Fatal("no error and no request")
		}
	})
}
