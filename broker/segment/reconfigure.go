package segment

// Reconfigure changes the options a topic's configs set while the log is
// open (a config altered through IncrementalAlterConfigs): RetentionMs,
// RetentionBytes and FlushMessages. The others are kept, SegmentBytes
// and FlushInterval among them because they are read before wmu is taken
// (checkSize, FlushIfDue): a new segment.bytes or flush.ms applies when
// the log is next opened. The ones changed are read under wmu, so taking
// it makes the change atomic for them; it applies from the next append or
// retention check.
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
	return nil
}
