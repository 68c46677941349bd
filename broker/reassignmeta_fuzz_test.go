package broker

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/sluicelogs/sluice/testkit/memtest"
)

// checkDecoded fails the fuzz case when decoding in bytes allocated more
// than a small multiple of them, or failed with anything but a clear
// errBadMetadata.
func checkDecoded(t *testing.T, in int, grew uint64, err error) {
	t.Helper()
	if grew > 256*uint64(in)+1<<20 {
		t.Fatalf("decoding %d bytes allocated %d", in, grew)
	}
	if err != nil && (!errors.Is(err, errBadMetadata) || err.Error() == "") {
		t.Fatalf("unclear error %T %v", err, err)
	}
}

// FuzzReassignPartitions: /admin/reassign_partitions (anyone may write it)
// never panics the decoder, which allocates in proportion to its input
// and accepts only entries with a topic, a partition number that is not
// negative and a replica list, which survive the controller's rewrite of
// the node (setReassignPartitions) and a read back.
func FuzzReassignPartitions(f *testing.F) {
	f.Add([]byte(`{"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[4,2],"log_dirs":["any","any"]}]}`))
	f.Add([]byte(`{"version":1,"partitions":[{"topic":"t","partition":-1,"replicas":[1]}]}`))
	f.Add([]byte(`{"version":1,"partitions":[{"topic":"t","partition":0}]}`))
	f.Add([]byte(`{"partitions":[{"topic":"t","partition":2147483648,"replicas":[]}]}`))
	f.Add([]byte(`{"partitions":{}}`))
	f.Add([]byte(`null`))
	f.Add([]byte{0xff, '['})
	f.Fuzz(func(t *testing.T, data []byte) {
		var reqs []reassignRequest
		var err error
		grew := memtest.Allocated(func() { reqs, err = decodeReassignPartitions(data) })
		checkDecoded(t, len(data), grew, err)
		if err != nil {
			return
		}
		for _, rq := range reqs {
			if rq.Partition < 0 || rq.Replicas == nil {
				t.Fatalf("accepted entry %+v", rq)
			}
		}
		back, _ := json.Marshal(map[string]any{"version": 1, "partitions": reqs})
		again, err := decodeReassignPartitions(back)
		if err != nil || !slices.EqualFunc(reqs, again, func(a, b reassignRequest) bool {
			return a.Topic == b.Topic && a.Partition == b.Partition && slices.Equal(a.Replicas, b.Replicas) && slices.Equal(a.LogDirs, b.LogDirs)
		}) {
			t.Fatalf("entries do not survive a rewrite: %+v -> %+v, %v", reqs, again, err)
		}
	})
}

