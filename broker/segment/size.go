package segment

// Size is the bytes of the log's segment files (.log only, as Kafka's
// log size): what DescribeLogDirs reports for the partition.
func (l *Log) Size() int64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	var n int64
	for _, s := range l.segs {
		n += s.size
	}
	return n
}
