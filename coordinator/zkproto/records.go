package zkproto

// Record is a jute record: a fixed sequence of fields encoded back to back
// with no tags or record-level framing.
type Record interface {
	Encode(e *Encoder)
	Decode(d *Decoder) error
}

// ConnectRequest opens or resumes a session. It is the first packet a client
// sends and, unlike every later request, has no RequestHeader.
type ConnectRequest struct {
	ProtocolVersion int32
	LastZxidSeen    int64
	TimeOut         int32 // requested session timeout, milliseconds
	SessionID       int64 // 0 for a new session
	Passwd          []byte
	// ReadOnly is a trailing field outside the jute record that 3.4+
	// clients append; clients that omit it (go-zookeeper among them)
	// decode as false. Encode always writes it.
	ReadOnly bool
}

func (r *ConnectRequest) Encode(e *Encoder) {
	e.WriteInt32(r.ProtocolVersion)
	e.WriteInt64(r.LastZxidSeen)
	e.WriteInt32(r.TimeOut)
	e.WriteInt64(r.SessionID)
	e.WriteBuffer(r.Passwd)
	e.WriteBool(r.ReadOnly)
}

func (r *ConnectRequest) Decode(d *Decoder) error {
	r.ProtocolVersion = d.ReadInt32()
	r.LastZxidSeen = d.ReadInt64()
	r.TimeOut = d.ReadInt32()
	r.SessionID = d.ReadInt64()
	r.Passwd = d.ReadBuffer()
	r.ReadOnly = false
	if d.Err() == nil && d.Remaining() > 0 {
		r.ReadOnly = d.ReadBool()
	}
	return d.Err()
}

// DecodeConnectRequest decodes the body of a client's first packet,
// tolerating a missing readOnly flag but no other trailing bytes.
func DecodeConnectRequest(body []byte) (ConnectRequest, error) {
	var r ConnectRequest
	d := Decoder{buf: body}
	r.Decode(&d)
	if err := d.Finish(); err != nil {
		return ConnectRequest{}, wrapDecode("connect request", err)
	}
	return r, nil
}

// ConnectResponse answers a ConnectRequest, again without a header.
type ConnectResponse struct {
	ProtocolVersion int32
	TimeOut         int32 // negotiated session timeout, milliseconds
	SessionID       int64
	Passwd          []byte
	// ReadOnly trails the jute record like ConnectRequest.ReadOnly.
	// Encode always writes it; Decode tolerates its absence.
	ReadOnly bool
}

func (r *ConnectResponse) Encode(e *Encoder) {
	e.WriteInt32(r.ProtocolVersion)
	e.WriteInt32(r.TimeOut)
	e.WriteInt64(r.SessionID)
	e.WriteBuffer(r.Passwd)
	e.WriteBool(r.ReadOnly)
}

func (r *ConnectResponse) Decode(d *Decoder) error {
	r.ProtocolVersion = d.ReadInt32()
	r.TimeOut = d.ReadInt32()
	r.SessionID = d.ReadInt64()
	r.Passwd = d.ReadBuffer()
	r.ReadOnly = false
	if d.Err() == nil && d.Remaining() > 0 {
		r.ReadOnly = d.ReadBool()
	}
	return d.Err()
}

// RequestHeader starts every request after the ConnectRequest.
type RequestHeader struct {
	Xid  int32
	Type Op
}

func (r *RequestHeader) Encode(e *Encoder) {
	e.WriteInt32(r.Xid)
	e.WriteInt32(int32(r.Type))
}

func (r *RequestHeader) Decode(d *Decoder) error {
	r.Xid = d.ReadInt32()
	r.Type = Op(d.ReadInt32())
	return d.Err()
}

// ReplyHeader starts every reply and notification after the
// ConnectResponse. When Err is not ErrOK no response body follows.
type ReplyHeader struct {
	Xid  int32
	Zxid int64
	Err  Err
}

func (r *ReplyHeader) Encode(e *Encoder) {
	e.WriteInt32(r.Xid)
	e.WriteInt64(r.Zxid)
	e.WriteInt32(int32(r.Err))
}

func (r *ReplyHeader) Decode(d *Decoder) error {
	r.Xid = d.ReadInt32()
	r.Zxid = d.ReadInt64()
	r.Err = Err(d.ReadInt32())
	return d.Err()
}

