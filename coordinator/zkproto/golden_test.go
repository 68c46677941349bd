package zkproto

import (
	"bytes"
	"encoding/hex"
	"reflect"
	"strings"
	"testing"
)

// Golden encodings written by hand from zookeeper.jute, so they check the
// codec against the protocol definition rather than against itself.

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	var digits strings.Builder
	for _, line := range strings.Split(s, "\n") {
		line, _, _ = strings.Cut(line, "#") // drop comments
		digits.WriteString(strings.Join(strings.Fields(line), ""))
	}
	b, err := hex.DecodeString(digits.String())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestGolden(t *testing.T) {
	tests := []struct {
		name   string
		packet func(e *Encoder) // encodes the packet's records
		hex    string           // the whole packet, length prefix included; # starts a comment
	}{
		{
			name: "ConnectRequest",
			packet: func(e *Encoder) {
				r := ConnectRequest{TimeOut: 30000, Passwd: make([]byte, 16)}
				r.Encode(e)
			},
			hex: `0000002d
				00000000                         # protocolVersion
				0000000000000000                 # lastZxidSeen
				00007530                         # timeOut 30000
				0000000000000000                 # sessionId
				00000010 00000000000000000000000000000000 # passwd
				00                               # readOnly`,
		},
		{
			name: "ConnectResponse",
			packet: func(e *Encoder) {
				r := ConnectResponse{TimeOut: 4000, SessionID: 0x0102030405060708, Passwd: []byte{0xaa, 0xbb}}
				r.Encode(e)
			},
			hex: `00000017
				00000000 00000fa0 0102030405060708
				00000002 aabb
				00`,
		},
		{
			name: "Create",
			packet: func(e *Encoder) {
				h := RequestHeader{Xid: 1, Type: OpCreate}
				h.Encode(e)
				r := CreateRequest{Path: "/a", Data: []byte("hi"), Flags: ModeEphemeral,
					ACL: []ACL{{Perms: PermAll, ID: ID{Scheme: "world", ID: "anyone"}}}}
				r.Encode(e)
			},
			hex: `00000033
				00000001 00000001                # xid, type create
				00000002 2f61                    # path "/a"
				00000002 6869                    # data "hi"
				00000001                         # one ACL
				0000001f                         # perms all
				00000005 776f726c64              # "world"
				00000006 616e796f6e65            # "anyone"
				00000001                         # flags ephemeral`,
		},
		{
			name: "Stat",
			packet: func(e *Encoder) {
				s := Stat{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}
				s.Encode(e)
			},
			hex: `00000044
				0000000000000001 0000000000000002 # czxid mzxid
				0000000000000003 0000000000000004 # ctime mtime
				00000005 00000006 00000007        # version cversion aversion
				0000000000000008                  # ephemeralOwner
				00000009 0000000a                 # dataLength numChildren
				000000000000000b                  # pzxid`,
		},
		{
			name: "Multi",
			packet: func(e *Encoder) {
				h := RequestHeader{Xid: 2, Type: OpMulti}
				h.Encode(e)
				r := MultiRequest{Ops: []MultiOp{&CheckVersionRequest{Path: "/a", Version: 1}}}
				r.Encode(e)
			},
			hex: `00000024
				00000002 0000000e                # xid, type multi
				0000000d 00 ffffffff             # header: check, not done, -1
				00000002 2f61 00000001           # path, version
				ffffffff 01 ffffffff             # end: -1, done, -1`,
		},
		{
			name: "WatchEvent",
			packet: func(e *Encoder) {
				h := ReplyHeader{Xid: XidWatchEvent, Zxid: -1}
				h.Encode(e)
				w := WatcherEvent{Type: EventNodeDataChanged, State: StateSyncConnected, Path: "/a"}
				w.Encode(e)
			},
			hex: `0000001e
				ffffffff ffffffffffffffff 00000000  # xid -1, zxid -1, ok
				00000003 00000003 00000002 2f61     # dataChanged, syncConnected, "/a"`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := unhex(t, tc.hex)
			e := NewEncoder(nil)
			at := e.BeginPacket()
			tc.packet(e)
			e.EndPacket(at)
			if !bytes.Equal(e.Bytes(), want) {
				t.Fatalf("encoding mismatch\n got %x\nwant %x", e.Bytes(), want)
			}
		})
	}
}

// go-zookeeper v1.0.4 sends the ConnectRequest without the readOnly byte:
// a 44-byte body.
func TestGoldenConnectRequestGoZookeeper(t *testing.T) {
	body := unhex(t, `00000000 0000000000000123 00002710 0000000000000abc
		00000010 0102030405060708090a0b0c0d0e0f10`)
	got, err := DecodeConnectRequest(body)
	if err != nil {
		t.Fatal(err)
	}
	want := ConnectRequest{LastZxidSeen: 0x123, TimeOut: 10000, SessionID: 0xabc,
		Passwd: unhex(t, "0102030405060708090a0b0c0d0e0f10")}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v, want %#v", got, want)
	}
}
