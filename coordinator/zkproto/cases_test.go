package zkproto

// Sample values shared by the round-trip, truncation and fuzz tests.

var sampleStat = Stat{
	Czxid: 0x100000002, Mzxid: 0x100000007, Ctime: 1700000000123, Mtime: 1700000000456,
	Version: 3, Cversion: 2, Aversion: 1, EphemeralOwner: 0x7f00000000000001,
	DataLength: 5, NumChildren: 2, Pzxid: 0x100000009,
}

var sampleACL = []ACL{
	{Perms: PermAll, ID: ID{Scheme: "world", ID: "anyone"}},
	{Perms: PermRead | PermAdmin, ID: ID{Scheme: "digest", ID: "bob:hash="}},
}

// sampleRequests holds at least one value of every request type that
// DecodeRequest returns, with nil and empty variants where they differ.
func sampleRequests() []Request {
	create := CreateRequest{Path: "/brokers/ids/1", Data: []byte("hello"), ACL: sampleACL, Flags: ModeEphemeral}
	return []Request{
		&create,
		&CreateRequest{Path: "/a", Data: nil, ACL: nil, Flags: ModePersistent},
		&CreateRequest{Path: "", Data: []byte{}, ACL: []ACL{}, Flags: ModeEphemeralSequential},
		&Create2Request{create},
		&CreateContainerRequest{CreateRequest{Path: "/c", Data: []byte{1}, ACL: sampleACL[:1], Flags: ModeContainer}},
		&CreateTTLRequest{Path: "/ttl", Data: []byte("x"), ACL: sampleACL, Flags: ModePersistentWithTTL, TTL: 60000},
		&DeleteRequest{Path: "/a", Version: -1},
		&ExistsRequest{Path: "/a", Watch: true},
		&GetDataRequest{Path: "/a/b", Watch: false},
		&SetDataRequest{Path: "/a", Data: []byte("v2"), Version: 7},
		&GetACLRequest{Path: "/a"},
		&SetACLRequest{Path: "/a", ACL: sampleACL, Version: 0},
		&GetChildrenRequest{Path: "/", Watch: true},
		&GetChildren2Request{Path: "/x", Watch: true},
		&SyncRequest{Path: "/a"},
		&PingRequest{},
		&CheckVersionRequest{Path: "/a", Version: 4},
		&MultiRequest{Ops: []MultiOp{
			&CreateRequest{Path: "/m1", Data: []byte("d"), ACL: sampleACL, Flags: ModePersistent},
			&Create2Request{CreateRequest{Path: "/m2", ACL: sampleACL}},
			&CreateContainerRequest{CreateRequest{Path: "/m3", ACL: sampleACL, Flags: ModeContainer}},
			&CreateTTLRequest{Path: "/m4", ACL: sampleACL, Flags: ModePersistentSequentialWithTTL, TTL: 1},
			&DeleteRequest{Path: "/m5", Version: 2},
			&SetDataRequest{Path: "/m6", Data: []byte{}, Version: -1},
			&CheckVersionRequest{Path: "/m7", Version: 9},
		}},
		&MultiRequest{},
		&MultiReadRequest{Ops: []MultiOp{
			&GetChildrenRequest{Path: "/r1", Watch: true},
			&GetDataRequest{Path: "/r2"},
		}},
		&ReconfigRequest{JoiningServers: "server.4=h4:2888:3888;2181", NewMembers: "", CurConfigID: -1},
		&CheckWatchesRequest{RemoveWatchesRequest{Path: "/w", Type: WatcherData}},
		&RemoveWatchesRequest{Path: "/w", Type: WatcherAny},
		&AuthPacket{Type: 0, Scheme: "digest", Auth: []byte("bob:secret")},
		&SetWatches{RelativeZxid: 0x200000001, DataWatches: []string{"/a", "/b"}, ExistWatches: []string{}, ChildWatches: nil},
		&SetWatches2{RelativeZxid: 5, DataWatches: []string{"/a"}, ExistWatches: nil, ChildWatches: []string{"/"},
			PersistentWatches: []string{"/p"}, PersistentRecursiveWatches: []string{"/r", ""}},
		&SASLRequest{Token: []byte{0x60, 0x82}},
		&GetEphemeralsRequest{PrefixPath: "/brokers"},
		&GetAllChildrenNumberRequest{Path: "/"},
		&AddWatchRequest{Path: "/p", Mode: AddWatchPersistentRecursive},
		&WhoAmIRequest{},
		&CloseSessionRequest{},
	}
}

type namedRecord struct {
	name  string
	rec   Record
	empty func() Record
}

