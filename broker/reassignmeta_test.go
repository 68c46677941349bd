package broker

import (
	"errors"
	"slices"
	"testing"
)

// TestReassignTo: the replica set and reassignment Kafka's
// ReplicaAssignment.reassignTo gives, a second reassignment and a cancel
// starting from the original replicas.
func TestReassignTo(t *testing.T) {
	for _, c := range []struct {
		cur, target      []int32
		r                reassignment
		full             []int32
		adding, removing []int32
	}{
		{cur: []int32{2, 3}, target: []int32{4, 3}, full: []int32{4, 3, 2}, adding: []int32{4}, removing: []int32{2}},
		{cur: []int32{4, 3, 2}, r: reassignment{adding: []int32{4}, removing: []int32{2}}, target: []int32{5, 3},
			full: []int32{5, 3, 2}, adding: []int32{5}, removing: []int32{2}},
		{cur: []int32{4, 3, 2}, r: reassignment{adding: []int32{4}, removing: []int32{2}}, target: []int32{3, 2},
			full: []int32{3, 2}, adding: []int32{}, removing: []int32{}}, // cancel
		{cur: []int32{1, 2}, target: []int32{2, 1}, full: []int32{2, 1}, adding: []int32{}, removing: []int32{}},
	} {
		full, next := reassignTo(c.cur, c.r, c.target)
		if !slices.Equal(full, c.full) || !slices.Equal(next.adding, c.adding) || !slices.Equal(next.removing, c.removing) {
			t.Errorf("reassignTo(%v, %+v, %v) = %v, %+v; want %v, adding %v, removing %v", c.cur, c.r, c.target, full, next, c.full, c.adding, c.removing)
		}
	}
}

// TestDecodeReassignments: what a reassignment in an assignment may hold.
func TestDecodeReassignments(t *testing.T) {
	replicas := [][]int32{{4, 3, 2}, {1, 2}}
	got, err := decodeReassignments([]byte(`{"version":2,"partitions":{},"adding_replicas":{"0":[4]},"removing_replicas":{"0":[2],"1":[]}}`), replicas)
	if err != nil || len(got) != 1 || !slices.Equal(got[0].adding, []int32{4}) || !slices.Equal(got[0].removing, []int32{2}) {
		t.Fatalf("decoded %+v, %v", got, err)
	}
	for _, bad := range []string{
		`{"adding_replicas":{"2":[4]}}`,                               // no partition 2
		`{"adding_replicas":{"0":[9]}}`,                               // not a replica
		`{"adding_replicas":{"0":[4,4]}}`,                             // twice
		`{"adding_replicas":{"0":[4]},"removing_replicas":{"0":[4]}}`, // both
		`{"removing_replicas":{"1":[1,2]}}`,                           // none left
		`{"adding_replicas":{"1":[1,2]}}`,                             // no original to cancel back to
		`{"adding_replicas":[]}`,
	} {
		if _, err := decodeReassignments([]byte(bad), replicas); !errors.Is(err, errBadMetadata) {
			t.Errorf("%s: %v, want errBadMetadata", bad, err)
		}
	}
}
