package zkproto

import "fmt"

// Request is the body of a client request, identified by its op code.
type Request interface {
	Record
	Op() Op
}

// newRequest returns an empty request for op, or nil when op is not
// something a client sends after connecting. createSession has no header
// (see DecodeConnectRequest); notification and error only occur in
// replies; deleteContainer is generated inside the server.
func newRequest(op Op) Request {
	switch op {
	case OpCreate:
		return &CreateRequest{}
	case OpCreate2:
		return &Create2Request{}
	case OpCreateContainer:
		return &CreateContainerRequest{}
	case OpCreateTTL:
		return &CreateTTLRequest{}
	case OpDelete:
		return &DeleteRequest{}
	case OpExists:
		return &ExistsRequest{}
	case OpGetData:
		return &GetDataRequest{}
	case OpSetData:
		return &SetDataRequest{}
	case OpGetACL:
		return &GetACLRequest{}
	case OpSetACL:
		return &SetACLRequest{}
	case OpGetChildren:
		return &GetChildrenRequest{}
	case OpGetChildren2:
		return &GetChildren2Request{}
	case OpSync:
		return &SyncRequest{}
	case OpPing:
		return &PingRequest{}
	case OpCheck:
		return &CheckVersionRequest{}
	case OpMulti:
		return &MultiRequest{}
	case OpMultiRead:
		return &MultiReadRequest{}
	case OpReconfig:
		return &ReconfigRequest{}
	case OpCheckWatches:
		return &CheckWatchesRequest{}
	case OpRemoveWatches:
		return &RemoveWatchesRequest{}
	case OpAuth:
		return &AuthPacket{}
	case OpSetWatches:
		return &SetWatches{}
	case OpSetWatches2:
		return &SetWatches2{}
	case OpSASL:
		return &SASLRequest{}
	case OpGetEphemerals:
		return &GetEphemeralsRequest{}
	case OpGetAllChildrenNumber:
		return &GetAllChildrenNumberRequest{}
	case OpAddWatch:
		return &AddWatchRequest{}
	case OpWhoAmI:
		return &WhoAmIRequest{}
	case OpCloseSession:
		return &CloseSessionRequest{}
	}
	return nil
}

// DecodeRequest decodes the body that follows hdr in a request packet. The
// result is a pointer to the op's request type (*CreateRequest,
// *MultiRequest, *PingRequest, …). Unknown op codes wrap ErrUnknownOp;
// the body must be consumed exactly, so trailing bytes wrap ErrMalformed.
// The header's xid is not looked at.
func DecodeRequest(hdr RequestHeader, body []byte) (Request, error) {
	return decodeRequest(hdr, body, false)
}

// DecodeRequestAliased is DecodeRequest for a body that is never modified
// afterwards: the request's byte buffers (znode data) are slices of body,
// not copies.
func DecodeRequestAliased(hdr RequestHeader, body []byte) (Request, error) {
	return decodeRequest(hdr, body, true)
}

func decodeRequest(hdr RequestHeader, body []byte, alias bool) (Request, error) {
	req := newRequest(hdr.Type)
	if req == nil {
		return nil, fmt.Errorf("%w %d (%v)", ErrUnknownOp, int32(hdr.Type), hdr.Type)
	}
	d := Decoder{buf: body, alias: alias}
	req.Decode(&d)
	if err := d.Finish(); err != nil {
		return nil, wrapDecode(hdr.Type.String()+" request", err)
	}
	return req, nil
}

// DecodeRequestPacket splits a request packet body (as returned by
// ReadPacket, after the ConnectRequest) into its header and request.
func DecodeRequestPacket(packet []byte) (RequestHeader, Request, error) {
	var hdr RequestHeader
	d := Decoder{buf: packet}
	if err := hdr.Decode(&d); err != nil {
		return hdr, nil, wrapDecode("request header", err)
	}
	req, err := DecodeRequest(hdr, packet[d.Offset():])
	return hdr, req, err
}

func wrapDecode(what string, err error) error {
	return fmt.Errorf("zkproto: decode %s: %w", what, err)
}
