package zkproto

import "testing"

// TestNewMultiOp: every op a multi may hold gets its own request type
// (newRequest's), only on its side of the read/write split; everything
// else is refused.
func TestNewMultiOp(t *testing.T) {
	writes := []Op{OpCreate, OpCreate2, OpCreateContainer, OpCreateTTL, OpDelete, OpSetData, OpCheck}
	reads := []Op{OpGetChildren, OpGetData}
	for _, tc := range []struct {
		ops  []Op
		read bool
	}{{writes, false}, {reads, true}} {
		for _, op := range tc.ops {
			m := newMultiOp(op, tc.read)
			if m == nil || m.Op() != op {
				t.Errorf("newMultiOp(%v, read=%v) = %v, want a %v request", op, tc.read, m, op)
			}
			if other := newMultiOp(op, !tc.read); other != nil {
				t.Errorf("newMultiOp(%v, read=%v) = %T, want nil: reads and writes do not mix", op, !tc.read, other)
			}
		}
	}
	for _, op := range []Op{OpExists, OpGetChildren2, OpSync, OpPing, OpMulti, OpMultiRead, OpSetACL, OpCloseSession} {
		for _, read := range []bool{false, true} {
			if m := newMultiOp(op, read); m != nil {
				t.Errorf("newMultiOp(%v, read=%v) = %T, want nil", op, read, m)
			}
		}
	}
}
