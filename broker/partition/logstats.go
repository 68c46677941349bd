package partition

// MaxTimestamp is the largest record timestamp in the log, -1 when none
// (segment.Log.MaxTimestamp).
func (p *Partition) MaxTimestamp() int64 { return p.log.MaxTimestamp() }

// Size is the bytes of the log's segments (segment.Log.Size).
func (p *Partition) Size() int64 { return p.log.Size() }
