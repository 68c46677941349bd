package group

import "testing"

// TestPartitionFor pins PartitionFor to what Kafka computes: the values
// were printed by the JDK's jshell with Kafka 3.9's clients jar,
// Utils.abs(id.hashCode()) % n for n = 50 (the default
// offsets.topic.num.partitions) and n = 7. The three names whose
// hashCode is Integer.MIN_VALUE check Utils.abs; the others check
// non-ASCII ids (UTF-16 code units, a surrogate pair) and overflow.
// TestGroupPartitionsMatchKafka (package broker) checks it against a
// running Kafka broker.
func TestPartitionFor(t *testing.T) {
	for _, tc := range []struct {
		id          string
		mod50, mod7 int32
	}{
		{"", 0, 0},
		{"g", 3, 5},
		{"group", 47, 3},
		{"workers", 41, 0},
		{"spread-group", 7, 6},
		{"console-consumer-12345", 6, 6},
		{"polygenelubricants", 0, 0},
		{"GydZG_", 0, 0},
		{"DESIGNING WORKHOUSES", 0, 0},
		{"indexer", 9, 4},
		{"sluice-indexer", 13, 0},
		{"grüße", 23, 4},
		{"日本語グループ", 31, 3},
		{"emoji-😀", 6, 0},
		{"a-very-long-group-name-that-overflows-the-int-hash-many-times-over", 18, 3},
	} {
		if got := PartitionFor(tc.id, 50); got != tc.mod50 {
			t.Errorf("PartitionFor(%q, 50) = %d, Kafka says %d", tc.id, got, tc.mod50)
		}
		if got := PartitionFor(tc.id, 7); got != tc.mod7 {
			t.Errorf("PartitionFor(%q, 7) = %d, Kafka says %d", tc.id, got, tc.mod7)
		}
		if got := PartitionFor(tc.id, 1); got != 0 {
			t.Errorf("PartitionFor(%q, 1) = %d", tc.id, got)
		}
	}
}
