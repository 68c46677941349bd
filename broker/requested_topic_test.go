package broker

import "testing"

// TestRequestedTopic: a request's topic entry is its name when it has
// one, else the topic with its id, else "".
func TestRequestedTopic(t *testing.T) {
	id := [16]byte{1, 2, 3}
	b := &Broker{topics: map[string]*topicState{"logs": {name: "logs", id: id}}}
	other := "other"
	for _, tc := range []struct {
		name *string
		id   [16]byte
		want string
	}{{&other, id, "other"}, {nil, id, "logs"}, {nil, [16]byte{9}, ""}} {
		if got := b.requestedTopic(tc.name, tc.id); got != tc.want {
			t.Errorf("requestedTopic(%v, %x) = %q, want %q", tc.name, tc.id, got, tc.want)
		}
	}
}
