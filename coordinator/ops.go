package coordinator

import (
	"context"
	"fmt"
	"strings"

	"github.com/sluicelogs/sluice/coordinator/tree"

	zk "github.com/sluicelogs/sluice/coordinator/zkproto"
)

// dispatch turns a request into the call that answers it. Writes are
// proposed here, in request order; reads become functions that answer
// runs in turn. An error closes the connection.
func (c *conn) dispatch(ctx context.Context, hdr zk.RequestHeader, req zk.Request) (*call, error) {
	cl := &call{xid: hdr.Xid, op: hdr.Type}
	switch r := req.(type) {
	case *zk.CreateRequest, *zk.Create2Request, *zk.CreateContainerRequest, *zk.CreateTTLRequest,
		*zk.DeleteRequest, *zk.SetDataRequest, *zk.SetACLRequest, *zk.MultiRequest:
		return c.proposeCall(ctx, cl, &entry{kind: entryRequest, session: c.sessionID(), auth: c.ids(), req: req})
	case *zk.CloseSessionRequest:
		cl.last = true
		c.closing.Store(true)
		return c.proposeCall(ctx, cl, &entry{kind: entryCloseSession, session: c.sessionID()})
	case *zk.PingRequest:
		cl.read = func() (zk.Record, error) { return nil, nil }
	case *zk.AuthPacket:
		// Applied at once, so the requests after it carry the identity.
		var code error
		if r.Scheme == "digest" && strings.Contains(string(r.Auth), ":") {
			id := tree.DigestID(string(r.Auth))
			if super := c.s.cfg.SuperDigest; super != "" && id == super {
				// DigestAuthenticationProvider.superDigest: past every ACL.
				c.addAuth(zk.ID{Scheme: "super"})
			}
			c.addAuth(zk.ID{Scheme: "digest", ID: id})
		} else {
			code = zk.ErrAuthFailed
		}
		cl.read = func() (zk.Record, error) { return nil, code }
	case *zk.SyncRequest:
		cl.sync = true
		cl.read = func() (zk.Record, error) { return &zk.SyncResponse{Path: r.Path}, nil }
	case *zk.ExistsRequest:
		cl.read = func() (zk.Record, error) {
			st, err := c.s.tree.Exists(r.Path)
			if r.Watch {
				c.s.watches.addData(r.Path, c) // on a missing node too: it waits for the create
			}
			if err != nil {
				return nil, err
			}
			return &zk.ExistsResponse{Stat: st}, nil
		}
	case *zk.GetDataRequest:
		cl.read = func() (zk.Record, error) {
			if err := c.s.tree.Allowed(r.Path, zk.PermRead, c.ids()); err != nil {
				return nil, err
			}
			data, st, err := c.s.tree.Get(r.Path)
			if err != nil {
				return nil, err
			}
			if r.Watch {
				c.s.watches.addData(r.Path, c)
			}
			return &zk.GetDataResponse{Data: data, Stat: st}, nil
		}
	case *zk.GetChildrenRequest:
		cl.read = func() (zk.Record, error) {
			kids, _, err := c.children(r.Path, r.Watch)
			if err != nil {
				return nil, err
			}
			return &zk.GetChildrenResponse{Children: kids}, nil
		}
	case *zk.GetChildren2Request:
		cl.read = func() (zk.Record, error) {
			kids, st, err := c.children(r.Path, r.Watch)
			if err != nil {
				return nil, err
			}
			return &zk.GetChildren2Response{Children: kids, Stat: st}, nil
		}
	case *zk.GetACLRequest:
		cl.read = func() (zk.Record, error) {
			acl, st, err := c.s.tree.ACL(r.Path)
			if err != nil {
				return nil, err
			}
			return c.visibleACL(acl, st)
		}
	case *zk.GetEphemeralsRequest:
		cl.read = func() (zk.Record, error) {
			return &zk.GetEphemeralsResponse{Ephemerals: c.s.tree.Ephemerals(c.sessionID(), r.PrefixPath)}, nil
		}
	case *zk.GetAllChildrenNumberRequest:
		cl.read = func() (zk.Record, error) {
			n, err := c.s.tree.AllChildrenNumber(r.Path)
			if err != nil {
				return nil, err
			}
			return &zk.GetAllChildrenNumberResponse{TotalNumber: int32(n)}, nil
		}
	case *zk.MultiReadRequest:
		cl.read = func() (zk.Record, error) { return c.multiRead(r.Ops), nil }
	case *zk.SetWatches:
		cl.read = func() (zk.Record, error) {
			c.setWatches(r.RelativeZxid, r.DataWatches, r.ExistWatches, r.ChildWatches)
			return nil, nil
		}
	case *zk.SetWatches2:
		cl.read = func() (zk.Record, error) {
			c.setWatches(r.RelativeZxid, r.DataWatches, r.ExistWatches, r.ChildWatches)
			// Persistent watches are set again without firing, as
			// ZooKeeper does: their client may have missed events.
			for _, p := range r.PersistentWatches {
				c.s.watches.addPersistent(p, zk.AddWatchPersistent, c)
			}
			for _, p := range r.PersistentRecursiveWatches {
				c.s.watches.addPersistent(p, zk.AddWatchPersistentRecursive, c)
			}
			return nil, nil
		}
	case *zk.AddWatchRequest:
		cl.read = func() (zk.Record, error) {
			if r.Mode != zk.AddWatchPersistent && r.Mode != zk.AddWatchPersistentRecursive {
				return nil, zk.ErrBadArguments
			}
			c.s.watches.addPersistent(r.Path, r.Mode, c)
			return &zk.ErrorResponse{}, nil
		}
	case *zk.RemoveWatchesRequest:
		cl.read = func() (zk.Record, error) {
			if !c.s.watches.removeOf(r.Path, r.Type, c, false) {
				return nil, zk.ErrNoWatcher
			}
			return nil, nil
		}
	case *zk.CheckWatchesRequest:
		cl.read = func() (zk.Record, error) {
			if !c.s.watches.removeOf(r.Path, r.Type, c, true) {
				return nil, zk.ErrNoWatcher
			}
			return nil, nil
		}
	case *zk.WhoAmIRequest:
		cl.read = func() (zk.Record, error) {
			var info []zk.ClientInfo
			for _, id := range c.ids() {
				info = append(info, zk.ClientInfo{AuthScheme: id.Scheme, User: id.ID})
			}
			return &zk.WhoAmIResponse{ClientInfo: info}, nil
		}
	case *zk.CheckVersionRequest, *zk.ReconfigRequest, *zk.SASLRequest:
		cl.read = func() (zk.Record, error) { return nil, zk.ErrUnimplemented }
	default:
		return nil, fmt.Errorf("unsupported request %v", hdr.Type)
	}
	return cl, nil
}

