package partition

import "testing"

// TestEpochCache: OffsetForLeaderEpoch answers and truncation, through a
// save and reload of the checkpoint.
func TestEpochCache(t *testing.T) {
	dir := t.TempDir()
	c, err := loadEpochs(dir)
	if err != nil {
		t.Fatal(err)
	}
	if e, off := c.endOffset(3, 100); e != -1 || off != -1 {
		t.Fatalf("empty cache: %d %d", e, off)
	}
	c.observe(0, 0)
	c.observe(2, 40)
	c.observe(1, 50) // older than the newest: ignored
	c.observe(5, 90)
	if err := c.save(); err != nil {
		t.Fatal(err)
	}
	c, err = loadEpochs(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []struct {
		epoch, wantEpoch int32
		wantEnd          int64
	}{{0, 0, 40}, {1, 0, 40}, {2, 2, 90}, {4, 2, 90}, {5, 5, 120}, {9, 5, 120}} {
		if e, off := c.endOffset(q.epoch, 120); e != q.wantEpoch || off != q.wantEnd {
			t.Errorf("endOffset(%d) = %d, %d; want %d, %d", q.epoch, e, off, q.wantEpoch, q.wantEnd)
		}
	}
	c.truncate(60)
	if c.latest() != 2 {
		t.Fatalf("after truncating at 60 the newest epoch is %d, want 2", c.latest())
	}
}
