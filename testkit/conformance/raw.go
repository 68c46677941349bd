package conformance

import (
	"fmt"
	"net"
	"time"

	zp "github.com/sluicelogs/sluice/coordinator/zkproto"
)

// rawClient is a session spoken frame by frame with sluice's own codec, for
// the operations go-zookeeper does not have (addWatch, removeWatches,
// checkWatches). Against Apache ZooKeeper it checks that codec too.
type rawClient struct {
	e       *env
	conn    net.Conn
	xid     int32
	session int64
	passwd  []byte
	events  []zp.WatcherEvent // notifications read but not yet taken
}

// rawConnect opens a new session.
func (e *env) rawConnect() *rawClient {
	e.t.Helper()
	return e.rawResume(0, make([]byte, 16))
}

// rawResume connects to session (a new one if 0) with its password.
func (e *env) rawResume(session int64, passwd []byte) *rawClient {
	e.t.Helper()
	conn, err := net.DialTimeout("tcp", e.target.Addrs[0], 5*time.Second)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { conn.Close() })
	r := &rawClient{e: e, conn: conn}
	enc := zp.NewEncoder(nil)
	at := enc.BeginPacket()
	(&zp.ConnectRequest{TimeOut: int32(sessionTimeout.Milliseconds()), SessionID: session, Passwd: passwd}).Encode(enc)
	enc.EndPacket(at)
	r.write(enc.Bytes())
	var resp zp.ConnectResponse
	if err := resp.Decode(zp.NewDecoder(r.read())); err != nil || resp.SessionID == 0 || session != 0 && resp.SessionID != session {
		e.t.Fatalf("raw connect to session %#x: session %#x, %v", session, resp.SessionID, err)
	}
	r.session, r.passwd = resp.SessionID, resp.Passwd
	return r
}

func (r *rawClient) write(b []byte) {
	r.e.t.Helper()
	_ = r.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if _, err := r.conn.Write(b); err != nil {
		r.e.t.Fatalf("raw write: %v", err)
	}
}

func (r *rawClient) read() []byte {
	r.e.t.Helper()
	_ = r.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	b, err := readFrame(r.conn)
	if err != nil {
		r.e.t.Fatalf("raw read: %v", err)
	}
	return b
}

// call sends req and returns its reply's error code and body, keeping the
// notifications that arrive before it.
func (r *rawClient) call(req zp.Request) (zp.Err, []byte) {
	r.e.t.Helper()
	r.xid++
	return r.callXid(r.xid, req)
}

// callXid is call with a given xid (setWatches uses its own).
func (r *rawClient) callXid(xid int32, req zp.Request) (zp.Err, []byte) {
	r.e.t.Helper()
	enc := zp.NewEncoder(nil)
	at := enc.BeginPacket()
	(&zp.RequestHeader{Xid: xid, Type: req.Op()}).Encode(enc)
	req.Encode(enc)
	enc.EndPacket(at)
	r.write(enc.Bytes())
	for {
		hdr, body := r.frame()
		if hdr.Xid == xid {
			return hdr.Err, body
		}
		if hdr.Xid != zp.XidWatchEvent {
			r.e.t.Fatalf("reply to xid %d while waiting for %d", hdr.Xid, xid)
		}
	}
}

// frame reads one frame; a notification is also kept in r.events.
func (r *rawClient) frame() (zp.ReplyHeader, []byte) {
	r.e.t.Helper()
	b := r.read()
	d := zp.NewDecoder(b)
	var hdr zp.ReplyHeader
	if err := hdr.Decode(d); err != nil {
		r.e.t.Fatalf("reply header: %v", err)
	}
	body := b[d.Offset():]
	if hdr.Xid == zp.XidWatchEvent {
		var ev zp.WatcherEvent
		if err := ev.Decode(zp.NewDecoder(body)); err != nil {
			r.e.t.Fatalf("notification: %v", err)
		}
		r.events = append(r.events, ev)
	}
	return hdr, body
}

// expect takes the next notifications and checks they are want, in order.
func (r *rawClient) expect(what string, want ...zp.WatcherEvent) {
	r.e.t.Helper()
	for len(r.events) < len(want) {
		r.frame()
	}
	got := r.events[:len(want)]
	r.events = r.events[len(want):]
	for i := range want {
		if got[i].Type != want[i].Type || got[i].Path != want[i].Path {
			r.e.t.Fatalf("%s: notifications %s, want %s", what, evs(got), evs(want))
		}
	}
}

func evs(list []zp.WatcherEvent) string {
	s := ""
	for _, e := range list {
		s += fmt.Sprintf(" %v %s", e.Type, e.Path)
	}
	return s
}
