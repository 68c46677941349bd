package broker

import (
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/sluicelogs/sluice/testkit/memtest"
)

// TestDecodeMetadataErrors: metadata the coordinator holds that breaks an
// invariant is refused with an error saying what is wrong, where the
// decoder used to take it (a state without a leader read as leader 0, a
// partition named "00" or missing left a topic with a hole).
func TestDecodeMetadataErrors(t *testing.T) {
	for _, c := range []struct{ asg, want string }{
		{`{"version":2,"partitions":{}}`, "names no partition"},
		{`{"version":2,"partitions":{"0":[1],"00":[2]}}`, `partition "00"`},
		{`{"version":2,"partitions":{"1":[1]}}`, `partition "1" is not one of 0…0`},
		{`{"version":2,"partitions":{"0":[]}}`, "replicas: empty"},
		{`{"version":2,"partitions":{"0":[1,1]}}`, "broker 1 twice"},
		{`{"version":2,"partitions":{"0":[-3]}}`, "broker id -3"},
		{`{"version":2,"partitions":{"0":[4294967296]}}`, "assignment:"},
		{`null`, "names no partition"},
		{`{"partitions":`, "assignment:"},
	} {
		if _, _, err := decodeAssignment([]byte(c.asg)); !errors.Is(err, errBadMetadata) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("assignment %s: %v, want an error with %q", c.asg, err, c.want)
		}
	}
	for _, c := range []struct{ st, want string }{
		{`{}`, "lacks leader"},
		{`null`, "lacks leader"},
		{`{"leader":1,"leader_epoch":0}`, "lacks leader"},
		{`{"leader":-2,"leader_epoch":0,"isr":[1]}`, "leader -2"},
		{`{"leader":1,"leader_epoch":-1,"isr":[1]}`, "leader epoch -1"},
		{`{"leader":1,"leader_epoch":0,"isr":[1,2,1]}`, "broker 1 twice"},
		{`{"leader":"1","leader_epoch":0,"isr":[1]}`, "partition state:"},
	} {
		if _, err := decodePartitionState([]byte(c.st)); !errors.Is(err, errBadMetadata) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("state %s: %v, want an error with %q", c.st, err, c.want)
		}
	}
	if _, err := decodeTopicConfig([]byte(`{"version":1,"config":{"retention.ms":604800000}}`)); !errors.Is(err, errBadMetadata) {
		t.Errorf("config with a number value: %v", err)
	}
	st, err := decodePartitionState([]byte(`{"controller_epoch":3,"leader":-1,"version":1,"leader_epoch":7,"isr":[]}`))
	if err != nil || st.Leader != -1 || st.LeaderEpoch != 7 || st.ControllerEpoch != 3 || len(st.ISR) != 0 {
		t.Fatalf("offline partition state: %+v %v", st, err)
	}
}

// FuzzClusterMetadata: the JSON a broker reads from the coordinator for a
// topic (its assignment, a partition's state, its config) never panics
// the decoders; they either fail with errBadMetadata or return values
// that keep the invariants the broker relies on and that survive a write
// and a read back; and they allocate in proportion to their input.
func FuzzClusterMetadata(f *testing.F) {
	good := func(v any) []byte { b, _ := json.Marshal(v); return b }
	asg := good(topicAssignment{Version: 3, TopicID: "AAAAAAAAAAAAAAAAAAAAAA", Partitions: map[string][]int32{"0": {1, 2, 3}, "1": {2, 3, 1}}})
	st := good(partitionState{ControllerEpoch: 1, Leader: 2, Version: 1, LeaderEpoch: 4, ISR: []int32{2, 3}})
	cfg := good(map[string]any{"version": 1, "config": map[string]string{"min.insync.replicas": "2"}})
	f.Add(asg, st, cfg)
	f.Add([]byte(`{"partitions":{"0":[1],"00":[1]}}`), []byte(`{"leader":-1,"leader_epoch":0,"isr":[]}`), []byte(`{}`))
	f.Add([]byte(`{"partitions":{"2147483647":[1]}}`), []byte(`{"leader":1,"leader_epoch":0,"isr":[1,1]}`), []byte(`null`))
	f.Add([]byte(`{"partitions":{"0":[-1]}}`), []byte(`{"leader":1e9,"isr":[1]}`), []byte(`{"config":{"a":1}}`))
	f.Add([]byte(`[`), []byte(`"`), []byte{0xff})
	f.Fuzz(func(t *testing.T, asg, st, cfg []byte) {
		var (
			id               string
			replicas         [][]int32
			state            partitionState
			config           map[string]string
			aerr, serr, cerr error
		)
		grew := memtest.Allocated(func() {
			id, replicas, aerr = decodeAssignment(asg)
			state, serr = decodePartitionState(st)
			config, cerr = decodeTopicConfig(cfg)
		})
		if in := uint64(len(asg) + len(st) + len(cfg)); grew > 256*in+1<<20 {
			t.Fatalf("decoding %d bytes allocated %d", in, grew)
		}
		for _, err := range []error{aerr, serr, cerr} {
			if err != nil && (!errors.Is(err, errBadMetadata) || err.Error() == "") {
				t.Fatalf("unclear error %T %v", err, err)
			}
		}
		if aerr == nil {
			if len(replicas) == 0 {
				t.Fatal("accepted a topic without partitions")
			}
			for i, reps := range replicas {
				if len(reps) == 0 || slices.ContainsFunc(reps, func(id int32) bool { return id < 0 }) || len(slices.Compact(slices.Sorted(slices.Values(reps)))) != len(reps) {
					t.Fatalf("accepted partition %d replicas %v", i, reps)
				}
			}
			back := good(topicAssignment{Version: 3, TopicID: id, Partitions: assignmentMap(replicas)})
			id2, replicas2, err := decodeAssignment(back)
			if err != nil || id2 != id || !slices.EqualFunc(replicas, replicas2, slices.Equal) {
				t.Fatalf("assignment does not survive a round trip: %v", err)
			}
		}
		if serr == nil {
			if state.Leader < -1 || state.LeaderEpoch < 0 || state.ISR == nil || slices.ContainsFunc(state.ISR, func(id int32) bool { return id < 0 }) {
				t.Fatalf("accepted state %+v", state)
			}
			state2, err := decodePartitionState(good(state))
			if err != nil || state2.Leader != state.Leader || state2.LeaderEpoch != state.LeaderEpoch || !slices.Equal(state2.ISR, state.ISR) {
				t.Fatalf("state does not survive a round trip: %+v %v", state2, err)
			}
		}
		_ = config
	})
}

