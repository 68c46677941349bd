package zkproto

// Request and response bodies of individual operations. Each request type
// reports its op code through Op, so DecodeRequest's result can be
// dispatched with a type switch. Op codes that share a layout (create,
// create2, createContainer; checkWatches, removeWatches) get distinct types
// that embed the shared one.

// CreateRequest is the body of create; Create2Request and
// CreateContainerRequest share its layout.
type CreateRequest struct {
	Path  string
	Data  []byte
	ACL   []ACL
	Flags CreateMode
}

func (*CreateRequest) Op() Op { return OpCreate }

func (r *CreateRequest) Encode(e *Encoder) {
	e.WriteString(r.Path)
	e.WriteBuffer(r.Data)
	writeACLs(e, r.ACL)
	e.WriteInt32(int32(r.Flags))
}

func (r *CreateRequest) Decode(d *Decoder) error {
	r.Path = d.ReadString()
	r.Data = d.ReadBuffer()
	r.ACL = readACLs(d)
	r.Flags = CreateMode(d.ReadInt32())
	return d.Err()
}

// Create2Request is create2: a create whose reply also carries the Stat.
type Create2Request struct{ CreateRequest }

func (*Create2Request) Op() Op { return OpCreate2 }

// CreateContainerRequest is createContainer; Flags is ModeContainer.
type CreateContainerRequest struct{ CreateRequest }

func (*CreateContainerRequest) Op() Op { return OpCreateContainer }

// CreateTTLRequest is createTTL: a create with a TTL in milliseconds.
type CreateTTLRequest struct {
	Path  string
	Data  []byte
	ACL   []ACL
	Flags CreateMode
	TTL   int64
}

func (*CreateTTLRequest) Op() Op { return OpCreateTTL }

func (r *CreateTTLRequest) Encode(e *Encoder) {
	e.WriteString(r.Path)
	e.WriteBuffer(r.Data)
	writeACLs(e, r.ACL)
	e.WriteInt32(int32(r.Flags))
	e.WriteInt64(r.TTL)
}

func (r *CreateTTLRequest) Decode(d *Decoder) error {
	r.Path = d.ReadString()
	r.Data = d.ReadBuffer()
	r.ACL = readACLs(d)
	r.Flags = CreateMode(d.ReadInt32())
	r.TTL = d.ReadInt64()
	return d.Err()
}

// CreateResponse answers create.
type CreateResponse struct{ Path string }

func (r *CreateResponse) Encode(e *Encoder) { e.WriteString(r.Path) }

func (r *CreateResponse) Decode(d *Decoder) error {
	r.Path = d.ReadString()
	return d.Err()
}

// Create2Response answers create2, createContainer and createTTL.
type Create2Response struct {
	Path string
	Stat Stat
}

func (r *Create2Response) Encode(e *Encoder) {
	e.WriteString(r.Path)
	r.Stat.Encode(e)
}

func (r *Create2Response) Decode(d *Decoder) error {
	r.Path = d.ReadString()
	return r.Stat.Decode(d)
}

// DeleteRequest is delete; Version -1 matches any version.
type DeleteRequest struct {
	Path    string
	Version int32
}

func (*DeleteRequest) Op() Op { return OpDelete }

func (r *DeleteRequest) Encode(e *Encoder) {
	e.WriteString(r.Path)
	e.WriteInt32(r.Version)
}

func (r *DeleteRequest) Decode(d *Decoder) error {
	r.Path = d.ReadString()
	r.Version = d.ReadInt32()
	return d.Err()
}

// CheckVersionRequest is check (only valid inside a multi).
type CheckVersionRequest struct {
	Path    string
	Version int32
}

func (*CheckVersionRequest) Op() Op { return OpCheck }

func (r *CheckVersionRequest) Encode(e *Encoder) {
	e.WriteString(r.Path)
	e.WriteInt32(r.Version)
}

