package acl

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

func TestEncodeDecode(t *testing.T) {
	es := []Entry{{"User:alice", "*", read, allow}, {"User:bob", "10.0.0.1", kmsg.ACLOperationIdempotentWrite, deny}}
	b := Encode(es)
	want := `{"version":1,"acls":[{"principal":"User:alice","permissionType":"Allow","operation":"Read","host":"*"},` +
		`{"principal":"User:bob","permissionType":"Deny","operation":"IdempotentWrite","host":"10.0.0.1"}]}`
	if string(b) != want {
		t.Fatalf("Encode = %s\nwant   %s", b, want)
	}
	got, err := Decode(b)
	if err != nil || !reflect.DeepEqual(got, es) {
		t.Fatalf("Decode = %v, %v", got, err)
	}
	for _, bad := range []string{`{`, `{"version":2,"acls":[]}`, `{"version":1,"acls":[{"principal":"User:a","permissionType":"Maybe","operation":"Read","host":"*"}]}`,
		`{"version":1,"acls":[{"principal":"alice","permissionType":"Allow","operation":"Read","host":"*"}]}`} {
		if _, err := Decode([]byte(bad)); err == nil {
			t.Errorf("Decode(%s): no error", bad)
		}
	}
}

func TestPathsAndChanges(t *testing.T) {
	lit := Pattern{topic, "logs", literal}
	pre := Pattern{kmsg.ACLResourceTypeTransactionalId, "tx-", prefix}
	if p := Path(lit); p != "/kafka-acl/Topic/logs" {
		t.Errorf("Path = %s", p)
	}
	if p := Path(pre); p != "/kafka-acl-extended/prefixed/TransactionalId/tx-" {
		t.Errorf("Path = %s", p)
	}
	for _, p := range []Pattern{lit, pre} {
		dir, data := Change(p)
		got, err := DecodeChange(dir, data)
		if err != nil || got != p {
			t.Errorf("DecodeChange(Change(%v)) = %v, %v", p, got, err)
		}
	}
	if dir, data := Change(lit); dir != LiteralChanges || !bytes.Equal(data, []byte("Topic:logs")) {
		t.Errorf("Change = %s %s", dir, data)
	}
	for _, p := range []Pattern{{cluster, "c", literal}, {group, "a/b", literal}, {group, "..", prefix}, {topic, "", literal},
		{topic, "t", kmsg.ACLResourcePatternTypeMatch}, {kmsg.ACLResourceTypeAny, "t", literal}} {
		if why := p.Storable(); why == "" {
			t.Errorf("%+v storable", p)
		}
	}
}

// FuzzDecode: Decode never panics, and what it accepts encodes to data
// that decodes to the same entries.
func FuzzDecode(f *testing.F) {
	f.Add(Encode([]Entry{{"User:alice", "*", read, allow}}))
	f.Add([]byte(`{"version":1,"acls":[]}`))
	f.Add([]byte(`{"version":1,"acls":[{"principal":"User:*","permissionType":"deny","operation":"all","host":"1.2.3.4"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		es, err := Decode(data)
		if err != nil {
			return
		}
		again, err := Decode(Encode(es))
		if err != nil || len(again) != len(es) || (len(es) > 0 && !reflect.DeepEqual(again, es)) {
			t.Fatalf("round trip: %v -> %v, %v", es, again, err)
		}
	})
}
