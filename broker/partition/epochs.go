package partition

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/sluicelogs/sluice/internal/atomicfile"
)

// epochCache is a partition's leader epochs and the offset each began at,
// kept in <partition dir>/leader-epoch-checkpoint in Kafka's format
// (version line, count line, then "epoch startOffset" lines). A follower
// uses it to find where its log diverged from a new leader's
// (OffsetForLeaderEpoch); a leader to answer that question. Not safe for
// concurrent use: the partition's mu guards it.
type epochCache struct {
	path    string
	entries []epochEntry // ascending in both epoch and start offset
}

type epochEntry struct {
	epoch int32
	start int64
}

const epochCheckpointFile = "leader-epoch-checkpoint"

// loadEpochs reads the checkpoint of dir (none yet is an empty cache).
func loadEpochs(dir string) (*epochCache, error) {
	c := &epochCache{path: filepath.Join(dir, epochCheckpointFile)}
	f, err := os.Open(c.path)
	if os.IsNotExist(err) {
		return c, nil
	}
	if err != nil {
		return nil, fmt.Errorf("partition: read %s: %w", c.path, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for line := 0; sc.Scan(); line++ {
		if line < 2 { // version, count
			continue
		}
		fields := strings.Fields(sc.Text())
		if len(fields) != 2 {
			return nil, fmt.Errorf("partition: %s:%d: want \"epoch offset\"", c.path, line+1)
		}
		e, err1 := strconv.ParseInt(fields[0], 10, 32)
		s, err2 := strconv.ParseInt(fields[1], 10, 64)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("partition: %s:%d: bad numbers", c.path, line+1)
		}
		c.entries = append(c.entries, epochEntry{int32(e), s})
	}
	return c, sc.Err()
}

// latest is the newest epoch, -1 when none is known.
func (c *epochCache) latest() int32 {
	if len(c.entries) == 0 {
		return -1
	}
	return c.entries[len(c.entries)-1].epoch
}

// observe records that epoch begins at start if it is newer than every
// known epoch. It reports whether the cache changed.
func (c *epochCache) observe(epoch int32, start int64) bool {
	if epoch < 0 || epoch <= c.latest() {
		return false
	}
	c.entries = append(c.entries, epochEntry{epoch, start})
	return true
}

// endOffset answers OffsetForLeaderEpoch for epoch: the largest known
// epoch ≤ epoch and the offset where it ended (the start of the next one,
// or logEnd for the newest). (-1, -1) when epoch predates them all.
func (c *epochCache) endOffset(epoch int32, logEnd int64) (int32, int64) {
	for i := len(c.entries) - 1; i >= 0; i-- {
		if c.entries[i].epoch <= epoch {
			if i == len(c.entries)-1 {
				return c.entries[i].epoch, logEnd
			}
			return c.entries[i].epoch, c.entries[i+1].start
		}
	}
	return -1, -1
}

// truncate forgets the epochs that begin at or after end (the log was cut
// there).
func (c *epochCache) truncate(end int64) bool {
	n := len(c.entries)
	for n > 0 && c.entries[n-1].start >= end {
		n--
	}
	changed := n != len(c.entries)
	c.entries = c.entries[:n]
	return changed
}

// save writes the checkpoint atomically (package internal/atomicfile).
func (c *epochCache) save() error {
	var b strings.Builder
	fmt.Fprintf(&b, "0\n%d\n", len(c.entries))
	for _, e := range c.entries {
		fmt.Fprintf(&b, "%d %d\n", e.epoch, e.start)
	}
	if err := atomicfile.WriteFile(c.path, []byte(b.String())); err != nil {
		return fmt.Errorf("partition: %w", err)
	}
	return nil
}
