package zkproto

import "fmt"

// MultiHeader precedes each op of a multi request and each result of a
// multi response; a header with Done set ends the sequence.
type MultiHeader struct {
	Type Op
	Done bool
	Err  Err
}

func (r *MultiHeader) Encode(e *Encoder) {
	e.WriteInt32(int32(r.Type))
	e.WriteBool(r.Done)
	e.WriteInt32(int32(r.Err))
}

func (r *MultiHeader) Decode(d *Decoder) error {
	r.Type = Op(d.ReadInt32())
	r.Done = d.ReadBool()
	r.Err = Err(d.ReadInt32())
	return d.Err()
}

// multiEnd terminates both multi requests and multi responses. The -1 in
// Err is not an error code, just the filler ZooKeeper writes.
var multiEnd = MultiHeader{Type: -1, Done: true, Err: -1}

// MultiOp is an operation that may appear inside a multi or multiRead:
// *CreateRequest, *Create2Request, *CreateContainerRequest,
// *CreateTTLRequest, *DeleteRequest, *SetDataRequest, *CheckVersionRequest
// (multi) or *GetChildrenRequest, *GetDataRequest (multiRead).
type MultiOp interface {
	Request
	multiOp()
}

func (*CreateRequest) multiOp()       {}
func (*CreateTTLRequest) multiOp()    {}
func (*DeleteRequest) multiOp()       {}
func (*SetDataRequest) multiOp()      {}
func (*CheckVersionRequest) multiOp() {}
func (*GetChildrenRequest) multiOp()  {}
func (*GetDataRequest) multiOp()      {}

// newMultiOp returns an empty op for type t, or nil when t may not appear
// in a multi (read=false) or multiRead (read=true). ZooKeeper refuses to
// mix reads and writes in one multi.
func newMultiOp(t Op, read bool) MultiOp {
	switch t {
	case OpGetChildren, OpGetData:
		if !read {
			return nil
		}
	case OpCreate, OpCreate2, OpCreateContainer, OpCreateTTL, OpDelete, OpSetData, OpCheck:
		if read {
			return nil
		}
	default:
		return nil
	}
	op, _ := newRequest(t).(MultiOp)
	return op
}

// MultiRequest is multi: write ops applied atomically.
type MultiRequest struct{ Ops []MultiOp }

func (*MultiRequest) Op() Op                    { return OpMulti }
func (r *MultiRequest) Encode(e *Encoder)       { encodeMultiOps(e, r.Ops) }
func (r *MultiRequest) Decode(d *Decoder) error { r.Ops = decodeMultiOps(d, false); return d.Err() }

// MultiReadRequest is multiRead: getChildren and getData ops answered
// together, each result independent.
type MultiReadRequest struct{ Ops []MultiOp }

func (*MultiReadRequest) Op() Op                    { return OpMultiRead }
func (r *MultiReadRequest) Encode(e *Encoder)       { encodeMultiOps(e, r.Ops) }
func (r *MultiReadRequest) Decode(d *Decoder) error { r.Ops = decodeMultiOps(d, true); return d.Err() }

func encodeMultiOps(e *Encoder, ops []MultiOp) {
	for _, op := range ops {
		h := MultiHeader{Type: op.Op(), Err: -1} // -1 as filler, like ZooKeeper
		h.Encode(e)
		op.Encode(e)
	}
	end := multiEnd
	end.Encode(e)
}

// decodeMultiOps reads header+op pairs until a header with Done set. The
// type and err of that final header are not checked, as ZooKeeper does not
// check them either. Every op costs at least a 9-byte header, so the
// result cannot outgrow the input.
func decodeMultiOps(d *Decoder, read bool) []MultiOp {
	var ops []MultiOp
	for {
		at := d.Offset()
		var h MultiHeader
		if h.Decode(d) != nil {
			return nil
		}
		if h.Done {
			return ops
		}
		op := newMultiOp(h.Type, read)
		if op == nil {
			kind := OpMulti
			if read {
				kind = OpMultiRead
			}
			d.fail(fmt.Errorf("%w: op %v at offset %d is not allowed in %v", ErrMalformed, h.Type, at, kind))
			return nil
		}
		if op.Decode(d) != nil {
			return nil
		}
		ops = append(ops, op)
	}
}

// MultiResult is one result of a multi or multiRead. Type selects which
// other fields are on the wire:
//
//	OpCreate       Path
//	OpCreate2      Path, Stat (also the result of createContainer, createTTL)
//	OpDelete       -
//	OpCheck        -
//	OpSetData      Stat
//	OpGetChildren  Children
//	OpGetData      Data, Stat
//	OpError        Err
//
// When a multi fails every op gets an OpError result: the failing one
// carries its code, the ops before it ErrOK and those after it
// ErrRuntimeInconsistency.
type MultiResult struct {
	Type     Op
	Err      Err
	Path     string
	Stat     Stat
	Data     []byte
	Children []string
}

// MultiResponse answers multi and multiRead.
type MultiResponse struct{ Results []MultiResult }

func (r *MultiResponse) Encode(e *Encoder) {
	for i := range r.Results {
		res := &r.Results[i]
		h := MultiHeader{Type: res.Type}
		if res.Type == OpError {
			h.Err = res.Err
		}
		h.Encode(e)
		switch res.Type {
		case OpCreate:
			e.WriteString(res.Path)
		case OpCreate2:
			e.WriteString(res.Path)
			res.Stat.Encode(e)
		case OpSetData:
			res.Stat.Encode(e)
		case OpGetChildren:
			e.WriteStrings(res.Children)
		case OpGetData:
			e.WriteBuffer(res.Data)
			res.Stat.Encode(e)
		case OpError:
			e.WriteInt32(int32(res.Err))
		}
	}
	end := multiEnd
	end.Encode(e)
}

// Decode reads results until the Done header. For error results the code
// is taken from the ErrorResponse body, as ZooKeeper clients do; the copy
// in the header is not checked.
func (r *MultiResponse) Decode(d *Decoder) error {
	r.Results = nil
	for {
		at := d.Offset()
		var h MultiHeader
		if h.Decode(d) != nil {
			r.Results = nil
			return d.Err()
		}
		if h.Done {
			return nil
		}
		res := MultiResult{Type: h.Type}
		switch h.Type {
		case OpCreate:
			res.Path = d.ReadString()
		case OpCreate2:
			res.Path = d.ReadString()
			res.Stat.Decode(d)
		case OpDelete, OpCheck:
		case OpSetData:
			res.Stat.Decode(d)
		case OpGetChildren:
			res.Children = d.ReadStrings()
		case OpGetData:
			res.Data = d.ReadBuffer()
			res.Stat.Decode(d)
		case OpError:
			res.Err = Err(d.ReadInt32())
		default:
			d.fail(fmt.Errorf("%w: result type %v at offset %d in multi response", ErrMalformed, h.Type, at))
		}
		if d.Err() != nil {
			r.Results = nil
			return d.Err()
		}
		r.Results = append(r.Results, res)
	}
}