func (r *CheckVersionRequest) Decode(d *Decoder) error {
	r.Path = d.ReadString()
	r.Version = d.ReadInt32()
	return d.Err()
}

// ExistsRequest is exists.
type ExistsRequest struct {
	Path  string
	Watch bool
}

func (*ExistsRequest) Op() Op { return OpExists }

func (r *ExistsRequest) Encode(e *Encoder) {
	e.WriteString(r.Path)
	e.WriteBool(r.Watch)
}

func (r *ExistsRequest) Decode(d *Decoder) error {
	r.Path = d.ReadString()
	r.Watch = d.ReadBool()
	return d.Err()
}

// ExistsResponse answers exists for a node that exists.
type ExistsResponse struct{ Stat Stat }

func (r *ExistsResponse) Encode(e *Encoder)       { r.Stat.Encode(e) }
func (r *ExistsResponse) Decode(d *Decoder) error { return r.Stat.Decode(d) }

// GetDataRequest is getData.
type GetDataRequest struct {
	Path  string
	Watch bool
}

func (*GetDataRequest) Op() Op { return OpGetData }

func (r *GetDataRequest) Encode(e *Encoder) {
	e.WriteString(r.Path)
	e.WriteBool(r.Watch)
}

func (r *GetDataRequest) Decode(d *Decoder) error {
	r.Path = d.ReadString()
	r.Watch = d.ReadBool()
	return d.Err()
}

// GetDataResponse answers getData and reconfig.
type GetDataResponse struct {
	Data []byte
	Stat Stat
}

func (r *GetDataResponse) Encode(e *Encoder) {
	e.WriteBuffer(r.Data)
	r.Stat.Encode(e)
}

func (r *GetDataResponse) Decode(d *Decoder) error {
	r.Data = d.ReadBuffer()
	return r.Stat.Decode(d)
}

// SetDataRequest is setData; Version -1 matches any version.
type SetDataRequest struct {
	Path    string
	Data    []byte
	Version int32
}

func (*SetDataRequest) Op() Op { return OpSetData }

func (r *SetDataRequest) Encode(e *Encoder) {
	e.WriteString(r.Path)
	e.WriteBuffer(r.Data)
	e.WriteInt32(r.Version)
}

func (r *SetDataRequest) Decode(d *Decoder) error {
	r.Path = d.ReadString()
	r.Data = d.ReadBuffer()
	r.Version = d.ReadInt32()
	return d.Err()
}

// SetDataResponse answers setData.
type SetDataResponse struct{ Stat Stat }

func (r *SetDataResponse) Encode(e *Encoder)       { r.Stat.Encode(e) }
func (r *SetDataResponse) Decode(d *Decoder) error { return r.Stat.Decode(d) }

// GetACLRequest is getACL.
type GetACLRequest struct{ Path string }

func (*GetACLRequest) Op() Op { return OpGetACL }

func (r *GetACLRequest) Encode(e *Encoder) { e.WriteString(r.Path) }

func (r *GetACLRequest) Decode(d *Decoder) error {
	r.Path = d.ReadString()
	return d.Err()
}

// GetACLResponse answers getACL.
type GetACLResponse struct {
	ACL  []ACL
	Stat Stat
}

func (r *GetACLResponse) Encode(e *Encoder) {
	writeACLs(e, r.ACL)
	r.Stat.Encode(e)
}

func (r *GetACLResponse) Decode(d *Decoder) error {
	r.ACL = readACLs(d)
	return r.Stat.Decode(d)
}

// SetACLRequest is setACL; Version is the expected ACL version (aversion).
type SetACLRequest struct {
	Path    string
	ACL     []ACL
	Version int32
}

func (*SetACLRequest) Op() Op { return OpSetACL }

func (r *SetACLRequest) Encode(e *Encoder) {
	e.WriteString(r.Path)
	writeACLs(e, r.ACL)
	e.WriteInt32(r.Version)
}

