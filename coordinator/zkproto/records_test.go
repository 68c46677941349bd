package zkproto

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
)

func TestRequestRoundTrip(t *testing.T) {
	for i, req := range sampleRequests() {
		t.Run(fmt.Sprintf("%d-%v", i, req.Op()), func(t *testing.T) {
			body := encode(req)
			got, err := DecodeRequest(RequestHeader{Xid: 1, Type: req.Op()}, body)
			if err != nil {
				t.Fatalf("DecodeRequest: %v", err)
			}
			if !reflect.DeepEqual(got, req) {
				t.Fatalf("round trip mismatch:\n got %#v\nwant %#v", got, req)
			}
			// The same bytes framed as a whole packet.
			e := NewEncoder(nil)
			hdr := RequestHeader{Xid: 9, Type: req.Op()}
			hdr.Encode(e)
			req.Encode(e)
			gotHdr, got2, err := DecodeRequestPacket(e.Bytes())
			if err != nil || gotHdr != hdr || !reflect.DeepEqual(got2, req) {
				t.Fatalf("DecodeRequestPacket = %v, %#v, %v", gotHdr, got2, err)
			}
		})
	}
}

func TestRecordRoundTrip(t *testing.T) {
	for _, tc := range sampleRecords() {
		t.Run(tc.name, func(t *testing.T) {
			b := encode(tc.rec)
			got := tc.empty()
			d := NewDecoder(b)
			if err := got.Decode(d); err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if err := d.Finish(); err != nil {
				t.Fatalf("Finish: %v", err)
			}
			if !reflect.DeepEqual(got, tc.rec) {
				t.Fatalf("round trip mismatch:\n got %#v\nwant %#v", got, tc.rec)
			}
		})
	}
}

// Every strict prefix of a valid encoding must fail to decode, never panic.
// The exceptions are the connect records, whose readOnly byte is optional.
func TestTruncatedRequests(t *testing.T) {
	for i, req := range sampleRequests() {
		body := encode(req)
		for n := 0; n < len(body); n++ {
			_, err := DecodeRequest(RequestHeader{Type: req.Op()}, body[:n])
			if err == nil {
				t.Fatalf("%d %v: prefix %d/%d decoded without error", i, req.Op(), n, len(body))
			}
			if !errors.Is(err, ErrShort) && !errors.Is(err, ErrMalformed) {
				t.Fatalf("%d %v: prefix %d: error %v wraps neither ErrShort nor ErrMalformed", i, req.Op(), n, err)
			}
		}
		if _, err := DecodeRequest(RequestHeader{Type: req.Op()}, append(body, 0)); !errors.Is(err, ErrMalformed) {
			t.Fatalf("%d %v: trailing byte: err = %v, want ErrMalformed", i, req.Op(), err)
		}
	}
}

func TestTruncatedRecords(t *testing.T) {
	for _, tc := range sampleRecords() {
		b := encode(tc.rec)
		for n := 0; n < len(b); n++ {
			optional := n == len(b)-1 && (tc.name == "ConnectRequest" || tc.name == "ConnectResponse")
			err := tc.empty().Decode(NewDecoder(b[:n]))
			if optional {
				if err != nil {
					t.Fatalf("%s without readOnly: %v", tc.name, err)
				}
				continue
			}
			if err == nil {
				t.Fatalf("%s: prefix %d/%d decoded without error", tc.name, n, len(b))
			}
		}
	}
}

func TestConnectRequestWithoutReadOnly(t *testing.T) {
	full := ConnectRequest{TimeOut: 10000, Passwd: make([]byte, 16), ReadOnly: true}
	b := encode(&full)
	got, err := DecodeConnectRequest(b[:len(b)-1])
	if err != nil {
		t.Fatal(err)
	}
	want := full
	want.ReadOnly = false
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v, want %#v", got, want)
	}
	if _, err := DecodeConnectRequest(append(b, 0)); !errors.Is(err, ErrMalformed) {
		t.Fatalf("trailing byte after readOnly: err = %v, want ErrMalformed", err)
	}
}

