package segment

// MaxTimestamp is the largest batch maxTimestamp in the log, -1 when no
// batch has one. With OffsetForTimestamp it finds the first batch holding
// it: ListOffsets' max timestamp (-3, KIP-734).
func (l *Log) MaxTimestamp() int64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	ts := int64(-1)
	for _, s := range l.segs {
		if s.size > 0 {
			ts = max(ts, s.maxTs)
		}
	}
	return ts
}
