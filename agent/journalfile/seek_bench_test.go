package journalfile_test

import (
	"testing"

	"github.com/sluicelogs/sluice/agent/journalfile"
)

// BenchmarkSeekCursor resumes after the last of 100,000 entries: the
// entry arrays before it are skipped, not read entry by entry.
func BenchmarkSeekCursor(b *testing.B) {
	requireTools(b)
	dir := b.TempDir()
	write(b, dir, "a.journal", interleaved(0, 100000, false))
	all := journalctl(b, "--directory="+dir, "-n", "1")
	c, err := journalfile.ParseCursor(all[0][0][len("__CURSOR="):])
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		j, err := journalfile.OpenJournal([]string{dir}, journalfile.Options{}, b.Logf)
		if err != nil {
			b.Fatal(err)
		}
		j.SeekCursor(c)
		if e, err := j.Next(); err != nil || e != nil {
			b.Fatalf("an entry after the last: %v", err)
		}
		j.Close()
	}
}
