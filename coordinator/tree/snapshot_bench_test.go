package tree

import (
	"fmt"
	"io"
	"testing"

	zk "github.com/sluicelogs/sluice/coordinator/zkproto"
)

// BenchmarkSnapshot freezes and encodes a tree of 120,000 znodes of 1 KiB
// (what the coordinator benchmark's create phase leaves).
func BenchmarkSnapshot(b *testing.B) {
	t := New()
	data := make([]byte, 1024)
	acl := []zk.ACL{{Perms: zk.PermAll, ID: zk.ID{Scheme: "world", ID: "anyone"}}}
	t.Create(Txn{Zxid: 1}, CreateArgs{Path: "/p", ACL: acl})
	for i := 0; i < 120000; i++ {
		if _, _, _, err := t.Create(Txn{Zxid: int64(i + 2)}, CreateArgs{Path: fmt.Sprintf("/p/c%03d-%09d", i%32, i), Data: data, ACL: acl}); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("freeze", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			t.Freeze()
		}
	})
	b.Run("encode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := t.Freeze().EncodeTo(io.Discard); err != nil {
				b.Fatal(err)
			}
		}
	})
}
