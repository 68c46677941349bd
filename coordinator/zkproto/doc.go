// Package zkproto encodes and decodes the ZooKeeper client protocol as
// spoken by ZooKeeper 3.5 and later: the bytes that zkCli.sh,
// go-zookeeper/zk, kazoo and other clients exchange with a server. It holds
// no server logic.
//
// # Framing
//
// A connection is a stream of packets, each a 4-byte big-endian signed
// length followed by that many bytes (ReadPacket, AppendPacket,
// Encoder.BeginPacket/EndPacket). A server refuses lengths that are
// negative or above its limit, ZooKeeper's jute.maxbuffer (1 MiB by
// default) plus some room for the request around the payload.
//
// The first packet from a client is a ConnectRequest and the first reply a
// ConnectResponse; neither has a header. Both end with a one-byte readOnly
// flag that sits outside the jute record: old clients, and go-zookeeper
// today, leave it out, so decoders must accept its absence. Every later
// request packet is a RequestHeader (xid, op code) followed by the op's
// request record; every reply is a ReplyHeader (xid, zxid, error code)
// followed by the response record, but only when the error code is 0; a
// failed request's reply is the header alone. Replies not answering a
// client request use reserved xids: -1 for watch notifications (whose body
// is a WatcherEvent), -2 for pings, -4 for auth, -8 for setWatches.
//
// # Jute primitives
//
// Records are their fields written in declaration order with nothing
// between them: no tags, no record lengths. int is 4 bytes and long 8
// bytes, both big-endian two's complement; boolean is one byte (written as
// 0 or 1, read as non-zero = true). buffer and ustring are a 4-byte length
// and then the raw bytes (UTF-8 for ustring); vector<T> is a 4-byte count
// and then the elements. For all three a length of -1 means null. Decoder
// maps null to nil (buffers, vectors) or "" (strings) and Encoder writes
// nil back as -1, so a decode/encode round trip keeps the distinction
// between nil and empty slices.
//
// # Multi
//
// multi (op 14) and multiRead (op 22) have no jute record of their own.
// The request body is a run of (MultiHeader, op record) pairs closed by a
// MultiHeader with done = true; each MultiHeader is (int type, boolean
// done, int err), carrying the op code of the record that follows and -1
// as err. Create, create2 and createContainer ops use CreateRequest,
// createTTL uses CreateTTLRequest, delete DeleteRequest, setData
// SetDataRequest, check CheckVersionRequest; a multiRead holds only
// getChildren and getData ops. Read and write ops never mix.
//
// The response has the same shape: per op a MultiHeader whose type names
// the result (create, create2, delete, setData, check, getChildren, getData,
// or -1 for an error, with the code in err) followed by that result's body
// (CreateResponse, Create2Response, nothing, SetDataResponse, nothing,
// GetChildrenResponse, GetDataResponse, ErrorResponse), then the closing
// header (-1, true, -1). The results of createContainer and createTTL ops
// are create2 results.
//
// # Allocation
//
// Decoder checks every length and count against the bytes still unread
// before allocating, so hostile input cannot make it allocate more than a
// small multiple of the input's size. Decoded buffers and strings are
// copies, never views into the input.
package zkproto