// proposeCall proposes an entry for a call.
func (c *conn) proposeCall(ctx context.Context, cl *call, e *entry) (*call, error) {
	cl.lost = c.s.raft.leaderChanged()
	ch, err := c.s.propose(ctx, e)
	if err != nil {
		return nil, fmt.Errorf("propose: %w", err)
	}
	cl.wait = ch
	return cl, nil
}

func (c *conn) children(path string, watch bool) ([]string, zk.Stat, error) {
	if err := c.s.tree.Allowed(path, zk.PermRead, c.ids()); err != nil {
		return nil, zk.Stat{}, err
	}
	kids, st, err := c.s.tree.Children(path)
	if err == nil && watch {
		c.s.watches.addChild(path, c)
	}
	return kids, st, err
}

func (c *conn) multiRead(ops []zk.MultiOp) *zk.MultiResponse {
	resp := &zk.MultiResponse{Results: make([]zk.MultiResult, len(ops))}
	for i, op := range ops {
		res := &resp.Results[i]
		switch r := op.(type) {
		case *zk.GetChildrenRequest:
			kids, _, err := c.children(r.Path, r.Watch)
			res.Type, res.Children = zk.OpGetChildren, kids
			if err != nil {
				res.Type, res.Err = zk.OpError, err.(zk.Err)
			}
		case *zk.GetDataRequest:
			data, st, err := c.s.tree.Get(r.Path)
			if err == nil {
				err = c.s.tree.Allowed(r.Path, zk.PermRead, c.ids())
			}
			res.Type, res.Data, res.Stat = zk.OpGetData, data, st
			if err != nil {
				res.Type, res.Err = zk.OpError, err.(zk.Err)
			} else if r.Watch {
				c.s.watches.addData(r.Path, c)
			}
		}
	}
	return resp
}

// setWatches re-arms the watches of a reconnecting client: a watch whose
// event already happened (after relZxid, the last zxid the client saw)
// fires at once, the others are set again.
func (c *conn) setWatches(relZxid int64, data, exist, child []string) {
	var fire []zk.WatcherEvent
	ev := func(t zk.EventType, p string) {
		fire = append(fire, zk.WatcherEvent{Type: t, State: zk.StateSyncConnected, Path: p})
	}
	for _, p := range data {
		st, err := c.s.tree.Exists(p)
		switch {
		case err != nil:
			ev(zk.EventNodeDeleted, p)
		case st.Mzxid > relZxid:
			ev(zk.EventNodeDataChanged, p)
		default:
			c.s.watches.addData(p, c)
		}
	}
	for _, p := range exist {
		if _, err := c.s.tree.Exists(p); err == nil {
			ev(zk.EventNodeCreated, p)
		} else {
			c.s.watches.addData(p, c)
		}
	}
	for _, p := range child {
		st, err := c.s.tree.Exists(p)
		switch {
		case err != nil:
			ev(zk.EventNodeDeleted, p)
		case st.Pzxid > relZxid:
			ev(zk.EventNodeChildrenChanged, p)
		default:
			c.s.watches.addChild(p, c)
		}
	}
	for _, e := range fire {
		c.notify(e)
	}
}

func (c *conn) remoteIP() string {
	host := c.nc.RemoteAddr().String()
	for i := len(host) - 1; i >= 0; i-- {
		if host[i] == ':' {
			return host[:i]
		}
	}
	return host
}

// visibleACL is what getACL shows this client of a node's ACL, as
// ZooKeeper 3.8 does: nothing (NOAUTH) without READ or ADMIN on the node,
// and without ADMIN each digest id with its password hash replaced by "x",
// so that reading an ACL does not hand out what an offline guess of the
// password needs.
func (c *conn) visibleACL(acl []zk.ACL, st zk.Stat) (zk.Record, error) {
	ids := c.ids()
	if !tree.Permits(acl, zk.PermRead|zk.PermAdmin, ids) {
		return nil, zk.ErrNoAuth
	}
	if !tree.Permits(acl, zk.PermAdmin, ids) {
		for i, a := range acl { // acl is the tree's copy: ours to change
			if a.ID.Scheme == "digest" {
				user, _, _ := strings.Cut(a.ID.ID, ":")
				acl[i].ID.ID = user + ":x"
			}
		}
	}
	return &zk.GetACLResponse{ACL: acl, Stat: st}, nil
}
