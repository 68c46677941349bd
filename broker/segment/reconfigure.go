package segment

// Reconfigure changes the options a topic's or the broker's configs set
// while the log is open (a config altered through
// IncrementalAlterConfigs): RetentionMs, RetentionBytes, FlushMessages,
// SegmentBytes and FlushInterval. RetentionMs, RetentionBytes and
// FlushMessages are read under wmu, so taking it makes the change atomic
// for them; SegmentBytes and FlushInterval are read without a lock
// (segmentBytes, flushInterval). Each applies from the next append,
// retention check or flush check: a smaller SegmentBytes makes the next
// append that would pass it roll the active segment, a batch larger than
// it is refused from then on, and a new FlushInterval counts from the
// last fsync. The other options are kept (they apply when the log is
// next opened).
func (l *Log) Reconfigure(o Options) error {
	if err := o.Validate(); err != nil {
		return err
	}
	o = o.withDefaults()
	l.wmu.Lock()
	defer l.wmu.Unlock()
	l.opts.RetentionBytes = o.RetentionBytes
	l.opts.RetentionMs = o.RetentionMs
	l.opts.FlushMessages = o.FlushMessages
	l.opts.SegmentBytes = o.SegmentBytes
	l.opts.FlushInterval = o.FlushInterval
	l.segmentBytes.Store(o.SegmentBytes)
	l.flushInterval.Store(int64(o.FlushInterval))
	return nil
}
