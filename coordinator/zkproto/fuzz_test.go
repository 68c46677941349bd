package zkproto

import (
	"bytes"
	"reflect"
	"testing"
)

// FuzzDecodeRequest feeds arbitrary bytes to DecodeRequestPacket (a
// RequestHeader followed by a body). Decoding must never panic, and whatever
// decodes must re-encode to a body of the same size that decodes to the
// same value and re-encodes to the same bytes.
func FuzzDecodeRequest(f *testing.F) {
	for i, req := range sampleRequests() {
		e := NewEncoder(nil)
		hdr := RequestHeader{Xid: int32(i + 1), Type: req.Op()}
		hdr.Encode(e)
		req.Encode(e)
		f.Add(e.Bytes())
	}
	f.Add([]byte{})
	f.Add([]byte{0, 0, 0, 1, 0, 0, 0, 14, 0, 0, 0, 1, 0, 0xff, 0xff, 0xff, 0xff})  // multi, cut short
	f.Add([]byte{0, 0, 0, 1, 0, 0, 0, 9, 0x7f, 0xff, 0xff, 0xff})                  // sync, huge path length
	f.Add([]byte{0, 0, 0, 1, 0, 0, 0, 101, 0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0}) // setWatches, huge count
	f.Fuzz(func(t *testing.T, data []byte) {
		hdr, req, err := DecodeRequestPacket(data)
		if err != nil {
			if req != nil {
				t.Fatalf("error %v with non-nil request %#v", err, req)
			}
			return
		}
		if req.Op() != hdr.Type {
			t.Fatalf("header type %v decoded as %T (%v)", hdr.Type, req, req.Op())
		}
		body := encode(req)
		if len(body) != len(data)-8 {
			t.Fatalf("re-encoded body is %d bytes, input body %d", len(body), len(data)-8)
		}
		again, err := DecodeRequest(hdr, body)
		if err != nil {
			t.Fatalf("re-encoded %T does not decode: %v", req, err)
		}
		if !reflect.DeepEqual(again, req) {
			t.Fatalf("round trip changed the value:\nfirst  %#v\nsecond %#v", req, again)
		}
		if !bytes.Equal(encode(again), body) {
			t.Fatalf("encoding is not stable for %#v", req)
		}
	})
}

// FuzzConnectRequest does the same for the header-less first packet, whose
// trailing readOnly byte is optional.
func FuzzConnectRequest(f *testing.F) {
	full := encode(&ConnectRequest{LastZxidSeen: 0x100000003, TimeOut: 30000, SessionID: 0x5a, Passwd: make([]byte, 16), ReadOnly: true})
	f.Add(full)
	f.Add(full[:len(full)-1]) // as go-zookeeper sends it
	f.Add(encode(&ConnectRequest{Passwd: nil}))
	f.Add(append(full, 0))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := DecodeConnectRequest(data)
		if err != nil {
			return
		}
		b := encode(&r)
		if len(b) != len(data) && len(b) != len(data)+1 {
			t.Fatalf("re-encoded to %d bytes from %d", len(b), len(data))
		}
		again, err := DecodeConnectRequest(b)
		if err != nil {
			t.Fatalf("re-encoded request does not decode: %v", err)
		}
		if !reflect.DeepEqual(again, r) {
			t.Fatalf("round trip changed the value:\nfirst  %#v\nsecond %#v", r, again)
		}
	})
}