func (r *SetACLRequest) Decode(d *Decoder) error {
	r.Path = d.ReadString()
	r.ACL = readACLs(d)
	r.Version = d.ReadInt32()
	return d.Err()
}

// SetACLResponse answers setACL.
type SetACLResponse struct{ Stat Stat }

func (r *SetACLResponse) Encode(e *Encoder)       { r.Stat.Encode(e) }
func (r *SetACLResponse) Decode(d *Decoder) error { return r.Stat.Decode(d) }

// GetChildrenRequest is getChildren.
type GetChildrenRequest struct {
	Path  string
	Watch bool
}

func (*GetChildrenRequest) Op() Op { return OpGetChildren }

func (r *GetChildrenRequest) Encode(e *Encoder) {
	e.WriteString(r.Path)
	e.WriteBool(r.Watch)
}

func (r *GetChildrenRequest) Decode(d *Decoder) error {
	r.Path = d.ReadString()
	r.Watch = d.ReadBool()
	return d.Err()
}

// GetChildren2Request is getChildren2. It has GetChildrenRequest's layout
// but is a separate type because it is not allowed inside a multiRead.
type GetChildren2Request struct {
	Path  string
	Watch bool
}

func (*GetChildren2Request) Op() Op { return OpGetChildren2 }

func (r *GetChildren2Request) Encode(e *Encoder) {
	e.WriteString(r.Path)
	e.WriteBool(r.Watch)
}

func (r *GetChildren2Request) Decode(d *Decoder) error {
	r.Path = d.ReadString()
	r.Watch = d.ReadBool()
	return d.Err()
}

// GetChildrenResponse answers getChildren.
type GetChildrenResponse struct{ Children []string }

func (r *GetChildrenResponse) Encode(e *Encoder) { e.WriteStrings(r.Children) }

func (r *GetChildrenResponse) Decode(d *Decoder) error {
	r.Children = d.ReadStrings()
	return d.Err()
}

// GetChildren2Response answers getChildren2.
type GetChildren2Response struct {
	Children []string
	Stat     Stat
}

func (r *GetChildren2Response) Encode(e *Encoder) {
	e.WriteStrings(r.Children)
	r.Stat.Encode(e)
}

func (r *GetChildren2Response) Decode(d *Decoder) error {
	r.Children = d.ReadStrings()
	return r.Stat.Decode(d)
}

// SyncRequest is sync.
type SyncRequest struct{ Path string }

func (*SyncRequest) Op() Op { return OpSync }

func (r *SyncRequest) Encode(e *Encoder) { e.WriteString(r.Path) }

func (r *SyncRequest) Decode(d *Decoder) error {
	r.Path = d.ReadString()
	return d.Err()
}

// SyncResponse answers sync.
type SyncResponse struct{ Path string }

func (r *SyncResponse) Encode(e *Encoder) { e.WriteString(r.Path) }

func (r *SyncResponse) Decode(d *Decoder) error {
	r.Path = d.ReadString()
	return d.Err()
}

// ReconfigRequest is reconfig; its reply is a GetDataResponse holding the
// new configuration.
type ReconfigRequest struct {
	JoiningServers string
	LeavingServers string
	NewMembers     string
	CurConfigID    int64
}

func (*ReconfigRequest) Op() Op { return OpReconfig }

func (r *ReconfigRequest) Encode(e *Encoder) {
	e.WriteString(r.JoiningServers)
	e.WriteString(r.LeavingServers)
	e.WriteString(r.NewMembers)
	e.WriteInt64(r.CurConfigID)
}

func (r *ReconfigRequest) Decode(d *Decoder) error {
	r.JoiningServers = d.ReadString()
	r.LeavingServers = d.ReadString()
	r.NewMembers = d.ReadString()
	r.CurConfigID = d.ReadInt64()
	return d.Err()
}

// RemoveWatchesRequest is removeWatches; CheckWatchesRequest shares it.
type RemoveWatchesRequest struct {
	Path string
	Type WatcherType
}

