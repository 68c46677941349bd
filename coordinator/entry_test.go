package coordinator

import (
	"testing"

	zk "github.com/sluicelogs/sluice/coordinator/zkproto"
)

// BenchmarkEntryEncode is the proposer's cost per write: a create with
// 1 KiB of data, as `sluice-bench coordinator` sends.
func BenchmarkEntryEncode(b *testing.B) {
	e := &entry{
		kind: entryRequest, proposer: 1, seq: 7, session: 0x100, time: 1,
		auth: []zk.ID{{Scheme: "ip", ID: "127.0.0.1"}},
		req: &zk.CreateRequest{Path: "/bench/c1-12345", Data: make([]byte, 1024),
			ACL: []zk.ACL{{Perms: zk.PermAll, ID: zk.ID{Scheme: "world", ID: "anyone"}}}},
	}
	b.ReportAllocs()
	for b.Loop() {
		if len(e.encode()) < 1024 {
			b.Fatal("short entry")
		}
	}
}

func TestEntryRoundTrip(t *testing.T) {
	e := &entry{
		kind: entryRequest, proposer: 2, seq: 9, session: 0x200, time: 5,
		auth: []zk.ID{{Scheme: "ip", ID: "10.0.0.1"}, {Scheme: "digest", ID: "u:x"}},
		req:  &zk.SetDataRequest{Path: "/a", Data: []byte("hello"), Version: 3},
	}
	got, err := decodeEntry(e.encode())
	if err != nil {
		t.Fatal(err)
	}
	r, ok := got.req.(*zk.SetDataRequest)
	if !ok || r.Path != "/a" || string(r.Data) != "hello" || r.Version != 3 || got.seq != 9 || len(got.auth) != 2 || got.auth[1].ID != "u:x" {
		t.Fatalf("decoded %+v %+v", got, got.req)
	}
}
