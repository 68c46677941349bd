package segment

// ScanHeaders calls f with the header of every batch of the active segment
// and the one before it, in offset order: what the broker needs to rebuild
// its idempotent producers' recent sequence numbers after a restart, at the
// cost of reading one 61-byte header per batch.
func (l *Log) ScanHeaders(f func(Header)) error {
	l.mu.RLock()
	if l.closed {
		l.mu.RUnlock()
		return ErrClosed
	}
	first := max(0, len(l.segs)-2)
	segs := append([]*segment(nil), l.segs[first:]...)
	views := make([]view, len(segs))
	for i, s := range segs {
		views[i] = s.view()
		s.refs.Add(1)
	}
	l.mu.RUnlock()
	defer func() {
		for _, s := range segs {
			s.release()
		}
	}()
	for i, s := range segs {
		for pos := int64(0); pos < views[i].size; {
			h, err := s.readHeader(pos, views[i].size)
			if err != nil {
				return err
			}
			f(h)
			pos += int64(h.Size)
		}
	}
	return nil
}
