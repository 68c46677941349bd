package broker

import (
	"encoding/binary"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
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
		r, err := parseRequest(frame(md, v, "client-1"), newAPITable())
		if err != nil {
			t.Fatalf("metadata v%d: %v", v, err)
		}
		got := r.kreq.(*kmsg.MetadataRequest)
		if r.correlationID != 7 || r.clientID != "client-1" || len(got.Topics) != 1 || *got.Topics[0].Topic != "magedu" {
			t.Fatalf("metadata v%d parsed as %+v", v, r)
		}
	}
	if _, err := parseRequest(frame(kmsg.NewPtrFetchRequest(), 13, "c"), newAPITable()); err == nil {
		t.Fatal("fetch v13 (not advertised) was accepted")
	}
	unknown := binary.BigEndian.AppendUint16(nil, 999)
	unknown = append(unknown, 0, 0, 0, 0, 0, 1, 0, 0)
	if _, err := parseRequest(unknown, newAPITable()); err == nil {
		t.Fatal("an unknown api key was accepted")
	}
}

// TestAPITable: ApiVersions advertises exactly the API table, every entry
// has a handler and a range kmsg can decode, and an unknown ApiVersions
// version gets v0 with UNSUPPORTED_VERSION and the same list (KIP-511).
func TestAPITable(t *testing.T) {
	b := &Broker{apis: newAPITable()}
	for key, a := range b.apis {
		if a.key != key || a.handle == nil || a.min < 0 || a.min > a.max || a.max > key.Request().MaxVersion() {
			t.Errorf("%s: %+v", key.Name(), a)
		}
	}
	for _, v := range []int16{3, 99} {
		resp := b.apiVersions(v).(*kmsg.ApiVersionsResponse)
		wantCode := int16(0)
		if v == 99 {
			wantCode = kerr.UnsupportedVersion.Code
		}
		if resp.ErrorCode != wantCode || len(resp.ApiKeys) != len(b.apis) {
			t.Fatalf("v%d: error %d, %d keys; want %d, %d", v, resp.ErrorCode, len(resp.ApiKeys), wantCode, len(b.apis))
		}
		for _, k := range resp.ApiKeys {
			a := b.apis[kmsg.Key(k.ApiKey)]
			if k.MinVersion != a.min || k.MaxVersion != a.max {
				t.Errorf("v%d: %s advertised v%d–v%d, table v%d–v%d", v, kmsg.Key(k.ApiKey).Name(), k.MinVersion, k.MaxVersion, a.min, a.max)
			}
		}
	}
}