func TestDecodeRequestRejects(t *testing.T) {
	multiWith := func(op Op, body Record) []byte {
		e := NewEncoder(nil)
		h := MultiHeader{Type: op, Err: -1}
		h.Encode(e)
		body.Encode(e)
		end := multiEnd
		end.Encode(e)
		return e.Bytes()
	}
	tests := []struct {
		name string
		op   Op
		body []byte
		want error
	}{
		{"notification", OpNotification, nil, ErrUnknownOp},
		{"createSession", OpCreateSession, encode(&ConnectRequest{}), ErrUnknownOp},
		{"deleteContainer", OpDeleteContainer, []byte("/c"), ErrUnknownOp},
		{"error", OpError, nil, ErrUnknownOp},
		{"gap 10", 10, nil, ErrUnknownOp},
		{"unknown 999", 999, nil, ErrUnknownOp},
		{"ping with body", OpPing, []byte{0}, ErrMalformed},
		{"negative string length", OpSync, []byte{0xff, 0xff, 0xff, 0xfe}, ErrMalformed},
		{"huge string length", OpSync, []byte{0x7f, 0xff, 0xff, 0xff, 'a'}, ErrShort},
		{"multi with getData", OpMulti, multiWith(OpGetData, &GetDataRequest{Path: "/a"}), ErrMalformed},
		{"multi with exists", OpMulti, multiWith(OpExists, &ExistsRequest{Path: "/a"}), ErrMalformed},
		{"multi with unknown op", OpMulti, multiWith(99, &SyncRequest{Path: "/a"}), ErrMalformed},
		{"multiRead with getChildren2", OpMultiRead, multiWith(OpGetChildren2, &GetChildren2Request{Path: "/a"}), ErrMalformed},
		{"multiRead with create", OpMultiRead, multiWith(OpCreate, &CreateRequest{Path: "/a"}), ErrMalformed},
		{"multi without end", OpMulti, multiWith(OpDelete, &DeleteRequest{Path: "/a"})[:9+7], ErrShort},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := DecodeRequest(RequestHeader{Type: tc.op}, tc.body)
			if !errors.Is(err, tc.want) {
				t.Fatalf("DecodeRequest = %#v, %v; want error wrapping %v", req, err, tc.want)
			}
		})
	}
}

func TestMultiResponseRejectsUnknownResult(t *testing.T) {
	e := NewEncoder(nil)
	h := MultiHeader{Type: OpExists}
	h.Encode(e)
	sampleStat.Encode(e)
	end := multiEnd
	end.Encode(e)
	var r MultiResponse
	if err := r.Decode(NewDecoder(e.Bytes())); !errors.Is(err, ErrMalformed) {
		t.Fatalf("err = %v, want ErrMalformed", err)
	}
}

func TestErrMessages(t *testing.T) {
	tests := []struct {
		err  Err
		want string
	}{
		{ErrNoNode, "KeeperErrorCode = NoNode"},
		{ErrNodeExists, "KeeperErrorCode = NodeExists"},
		{ErrNotEmpty, "KeeperErrorCode = Directory not empty"},
		{ErrSessionExpired, "KeeperErrorCode = Session expired"},
		{Err(-999), "KeeperErrorCode = Unknown error -999"},
	}
	for _, tc := range tests {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Err(%d).Error() = %q, want %q", int32(tc.err), got, tc.want)
		}
	}
	var err error = fmt.Errorf("create /a: %w", ErrNoNode)
	var code Err
	if !errors.As(err, &code) || code != ErrNoNode || !errors.Is(err, ErrNoNode) {
		t.Fatalf("errors.As/Is failed on %v", err)
	}
	if Err(-999).Known() || !ErrThrottledOp.Known() {
		t.Fatal("Known is wrong")
	}
}

func TestOpString(t *testing.T) {
	if s := OpGetChildren2.String(); s != "getChildren2" {
		t.Fatalf("got %q", s)
	}
	if s := Op(55).String(); s != "op(55)" {
		t.Fatalf("got %q", s)
	}
}
