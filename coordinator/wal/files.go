package wal

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/sluicelogs/sluice/internal/atomicfile"
)

func segmentName(first uint64) string { return fmt.Sprintf("log-%016x.wal", first) }

func snapName(term, index uint64) string { return fmt.Sprintf("snap-%016x-%016x.snap", term, index) }

type segmentFile struct {
	path  string
	first uint64
}

type snapFile struct {
	path        string
	term, index uint64
}

func parseHex16(s string) (uint64, bool) {
	if len(s) != 16 {
		return 0, false
	}
	v, err := strconv.ParseUint(s, 16, 64)
	return v, err == nil
}

// listSegments returns the segments in dir, oldest first. Other files are
// ignored.
func listSegments(dir string) ([]segmentFile, error) {
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("wal: %w", err)
	}
	var segs []segmentFile
	for _, de := range des {
		name := de.Name()
		hex, ok := strings.CutPrefix(name, "log-")
		if !ok {
			continue
		}
		hex, ok = strings.CutSuffix(hex, ".wal")
		if !ok {
			continue
		}
		first, ok := parseHex16(hex)
		if !ok {
			continue
		}
		segs = append(segs, segmentFile{path: filepath.Join(dir, name), first: first})
	}
	slices.SortFunc(segs, func(a, b segmentFile) int { return cmpUint(a.first, b.first) })
	return segs, nil
}

// listSnapshots returns the snapshot files in dir, oldest (lowest index)
// first.
func listSnapshots(dir string) ([]snapFile, error) {
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("wal: %w", err)
	}
	var snaps []snapFile
	for _, de := range des {
		name := de.Name()
		rest, ok := strings.CutPrefix(name, "snap-")
		if !ok {
			continue
		}
		rest, ok = strings.CutSuffix(rest, ".snap")
		if !ok || len(rest) != 33 || rest[16] != '-' {
			continue
		}
		term, ok1 := parseHex16(rest[:16])
		index, ok2 := parseHex16(rest[17:])
		if !ok1 || !ok2 {
			continue
		}
		snaps = append(snaps, snapFile{path: filepath.Join(dir, name), term: term, index: index})
	}
	slices.SortFunc(snaps, func(a, b snapFile) int {
		if c := cmpUint(a.index, b.index); c != 0 {
			return c
		}
		return cmpUint(a.term, b.term)
	})
	return snaps, nil
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// removeTemps deletes *.tmp files left by a crash in the middle of writing a
// snapshot or a new segment.
func removeTemps(dir string) error {
	des, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("wal: %w", err)
	}
	for _, de := range des {
		if strings.HasSuffix(de.Name(), ".tmp") {
			if err := os.Remove(filepath.Join(dir, de.Name())); err != nil {
				return fmt.Errorf("wal: %w", err)
			}
		}
	}
	return nil
}

func syncDir(dir string) error {
	if err := atomicfile.SyncDir(dir); err != nil {
		return fmt.Errorf("wal: %w", err)
	}
	return nil
}

// writebackChunk is how much of a large file (a snapshot) is written
// before its pages are sent to the disk and waited for.
const writebackChunk = 4 << 20

// writeSteadily writes data to f in chunks, sending each chunk to the disk
// before the next. Left to the kernel, a snapshot of hundreds of megabytes
// becomes dirty all at once and its writeback stalls the log's fdatasync
// behind it (ext4 commits the file's block allocations with the log's
// journal transaction) for tens of milliseconds; a chunk at a time, no
// log write waits for more than one chunk.
func writeSteadily(f *os.File, data []byte) error {
	var off int64
	for len(data) > 0 {
		n := min(len(data), writebackChunk)
		if _, err := f.Write(data[:n]); err != nil {
			return err
		}
		if len(data) > n {
			if err := syncRange(f, off, int64(n)); err != nil {
				return err
			}
		}
		off += int64(n)
		data = data[n:]
	}
	return nil
}

// writeFileDurably writes data to path via path.tmp (package
// internal/atomicfile), steadily: a crash leaves either no file or the
// whole file.
func writeFileDurably(path string, data []byte) error {
	if err := atomicfile.Write(path, func(f *os.File) error { return writeSteadily(f, data) }); err != nil {
		return fmt.Errorf("wal: %w", err)
	}
	return nil
}