func (*RemoveWatchesRequest) Op() Op { return OpRemoveWatches }

func (r *RemoveWatchesRequest) Encode(e *Encoder) {
	e.WriteString(r.Path)
	e.WriteInt32(int32(r.Type))
}

func (r *RemoveWatchesRequest) Decode(d *Decoder) error {
	r.Path = d.ReadString()
	r.Type = WatcherType(d.ReadInt32())
	return d.Err()
}

// CheckWatchesRequest is checkWatches.
type CheckWatchesRequest struct{ RemoveWatchesRequest }

func (*CheckWatchesRequest) Op() Op { return OpCheckWatches }

// AddWatchRequest is addWatch.
type AddWatchRequest struct {
	Path string
	Mode AddWatchMode
}

func (*AddWatchRequest) Op() Op { return OpAddWatch }

func (r *AddWatchRequest) Encode(e *Encoder) {
	e.WriteString(r.Path)
	e.WriteInt32(int32(r.Mode))
}

func (r *AddWatchRequest) Decode(d *Decoder) error {
	r.Path = d.ReadString()
	r.Mode = AddWatchMode(d.ReadInt32())
	return d.Err()
}

// SetWatches re-registers watches after a reconnect (xid XidSetWatches).
type SetWatches struct {
	RelativeZxid int64
	DataWatches  []string
	ExistWatches []string
	ChildWatches []string
}

func (*SetWatches) Op() Op { return OpSetWatches }

func (r *SetWatches) Encode(e *Encoder) {
	e.WriteInt64(r.RelativeZxid)
	e.WriteStrings(r.DataWatches)
	e.WriteStrings(r.ExistWatches)
	e.WriteStrings(r.ChildWatches)
}

func (r *SetWatches) Decode(d *Decoder) error {
	r.RelativeZxid = d.ReadInt64()
	r.DataWatches = d.ReadStrings()
	r.ExistWatches = d.ReadStrings()
	r.ChildWatches = d.ReadStrings()
	return d.Err()
}

// SetWatches2 is SetWatches plus persistent watches (3.6+).
type SetWatches2 struct {
	RelativeZxid               int64
	DataWatches                []string
	ExistWatches               []string
	ChildWatches               []string
	PersistentWatches          []string
	PersistentRecursiveWatches []string
}

func (*SetWatches2) Op() Op { return OpSetWatches2 }

func (r *SetWatches2) Encode(e *Encoder) {
	e.WriteInt64(r.RelativeZxid)
	e.WriteStrings(r.DataWatches)
	e.WriteStrings(r.ExistWatches)
	e.WriteStrings(r.ChildWatches)
	e.WriteStrings(r.PersistentWatches)
	e.WriteStrings(r.PersistentRecursiveWatches)
}

func (r *SetWatches2) Decode(d *Decoder) error {
	r.RelativeZxid = d.ReadInt64()
	r.DataWatches = d.ReadStrings()
	r.ExistWatches = d.ReadStrings()
	r.ChildWatches = d.ReadStrings()
	r.PersistentWatches = d.ReadStrings()
	r.PersistentRecursiveWatches = d.ReadStrings()
	return d.Err()
}

// AuthPacket is auth (xid XidAuth), as sent by addauth. Type is unused by
// servers and sent as 0.
type AuthPacket struct {
	Type   int32
	Scheme string
	Auth   []byte
}

func (*AuthPacket) Op() Op { return OpAuth }

func (r *AuthPacket) Encode(e *Encoder) {
	e.WriteInt32(r.Type)
	e.WriteString(r.Scheme)
	e.WriteBuffer(r.Auth)
}

func (r *AuthPacket) Decode(d *Decoder) error {
	r.Type = d.ReadInt32()
	r.Scheme = d.ReadString()
	r.Auth = d.ReadBuffer()
	return d.Err()
}

// SASLRequest is sasl: one SASL token from the client.
type SASLRequest struct{ Token []byte }