// Stat is a znode's metadata, in zookeeper.jute field order.
type Stat struct {
	Czxid          int64 // zxid of the create
	Mzxid          int64 // zxid of the last data change
	Ctime          int64 // create time, ms since epoch
	Mtime          int64 // last data change time, ms since epoch
	Version        int32 // data version
	Cversion       int32 // children version
	Aversion       int32 // ACL version
	EphemeralOwner int64 // owning session for ephemerals, else 0
	DataLength     int32
	NumChildren    int32
	Pzxid          int64 // zxid of the last children change
}

// StatSize is the encoded size of a Stat.
const StatSize = 68

func (s *Stat) Encode(e *Encoder) {
	e.WriteInt64(s.Czxid)
	e.WriteInt64(s.Mzxid)
	e.WriteInt64(s.Ctime)
	e.WriteInt64(s.Mtime)
	e.WriteInt32(s.Version)
	e.WriteInt32(s.Cversion)
	e.WriteInt32(s.Aversion)
	e.WriteInt64(s.EphemeralOwner)
	e.WriteInt32(s.DataLength)
	e.WriteInt32(s.NumChildren)
	e.WriteInt64(s.Pzxid)
}

func (s *Stat) Decode(d *Decoder) error {
	s.Czxid = d.ReadInt64()
	s.Mzxid = d.ReadInt64()
	s.Ctime = d.ReadInt64()
	s.Mtime = d.ReadInt64()
	s.Version = d.ReadInt32()
	s.Cversion = d.ReadInt32()
	s.Aversion = d.ReadInt32()
	s.EphemeralOwner = d.ReadInt64()
	s.DataLength = d.ReadInt32()
	s.NumChildren = d.ReadInt32()
	s.Pzxid = d.ReadInt64()
	return d.Err()
}

// ID names an identity within an auth scheme, such as world:anyone.
type ID struct {
	Scheme string
	ID     string
}

func (r *ID) Encode(e *Encoder) {
	e.WriteString(r.Scheme)
	e.WriteString(r.ID)
}

func (r *ID) Decode(d *Decoder) error {
	r.Scheme = d.ReadString()
	r.ID = d.ReadString()
	return d.Err()
}

// ACL grants Perms to ID.
type ACL struct {
	Perms Perm
	ID    ID
}

func (r *ACL) Encode(e *Encoder) {
	e.WriteInt32(int32(r.Perms))
	r.ID.Encode(e)
}

func (r *ACL) Decode(d *Decoder) error {
	r.Perms = Perm(d.ReadInt32())
	return r.ID.Decode(d)
}

// writeACLs writes a vector<ACL>; nil is written as count -1.
func writeACLs(e *Encoder, acl []ACL) {
	if acl == nil {
		e.WriteInt32(-1)
		return
	}
	e.WriteInt32(int32(len(acl)))
	for i := range acl {
		acl[i].Encode(e)
	}
}

// readACLs reads a vector<ACL>; each element takes at least 12 bytes.
func readACLs(d *Decoder) []ACL {
	return readVector(d, 12, "vector<ACL>", func(d *Decoder, a *ACL) { a.Decode(d) })
}

// WatcherEvent is the body of a notification (xid XidWatchEvent).
type WatcherEvent struct {
	Type  EventType
	State State
	Path  string
}

func (r *WatcherEvent) Encode(e *Encoder) {
	e.WriteInt32(int32(r.Type))
	e.WriteInt32(int32(r.State))
	e.WriteString(r.Path)
}

func (r *WatcherEvent) Decode(d *Decoder) error {
	r.Type = EventType(d.ReadInt32())
	r.State = State(d.ReadInt32())
	r.Path = d.ReadString()
	return d.Err()
}

// ErrorResponse carries an error code inside a multi response.
type ErrorResponse struct {
	Err Err
}

func (r *ErrorResponse) Encode(e *Encoder) { e.WriteInt32(int32(r.Err)) }

func (r *ErrorResponse) Decode(d *Decoder) error {
	r.Err = Err(d.ReadInt32())
	return d.Err()
}

// ClientInfo is one identity in a WhoAmIResponse.
type ClientInfo struct {
	AuthScheme string
	User       string
}

func (r *ClientInfo) Encode(e *Encoder) {
	e.WriteString(r.AuthScheme)
	e.WriteString(r.User)
}

func (r *ClientInfo) Decode(d *Decoder) error {
	r.AuthScheme = d.ReadString()
	r.User = d.ReadString()
	return d.Err()
}
