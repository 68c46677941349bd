package tree

import (
	zk "github.com/sluicelogs/sluice/coordinator/zkproto"
)

// Multi applies the write ops of a multi atomically: all of them, or — when
// one fails — none. On failure every result is an error result: ErrOK for
// the ops before the failing one, its own code for it, and
// ErrRuntimeInconsistency for the ops after it, as ZooKeeper answers; the
// returned error is the failing op's.
func (t *Tree) Multi(tx Txn, ops []zk.MultiOp) ([]zk.MultiResult, []Event, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.advance(tx); err != nil {
		return nil, nil, err
	}
	results := make([]zk.MultiResult, len(ops))
	var ev []Event
	j := &journal{}
	for i, op := range ops {
		res, err := t.multiOp(tx, op, j, &ev)
		if err != nil {
			j.rollback()
			for k := range results {
				results[k] = zk.MultiResult{Type: zk.OpError, Err: zk.ErrRuntimeInconsistency}
				if k < i {
					results[k].Err = zk.ErrOK
				}
			}
			code, ok := err.(zk.Err)
			if !ok {
				code = zk.ErrSystemError
			}
			results[i].Err = code
			return results, nil, code
		}
		results[i] = res
	}
	return results, ev, nil
}

func (t *Tree) multiOp(tx Txn, op zk.MultiOp, j *journal, ev *[]Event) (zk.MultiResult, error) {
	switch r := op.(type) {
	case *zk.CreateRequest:
		p, _, err := t.create(tx, CreateArgs{Path: r.Path, Data: r.Data, ACL: r.ACL, Mode: r.Flags}, j, ev)
		return zk.MultiResult{Type: zk.OpCreate, Path: p}, err
	case *zk.Create2Request:
		p, st, err := t.create(tx, CreateArgs{Path: r.Path, Data: r.Data, ACL: r.ACL, Mode: r.Flags}, j, ev)
		return zk.MultiResult{Type: zk.OpCreate2, Path: p, Stat: st}, err
	case *zk.CreateContainerRequest:
		p, st, err := t.create(tx, CreateArgs{Path: r.Path, Data: r.Data, ACL: r.ACL, Mode: zk.ModeContainer}, j, ev)
		return zk.MultiResult{Type: zk.OpCreate2, Path: p, Stat: st}, err
	case *zk.CreateTTLRequest:
		p, st, err := t.create(tx, CreateArgs{Path: r.Path, Data: r.Data, ACL: r.ACL, Mode: r.Flags, TTL: r.TTL}, j, ev)
		return zk.MultiResult{Type: zk.OpCreate2, Path: p, Stat: st}, err
	case *zk.DeleteRequest:
		err := t.delete(tx, r.Path, r.Version, j, ev)
		return zk.MultiResult{Type: zk.OpDelete}, err
	case *zk.SetDataRequest:
		st, err := t.setData(tx, r.Path, r.Data, r.Version, j, ev)
		return zk.MultiResult{Type: zk.OpSetData, Stat: st}, err
	case *zk.CheckVersionRequest:
		return zk.MultiResult{Type: zk.OpCheck}, t.check(r.Path, r.Version)
	}
	return zk.MultiResult{}, zk.ErrUnimplemented
}
