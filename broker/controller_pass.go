package broker

import (
	"errors"
	"maps"
	"slices"

	"github.com/go-zookeeper/zk"
)

// passTopics is one controller pass's view of the topics: every topic
// (assignment, partition states, config) read once when the pass begins
// (electLeaders), and handed from step to step — the partitions'
// leaders, the preferred-replica elections, the reassignments — instead
// of each step reading every topic again (with __consumer_offsets' 50
// partitions that was some 150 reads more per pass, on every event and
// every tick). A step that wrote a topic (or tried to: a write refused
// for a changed version means it changed) marks it, and the next step
// reads only the marked topics again (refresh), so each step sees what
// the steps before it wrote.
type passTopics struct {
	meta  *clusterMeta
	all   map[string]*topic
	stale map[string]bool
}

func (b *Broker) readPassTopics() (*passTopics, error) {
	all, err := b.meta.topics()
	if err != nil {
		return nil, err
	}
	return &passTopics{meta: b.meta, all: all, stale: map[string]bool{}}, nil
}

// wrote marks topic name to be read again before the next step.
func (v *passTopics) wrote(name string) { v.stale[name] = true }

// names are the topics in the view, sorted.
func (v *passTopics) names() []string { return slices.Sorted(maps.Keys(v.all)) }

// refresh reads again the topics written since the last refresh. A topic
// gone, or whose metadata no longer decodes, leaves the view (as
// topics() skips it).
func (v *passTopics) refresh() error {
	for _, name := range slices.Sorted(maps.Keys(v.stale)) {
		t, err := v.meta.topic(name)
		switch {
		case errors.Is(err, zk.ErrNoNode) || errors.Is(err, errBadMetadata):
			delete(v.all, name)
		case err != nil:
			return err
		default:
			v.all[name] = t
		}
		delete(v.stale, name)
	}
	return nil
}