// sampleRecords holds records that are not requests: session records,
// headers and responses.
func sampleRecords() []namedRecord {
	return []namedRecord{
		{"ConnectRequest", &ConnectRequest{ProtocolVersion: 0, LastZxidSeen: 0x100000005, TimeOut: 30000,
			SessionID: 0x1000001, Passwd: make([]byte, 16), ReadOnly: true}, func() Record { return &ConnectRequest{} }},
		{"ConnectResponse", &ConnectResponse{TimeOut: 4000, SessionID: 77, Passwd: []byte("0123456789abcdef")},
			func() Record { return &ConnectResponse{} }},
		{"RequestHeader", &RequestHeader{Xid: 12, Type: OpCreate}, func() Record { return &RequestHeader{} }},
		{"ReplyHeader", &ReplyHeader{Xid: -1, Zxid: -1, Err: ErrNoNode}, func() Record { return &ReplyHeader{} }},
		{"MultiHeader", &MultiHeader{Type: OpCheck, Done: false, Err: -1}, func() Record { return &MultiHeader{} }},
		{"Stat", &sampleStat, func() Record { return &Stat{} }},
		{"ID", &ID{Scheme: "ip", ID: "10.0.0.1"}, func() Record { return &ID{} }},
		{"ACL", &sampleACL[1], func() Record { return &ACL{} }},
		{"WatcherEvent", &WatcherEvent{Type: EventNodeChildrenChanged, State: StateSyncConnected, Path: "/a"},
			func() Record { return &WatcherEvent{} }},
		{"ErrorResponse", &ErrorResponse{Err: ErrBadVersion}, func() Record { return &ErrorResponse{} }},
		{"CreateResponse", &CreateResponse{Path: "/seq0000000001"}, func() Record { return &CreateResponse{} }},
		{"Create2Response", &Create2Response{Path: "/n", Stat: sampleStat}, func() Record { return &Create2Response{} }},
		{"ExistsResponse", &ExistsResponse{Stat: sampleStat}, func() Record { return &ExistsResponse{} }},
		{"GetDataResponse", &GetDataResponse{Data: []byte("hello"), Stat: sampleStat}, func() Record { return &GetDataResponse{} }},
		{"GetDataResponse/nil", &GetDataResponse{Data: nil}, func() Record { return &GetDataResponse{} }},
		{"SetDataResponse", &SetDataResponse{Stat: sampleStat}, func() Record { return &SetDataResponse{} }},
		{"GetACLResponse", &GetACLResponse{ACL: sampleACL, Stat: sampleStat}, func() Record { return &GetACLResponse{} }},
		{"SetACLResponse", &SetACLResponse{Stat: sampleStat}, func() Record { return &SetACLResponse{} }},
		{"GetChildrenResponse", &GetChildrenResponse{Children: []string{"a", "b", "c"}}, func() Record { return &GetChildrenResponse{} }},
		{"GetChildrenResponse/empty", &GetChildrenResponse{Children: []string{}}, func() Record { return &GetChildrenResponse{} }},
		{"GetChildren2Response", &GetChildren2Response{Children: []string{"x"}, Stat: sampleStat},
			func() Record { return &GetChildren2Response{} }},
		{"SyncResponse", &SyncResponse{Path: "/a"}, func() Record { return &SyncResponse{} }},
		{"SASLResponse", &SASLResponse{Token: []byte{}}, func() Record { return &SASLResponse{} }},
		{"GetEphemeralsResponse", &GetEphemeralsResponse{Ephemerals: []string{"/e1", "/e2"}},
			func() Record { return &GetEphemeralsResponse{} }},
		{"GetAllChildrenNumberResponse", &GetAllChildrenNumberResponse{TotalNumber: 42},
			func() Record { return &GetAllChildrenNumberResponse{} }},
		{"WhoAmIResponse", &WhoAmIResponse{ClientInfo: []ClientInfo{{AuthScheme: "ip", User: "127.0.0.1"}, {AuthScheme: "digest", User: "bob"}}},
			func() Record { return &WhoAmIResponse{} }},
		{"MultiResponse", &MultiResponse{Results: []MultiResult{
			{Type: OpCreate, Path: "/m1"},
			{Type: OpCreate2, Path: "/m2", Stat: sampleStat},
			{Type: OpDelete},
			{Type: OpSetData, Stat: sampleStat},
			{Type: OpCheck},
			{Type: OpGetChildren, Children: []string{"c"}},
			{Type: OpGetData, Data: []byte("d"), Stat: sampleStat},
		}}, func() Record { return &MultiResponse{} }},
		{"MultiResponse/failed", &MultiResponse{Results: []MultiResult{
			{Type: OpError, Err: ErrOK},
			{Type: OpError, Err: ErrNodeExists},
			{Type: OpError, Err: ErrRuntimeInconsistency},
		}}, func() Record { return &MultiResponse{} }},
		{"MultiResponse/empty", &MultiResponse{}, func() Record { return &MultiResponse{} }},
	}
}

func encode(r Record) []byte {
	e := NewEncoder(nil)
	r.Encode(e)
	return e.Bytes()
}