func (*SASLRequest) Op() Op { return OpSASL }

func (r *SASLRequest) Encode(e *Encoder) { e.WriteBuffer(r.Token) }

func (r *SASLRequest) Decode(d *Decoder) error {
	r.Token = d.ReadBuffer()
	return d.Err()
}

// SASLResponse answers sasl with the server's token.
type SASLResponse struct{ Token []byte }

func (r *SASLResponse) Encode(e *Encoder) { e.WriteBuffer(r.Token) }

func (r *SASLResponse) Decode(d *Decoder) error {
	r.Token = d.ReadBuffer()
	return d.Err()
}

// GetEphemeralsRequest is getEphemerals.
type GetEphemeralsRequest struct{ PrefixPath string }

func (*GetEphemeralsRequest) Op() Op { return OpGetEphemerals }

func (r *GetEphemeralsRequest) Encode(e *Encoder) { e.WriteString(r.PrefixPath) }

func (r *GetEphemeralsRequest) Decode(d *Decoder) error {
	r.PrefixPath = d.ReadString()
	return d.Err()
}

// GetEphemeralsResponse answers getEphemerals.
type GetEphemeralsResponse struct{ Ephemerals []string }

func (r *GetEphemeralsResponse) Encode(e *Encoder) { e.WriteStrings(r.Ephemerals) }

func (r *GetEphemeralsResponse) Decode(d *Decoder) error {
	r.Ephemerals = d.ReadStrings()
	return d.Err()
}

// GetAllChildrenNumberRequest is getAllChildrenNumber.
type GetAllChildrenNumberRequest struct{ Path string }

func (*GetAllChildrenNumberRequest) Op() Op { return OpGetAllChildrenNumber }

func (r *GetAllChildrenNumberRequest) Encode(e *Encoder) { e.WriteString(r.Path) }

func (r *GetAllChildrenNumberRequest) Decode(d *Decoder) error {
	r.Path = d.ReadString()
	return d.Err()
}

// GetAllChildrenNumberResponse answers getAllChildrenNumber.
type GetAllChildrenNumberResponse struct{ TotalNumber int32 }

func (r *GetAllChildrenNumberResponse) Encode(e *Encoder) { e.WriteInt32(r.TotalNumber) }

func (r *GetAllChildrenNumberResponse) Decode(d *Decoder) error {
	r.TotalNumber = d.ReadInt32()
	return d.Err()
}

// WhoAmIResponse answers whoAmI.
type WhoAmIResponse struct{ ClientInfo []ClientInfo }

func (r *WhoAmIResponse) Encode(e *Encoder) {
	if r.ClientInfo == nil {
		e.WriteInt32(-1)
		return
	}
	e.WriteInt32(int32(len(r.ClientInfo)))
	for i := range r.ClientInfo {
		r.ClientInfo[i].Encode(e)
	}
}

func (r *WhoAmIResponse) Decode(d *Decoder) error {
	r.ClientInfo = readVector(d, 8, "vector<ClientInfo>", func(d *Decoder, c *ClientInfo) { c.Decode(d) })
	return d.Err()
}

// Requests without a body.
type (
	PingRequest         struct{} // ping, xid XidPing
	CloseSessionRequest struct{} // closeSession
	WhoAmIRequest       struct{} // whoAmI
)

func (*PingRequest) Op() Op                          { return OpPing }
func (*PingRequest) Encode(*Encoder)                 {}
func (*PingRequest) Decode(d *Decoder) error         { return d.Err() }
func (*CloseSessionRequest) Op() Op                  { return OpCloseSession }
func (*CloseSessionRequest) Encode(*Encoder)         {}
func (*CloseSessionRequest) Decode(d *Decoder) error { return d.Err() }
func (*WhoAmIRequest) Op() Op                        { return OpWhoAmI }
func (*WhoAmIRequest) Encode(*Encoder)               {}
func (*WhoAmIRequest) Decode(d *Decoder) error       { return d.Err() }
