// Package memtest measures memory for tests that bound it: what a piece of
// code allocates, and what stays on the heap after it.
package memtest

import "runtime"

// Allocated returns the bytes the process allocated while f ran (all
// goroutines count: keep others quiet, or bound generously).
func Allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// HeapGrowth returns how much the live heap grew while f ran, each side
// measured after a full collection: what f left reachable, such as the
// state of the connections it opened.
func HeapGrowth(f func()) int64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.GC()
	runtime.ReadMemStats(&after)
	return int64(after.HeapAlloc) - int64(before.HeapAlloc)
}