func assignmentMap(replicas [][]int32) map[string][]int32 {
	m := map[string][]int32{}
	for i, r := range replicas {
		m[strconv.Itoa(i)] = r
	}
	return m
}

// TestTopicIDs: which topic ids the controller keeps, and how it writes
// one into an assignment another program wrote.
func TestTopicIDs(t *testing.T) {
	for id, want := range map[string]bool{
		newTopicID():               true,
		"AAAAAAAAAAAAAAAAAAAAAA":   false, // Kafka's ZERO_UUID
		"AAAAAAAAAAAAAAAAAAAAAQ":   false, // Kafka's METADATA_TOPIC_ID
		"":                         false,
		"not-an-id":                false,
		"pWjlP7g_dV5LimTRS-iE0Q":   true,
		"pWjlP7g_dV5LimTRS-iE0Q==": false, // padded
		"pWjlP7g/dV5LimTRS+iE0Q":   false, // the standard alphabet
	} {
		if got := validTopicID(id); got != want {
			t.Errorf("validTopicID(%q) = %v, want %v", id, got, want)
		}
	}
	for range 100 {
		if id := newTopicID(); id[0] == '-' || !validTopicID(id) {
			t.Fatalf("newTopicID() = %q", id)
		}
	}
	asg := []byte(`{"version":2,"partitions":{"0":[1,2]},"adding_replicas":{},"removing_replicas":{},"future":[1]}`)
	got, err := withTopicID(asg, "pWjlP7g_dV5LimTRS-iE0Q")
	if err != nil {
		t.Fatal(err)
	}
	id, replicas, err := decodeAssignment(got)
	if err != nil || id != "pWjlP7g_dV5LimTRS-iE0Q" || len(replicas) != 1 || !slices.Equal(replicas[0], []int32{1, 2}) {
		t.Fatalf("withTopicID gave %s: id %q, replicas %v, %v", got, id, replicas, err)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(got, &fields); err != nil || string(fields["version"]) != "3" || string(fields["future"]) != "[1]" {
		t.Fatalf("withTopicID gave %s: want version 3 and the other fields kept", got)
	}
	if same, err := withTopicID(asg, ""); err != nil || string(same) != string(asg) {
		t.Fatalf("withTopicID without an id changed the assignment: %s, %v", same, err)
	}
	if _, err := withTopicID([]byte(`[1]`), "pWjlP7g_dV5LimTRS-iE0Q"); !errors.Is(err, errBadMetadata) {
		t.Fatalf("withTopicID of an array: %v, want errBadMetadata", err)
	}
}

// TestDecodePreferredElection: /admin/preferred_replica_election as Kafka
// 2.x's tool writes it, and what is refused.
func TestDecodePreferredElection(t *testing.T) {
	got, err := decodePreferredElection([]byte(`{"version":1,"partitions":[{"topic":"magedu","partition":0},{"topic":"magedu","partition":2}]}`))
	if err != nil || !slices.Equal(got, []stateKey{{"magedu", 0}, {"magedu", 2}}) {
		t.Fatalf("got %v, %v", got, err)
	}
	for _, bad := range []string{`not json`, `{"partitions":[{"topic":"t"}]}`, `{"partitions":[{"partition":1}]}`,
		`{"partitions":[{"topic":"t","partition":-1}]}`, `{"partitions":{}}`} {
		if _, err := decodePreferredElection([]byte(bad)); !errors.Is(err, errBadMetadata) {
			t.Errorf("%s: %v, want errBadMetadata", bad, err)
		}
	}
}
