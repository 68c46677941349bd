package memtest

import "testing"

var sink []byte

func TestMeasures(t *testing.T) {
	if got := Allocated(func() { sink = make([]byte, 1<<20) }); got < 1<<20 {
		t.Fatalf("Allocated of a 1 MiB slice: %d", got)
	}
	kept := HeapGrowth(func() { sink = make([]byte, 4<<20) })
	if kept < 3<<20 {
		t.Fatalf("HeapGrowth of a kept 4 MiB slice: %d", kept)
	}
	if dropped := HeapGrowth(func() { sink = nil; _ = make([]byte, 4<<20) }); dropped > -3<<20 {
		t.Fatalf("HeapGrowth after dropping 4 MiB: %d, want about -4 MiB", dropped)
	}
}
