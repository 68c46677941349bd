package zkproto

import (
	"bufio"
	"errors"
	"net"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
)

type quietLogger struct{}

func (quietLogger) Printf(string, ...any) {}

// TestGoZookeeperClient runs go-zookeeper/zk, a client nobody on this
// project wrote, against a scripted server built only from this package,
// and checks both what the server decoded and what the client understood.
func TestGoZookeeperClient(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })

	var mu sync.Mutex
	var seen []Request
	done := make(chan error, 1)
	go func() { done <- serveScripted(ln, func(r Request) { mu.Lock(); seen = append(seen, r); mu.Unlock() }) }()

	conn, _, err := zk.Connect([]string{ln.Addr().String()}, 10*time.Second, zk.WithLogger(quietLogger{}))
	if err != nil {
		t.Fatal(err)
	}
	path, err := conn.Create("/a", []byte("hi"), zk.FlagEphemeral, zk.WorldACL(zk.PermAll))
	if err != nil || path != "/a" {
		t.Fatalf("Create = %q, %v", path, err)
	}
	data, stat, err := conn.Get("/a")
	if err != nil || string(data) != "hi" || *stat != zk.Stat(sampleStat) {
		t.Fatalf("Get = %q, %+v, %v", data, stat, err)
	}
	if ok, _, err := conn.Exists("/missing"); ok || err != nil {
		t.Fatalf("Exists(/missing) = %v, %v", ok, err)
	}
	res, err := conn.Multi(
		&zk.CreateRequest{Path: "/m", Data: []byte{}, Acl: zk.WorldACL(zk.PermRead)},
		&zk.SetDataRequest{Path: "/m", Data: []byte("x"), Version: -1},
		&zk.CheckVersionRequest{Path: "/m", Version: 1},
	)
	if err != nil || len(res) != 3 || res[0].String != "/m" || *res[1].Stat != zk.Stat(sampleStat) {
		t.Fatalf("Multi = %+v, %v", res, err)
	}
	conn.Close()
	if err := <-done; err != nil {
		t.Fatalf("server: %v", err)
	}

	mu.Lock()
	defer mu.Unlock()
	want := []Request{
		&CreateRequest{Path: "/a", Data: []byte("hi"), Flags: ModeEphemeral,
			ACL: []ACL{{Perms: PermAll, ID: ID{Scheme: "world", ID: "anyone"}}}},
		&GetDataRequest{Path: "/a"},
		&ExistsRequest{Path: "/missing"},
		&MultiRequest{Ops: []MultiOp{
			&CreateRequest{Path: "/m", Data: []byte{}, ACL: []ACL{{Perms: PermRead, ID: ID{Scheme: "world", ID: "anyone"}}}},
			&SetDataRequest{Path: "/m", Data: []byte("x"), Version: -1},
			&CheckVersionRequest{Path: "/m", Version: 1},
		}},
		&CloseSessionRequest{},
	}
	var got []Request
	for _, r := range seen {
		if _, ping := r.(*PingRequest); !ping {
			got = append(got, r)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("server decoded\n%#v\nwant\n%#v", got, want)
	}
}

// serveScripted serves one client connection with canned answers until the
// client closes its session.
func serveScripted(ln net.Listener, record func(Request)) error {
	c, err := ln.Accept()
	if err != nil {
		return err
	}
	defer c.Close()
	r := bufio.NewReader(c)
	pkt, err := ReadPacket(r, nil, 0)
	if err != nil {
		return err
	}
	creq, err := DecodeConnectRequest(pkt)
	if err != nil {
		return err
	}
	var e Encoder
	at := e.BeginPacket()
	resp := ConnectResponse{TimeOut: creq.TimeOut, SessionID: 0x1234, Passwd: make([]byte, 16)}
	resp.Encode(&e)
	e.EndPacket(at)
	if _, err := c.Write(e.Bytes()); err != nil {
		return err
	}
	var buf []byte
	for zxid := int64(1); ; zxid++ {
		buf, err = ReadPacket(r, buf, 0)
		if err != nil {
			return err
		}
		hdr, req, err := DecodeRequestPacket(buf)
		if err != nil {
			return err
		}
		record(req)
		e.Reset(e.Bytes()[:0])
		at := e.BeginPacket()
		reply := ReplyHeader{Xid: hdr.Xid, Zxid: zxid}
		var body Record
		switch req := req.(type) {
		case *CreateRequest:
			body = &CreateResponse{Path: req.Path}
		case *GetDataRequest:
			body = &GetDataResponse{Data: []byte("hi"), Stat: sampleStat}
		case *ExistsRequest:
			reply.Err = ErrNoNode
		case *MultiRequest:
			body = &MultiResponse{Results: []MultiResult{
				{Type: OpCreate, Path: "/m"}, {Type: OpSetData, Stat: sampleStat}, {Type: OpCheck},
			}}
		case *PingRequest, *CloseSessionRequest:
		default:
			return errors.New("unexpected request " + req.Op().String())
		}
		reply.Encode(&e)
		if body != nil {
			body.Encode(&e)
		}
		e.EndPacket(at)
		if _, err := c.Write(e.Bytes()); err != nil {
			return err
		}
		if _, closing := req.(*CloseSessionRequest); closing {
			return nil
		}
	}
}