// FuzzAssignmentReassignments: a topic's assignment with
// adding_replicas and removing_replicas never panics the decoders, which
// allocate in proportion to their input; a reassignment accepted names
// existing partitions, adds and removes distinct replicas of them, never
// one both, and leaves at least one, so the target (the replicas less
// the removed ones) and the original (less the added ones) are never
// empty.
func FuzzAssignmentReassignments(f *testing.F) {
	f.Add([]byte(`{"version":2,"partitions":{"0":[4,2,1]},"adding_replicas":{"0":[4]},"removing_replicas":{"0":[1]}}`))
	f.Add([]byte(`{"version":2,"partitions":{"0":[1,2]},"adding_replicas":{},"removing_replicas":{"0":[]}}`))
	f.Add([]byte(`{"version":2,"partitions":{"0":[1,2]},"adding_replicas":{"0":[1]},"removing_replicas":{"0":[1]}}`))
	f.Add([]byte(`{"version":2,"partitions":{"0":[1,2]},"removing_replicas":{"0":[1,2]}}`))
	f.Add([]byte(`{"version":2,"partitions":{"0":[1,2]},"adding_replicas":{"1":[1]}}`))
	f.Add([]byte(`{"version":2,"partitions":{"0":[1,2]},"adding_replicas":{"00":[1]}}`))
	f.Add([]byte(`{"version":2,"partitions":{"0":[1,2]},"adding_replicas":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var (
			replicas [][]int32
			re       map[int32]reassignment
			err      error
		)
		grew := memtest.Allocated(func() {
			if _, replicas, err = decodeAssignment(data); err == nil {
				re, err = decodeReassignments(data, replicas)
			}
		})
		checkDecoded(t, len(data), grew, err)
		if err != nil {
			return
		}
		for i, r := range re {
			if i < 0 || int(i) >= len(replicas) || !r.active() {
				t.Fatalf("accepted a reassignment of partition %d (of %d): %+v", i, len(replicas), r)
			}
			cur := replicas[i]
			distinct := func(ids []int32) bool { return len(slices.Compact(slices.Sorted(slices.Values(ids)))) == len(ids) }
			if !distinct(r.adding) || !distinct(r.removing) || len(without(r.adding, cur)) > 0 || len(without(r.removing, cur)) > 0 ||
				len(without(r.adding, r.removing)) != len(r.adding) {
				t.Fatalf("partition %d %v: accepted adding %v, removing %v", i, cur, r.adding, r.removing)
			}
			if len(without(cur, r.removing)) == 0 || len(without(cur, r.adding)) == 0 {
				t.Fatalf("partition %d %v: adding %v, removing %v leaves no target or no original", i, cur, r.adding, r.removing)
			}
		}
	})
}

// TestDecodeConfigChange: the notifications Kafka's brokers act on, and
// what they refuse.
func TestDecodeConfigChange(t *testing.T) {
	for in, want := range map[string]string{
		`{"version":2,"entity_path":"topics/t"}`:                        "topics/t",
		`{"version":2,"entity_path":"brokers/<default>"}`:               "brokers/<default>",
		`{"version":2,"entity_path":"users/u/clients/c"}`:               "users/u/clients/c",
		`{"version":1,"entity_type":"topics","entity_name":"magedu"}`:   "topics/magedu",
		`{"version":1,"entity_type":"clients","entity_name":"c","x":1}`: "clients/c",
	} {
		if got, err := decodeConfigChange([]byte(in)); err != nil || got != want {
			t.Errorf("%s: %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{`{"entity_path":"topics/t"}`, `{"version":3,"entity_path":"topics/t"}`, `{"version":2}`,
		`{"version":2,"entity_path":"topics"}`, `{"version":2,"entity_path":"topics/"}`, `{"version":2,"entity_path":"nodes/1"}`,
		`{"version":1,"entity_type":"brokers","entity_name":"1"}`, `{"version":1,"entity_type":"topics"}`, `[`, `null`} {
		if got, err := decodeConfigChange([]byte(bad)); !errors.Is(err, errBadMetadata) {
			t.Errorf("%s: %q, %v; want errBadMetadata", bad, got, err)
		}
	}
}

// FuzzConfigChange: a config change notification never panics the
// decoder, which allocates in proportion to its input; an entity
// accepted is a known type and a name, and survives being written as
// sluice writes it (version 2) and read back.
func FuzzConfigChange(f *testing.F) {
	f.Add([]byte(`{"version":2,"entity_path":"topics/t"}`))
	f.Add([]byte(`{"version":2,"entity_path":"brokers/<default>"}`))
	f.Add([]byte(`{"version":1,"entity_type":"topics","entity_name":"t"}`))
	f.Add([]byte(`{"version":2,"entity_path":"/"}`))
	f.Add([]byte(`{"version":1e3}`))
	f.Add([]byte(`{"version":2,"entity_path":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var entity string
		var err error
		grew := memtest.Allocated(func() { entity, err = decodeConfigChange(data) })
		checkDecoded(t, len(data), grew, err)
		if err != nil {
			return
		}
		if root, name, ok := strings.Cut(entity, "/"); !ok || root == "" || name == "" {
			t.Fatalf("accepted entity %q", entity)
		}
		back, _ := json.Marshal(map[string]any{"version": 2, "entity_path": entity})
		if again, err := decodeConfigChange(back); err != nil || again != entity {
			t.Fatalf("entity %q does not survive a rewrite: %q, %v", entity, again, err)
		}
	})
}
