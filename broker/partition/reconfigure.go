package partition

import (
	"fmt"

	"github.com/sluicelogs/sluice/broker/segment"
)

// Reconfigure applies a topic's altered configs to the open partition:
// min.insync.replicas, and the log's retention and flush.messages (segment.Log.Reconfigure).
func (p *Partition) Reconfigure(minISR int, opts segment.Options) error {
	if err := p.log.Reconfigure(opts); err != nil {
		return fmt.Errorf("partition: reconfigure %s-%d: %w", p.topic, p.index, err)
	}
	p.mu.Lock()
	p.minISR = minISR
	p.advanceHWLocked() // a lower bound may let the high watermark move
	p.wakeLocked()
	p.mu.Unlock()
	return nil
}
