package coordinator

import (
	"github.com/sluicelogs/sluice/coordinator/tree"
	zk "github.com/sluicelogs/sluice/coordinator/zkproto"
)

// result is the outcome of one applied entry, for the client that asked.
type result struct {
	zxid int64
	err  zk.Err
	body zk.Record // nil when the reply has no body
}

// apply is the state machine's apply: called by the Raft node's applier
// goroutine for every committed entry, in log order, on every member.
func (s *Server) apply(index uint64, data []byte) {
	e, err := decodeEntry(data)
	if err != nil {
		// Every member fails the same way on the same bytes; skipping keeps
		// them identical.
		s.log.Error("skipping undecodable log entry", "index", index, "err", err)
		return
	}
	tx := tree.Txn{Zxid: int64(index), Time: e.time, Session: e.session, Auth: e.auth}
	s.applyMu.Lock()
	res, events := s.applyEntry(tx, e)
	s.watches.fire(events)
	s.applyMu.Unlock()

	switch e.kind {
	case entryCreateSession:
		s.sessions.touch(e.session)
	case entryCloseSession:
		s.sessions.forget(e.session)
		s.closeSessionConns(e.session)
	}
	if e.proposer == s.id {
		s.deliver(e.seq, res)
	}
}

func (s *Server) applyEntry(tx tree.Txn, e *entry) (result, []tree.Event) {
	res := result{zxid: tx.Zxid}
	var events []tree.Event
	var err error
	switch e.kind {
	case entryCreateSession:
		err = s.tree.CreateSession(tx, e.timeout)
	case entryCloseSession:
		events, err = s.tree.CloseSession(tx)
	case entryRemove:
		events, err = s.tree.Remove(tx, e.paths)
	case entryRequest:
		res.body, events, err = s.applyRequest(tx, e.req)
	}
	if err != nil {
		code, ok := err.(zk.Err)
		if !ok {
			s.log.Error("applying log entry failed", "zxid", tx.Zxid, "err", err)
			code = zk.ErrSystemError
		}
		res.err = code
		if _, multi := res.body.(*zk.MultiResponse); multi {
			// A failed multi answers with its error results and err 0 in
			// the reply header, as ZooKeeper does.
			res.err = zk.ErrOK
		} else {
			res.body = nil
		}
	}
	return res, events
}

func (s *Server) applyRequest(tx tree.Txn, req zk.Request) (zk.Record, []tree.Event, error) {
	create := func(r *zk.CreateRequest, mode zk.CreateMode, ttl int64) (string, zk.Stat, []tree.Event, error) {
		return s.tree.Create(tx, tree.CreateArgs{Path: r.Path, Data: r.Data, ACL: r.ACL, Mode: mode, TTL: ttl})
	}
	switch r := req.(type) {
	case *zk.CreateRequest:
		p, _, ev, err := create(r, r.Flags, 0)
		return &zk.CreateResponse{Path: p}, ev, err
	case *zk.Create2Request:
		p, st, ev, err := create(&r.CreateRequest, r.Flags, 0)
		return &zk.Create2Response{Path: p, Stat: st}, ev, err
	case *zk.CreateContainerRequest:
		p, st, ev, err := create(&r.CreateRequest, zk.ModeContainer, 0)
		return &zk.Create2Response{Path: p, Stat: st}, ev, err
	case *zk.CreateTTLRequest:
		p, st, ev, err := s.tree.Create(tx, tree.CreateArgs{Path: r.Path, Data: r.Data, ACL: r.ACL, Mode: r.Flags, TTL: r.TTL})
		return &zk.Create2Response{Path: p, Stat: st}, ev, err
	case *zk.DeleteRequest:
		ev, err := s.tree.Delete(tx, r.Path, r.Version)
		return nil, ev, err
	case *zk.SetDataRequest:
		st, ev, err := s.tree.SetData(tx, r.Path, r.Data, r.Version)
		return &zk.SetDataResponse{Stat: st}, ev, err
	case *zk.SetACLRequest:
		st, err := s.tree.SetACL(tx, r.Path, r.ACL, r.Version)
		return &zk.SetACLResponse{Stat: st}, nil, err
	case *zk.MultiRequest:
		results, ev, err := s.tree.Multi(tx, r.Ops)
		return &zk.MultiResponse{Results: results}, ev, err
	}
	return nil, nil, zk.ErrUnimplemented
}
