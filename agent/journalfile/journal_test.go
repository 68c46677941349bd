package journalfile_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/sluicelogs/sluice/agent/journal"
	"github.com/sluicelogs/sluice/agent/journalfile"
)

// journalctl decodes what journalctl -o export writes with args.
func journalctl(t testing.TB, args ...string) [][]string {
	t.Helper()
	out, err := exec.Command("journalctl", append([]string{"-o", "export", "--no-pager"}, args...)...).Output()
	if err != nil {
		t.Fatalf("journalctl %q: %v", args, err)
	}
	r := journal.NewReader(bytes.NewReader(out), 0)
	var all [][]string
	for {
		e, err := r.Next()
		if errors.Is(err, io.EOF) {
			return all
		}
		if err != nil {
			t.Fatal(err)
		}
		var fs []string
		for _, f := range e.Fields {
			if n := string(f.Name); n != "__SEQNUM" && n != "__SEQNUM_ID" { // systemd >= 254
				fs = append(fs, string(f.Name)+"="+string(f.Value))
			}
		}
		all = append(all, fs)
	}
}

// drain reads the entries j has now.
func drain(t testing.TB, j *journalfile.Journal) [][]string {
	t.Helper()
	var all [][]string
	var fields [][]byte
	var buf []byte
	for {
		e, err := j.Next()
		if err != nil {
			t.Fatal(err)
		}
		if e == nil {
			return all
		}
		fields, buf = journalfile.ExportFields(fields[:0], buf, e)
		fs := make([]string, len(fields))
		for i, f := range fields {
			fs[i] = string(f)
		}
		all = append(all, fs)
	}
}

func requireEqual(t *testing.T, what string, got, want [][]string) {
	t.Helper()
	if len(got) != len(want) {
		for i := range min(len(got), len(want)) {
			if got[i][0] != want[i][0] {
				t.Logf("first difference at %d:\n%q\njournalctl:\n%q", i, got[i][:4], want[i][:4])
				break
			}
		}
		t.Fatalf("%s: %d entries, journalctl %d", what, len(got), len(want))
	}
	for i := range want {
		if fmt.Sprintf("%q", got[i]) != fmt.Sprintf("%q", want[i]) {
			t.Fatalf("%s: entry %d:\n%q\njournalctl:\n%q", what, i, got[i], want[i])
		}
	}
}

func openJournal(t *testing.T, dirs ...string) *journalfile.Journal {
	t.Helper()
	j, err := journalfile.OpenJournal(dirs, journalfile.Options{}, func(msg string, args ...any) { t.Log(append([]any{msg}, args...)...) })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(j.Close)
	return j
}

// interleaved writes entries first..first+n-1 whose times are every
// other one of 2n: with odd, the other half.
func interleaved(first, n int, odd bool) []byte {
	var b bytes.Buffer
	for i := first; i < first+n; i++ {
		k := 2 * i
		if odd {
			k++
		}
		fmt.Fprintf(&b, "__REALTIME_TIMESTAMP=%d\n__MONOTONIC_TIMESTAMP=%d\n_BOOT_ID=0123456789abcdef0123456789abcdef\nMESSAGE=m%d\n\n", 1700000000000000+k*1000, 5000+k*10, k)
	}
	return b.Bytes()
}

// after is what the journalctl-based input reads after cursor: journalctl
// --cursor, without its first entry when that is the cursor's. Not
// --after-cursor: when the cursor's entry is gone, journalctl seeks to the
// closest entry and --after-cursor skips that one too.
func after(t *testing.T, dir, cursor string) [][]string {
	all := journalctl(t, "--directory="+dir, "--cursor="+cursor)
	if len(all) > 0 && all[0][0] == "__CURSOR="+cursor {
		all = all[1:]
	}
	return all
}

// TestJournalMergesLikeJournalctl: files whose entries interleave come
// out in journalctl's order; a cursor resumes as the journalctl-based
// input did (after). No two entries of different files have the same
// times: journalctl's seek then depends on each file's bisection.
func TestJournalMergesLikeJournalctl(t *testing.T) {
	requireTools(t)
	dir := t.TempDir()
	write(t, dir, "x.journal", interleaved(0, 50, false))
	write(t, dir, "y.journal", interleaved(0, 50, true))
	write(t, dir, "z.journal", exportEntries(0, 20, 3))
	want := journalctl(t, "--directory="+dir)
	requireEqual(t, "merged", drain(t, openJournal(t, dir)), want)

	for _, k := range []int{0, 1, 37, len(want) - 1} {
		cursor := want[k][0][len("__CURSOR="):]
		c, err := journalfile.ParseCursor(cursor)
		if err != nil {
			t.Fatal(err)
		}
		j := openJournal(t, dir)
		j.SeekCursor(c)
		requireEqual(t, fmt.Sprintf("after cursor %d", k), drain(t, j), after(t, dir, cursor))
	}
}

// TestJournalFollows: entries appended to a file, a new file, a file
// rotated by renaming; a cursor of a vacuumed entry.
func TestJournalFollows(t *testing.T) {
	requireTools(t)
	dir := t.TempDir()
	write(t, dir, "x.journal", exportEntries(0, 10, 1))
	j := openJournal(t, dir)
	if got := drain(t, j); len(got) != 10 {
		t.Fatalf("%d entries, want 10", len(got))
	}
	write(t, dir, "x.journal", exportEntries(10, 5, 2)) // appended
	if j.Wait(context.Background(), time.Hour) {        // inotify said so (else this waits an hour: the test's timeout)
		t.Log("a rescan after an append") // harmless: systemd-journal-remote may have made the file anew
	}
	if got := drain(t, j); len(got) != 5 || !slices.Contains(got[0], "MESSAGE=entry 10 of the test") {
		t.Fatalf("appended: %q", got)
	}
	// Rotated: renamed (the same file, nothing new to read) and a new one.
	if err := os.Rename(filepath.Join(dir, "x.journal"), filepath.Join(dir, "x@0123-0001.journal")); err != nil {
		t.Fatal(err)
	}
	write(t, dir, "x.journal", exportEntries(15, 5, 3))
	for !j.Wait(context.Background(), time.Hour) { // events of the append may come first
	}
	if err := j.Scan(); err != nil {
		t.Fatal(err)
	}
	if got := drain(t, j); len(got) != 5 || j.Files() != 2 {
		t.Fatalf("after rotation: %d entries, %d files", len(got), j.Files())
	}
	requireEqual(t, "the whole folder", drain(t, openJournal(t, dir)), journalctl(t, "--directory="+dir))

	// Vacuumed: the cursor's file is gone; Next goes on from the first
	// entry after the cursor's place, as journalctl --after-cursor does.
	all := journalctl(t, "--directory="+dir)
	cursor := all[12][0][len("__CURSOR="):]
	if err := os.Remove(filepath.Join(dir, "x@0123-0001.journal")); err != nil {
		t.Fatal(err)
	}
	if err := j.Scan(); err != nil {
		t.Fatal(err)
	}
	if j.Files() != 1 {
		t.Fatalf("%d files after the vacuum", j.Files())
	}
	c, _ := journalfile.ParseCursor(cursor)
	k := openJournal(t, dir)
	k.SeekCursor(c)
	requireEqual(t, "after a vacuumed cursor", drain(t, k), after(t, dir, cursor))

	// SeekTail: only what comes after.
	tail := openJournal(t, dir)
	if err := tail.SeekTail(); err != nil {
		t.Fatal(err)
	}
	write(t, dir, "x.journal", exportEntries(20, 3, 4))
	if got := drain(t, tail); len(got) != 3 {
		t.Fatalf("after SeekTail: %d entries, want 3", len(got))
	}
}

// TestJournalRetiresArchived: an archived file read to the end is closed
// and not opened again; opened again (its inode changed), none of its
// entries comes twice.
func TestJournalRetiresArchived(t *testing.T) {
	requireTools(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "a@1.journal")
	write(t, dir, "a@1.journal", exportEntries(0, 10, 1))
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte{journalfile.StateArchived}, 16); err != nil {
		t.Fatal(err)
	}
	f.Close()
	write(t, dir, "b.journal", exportEntries(10, 5, 2))
	j := openJournal(t, dir)
	if got := drain(t, j); len(got) != 15 || j.Files() != 1 {
		t.Fatalf("%d entries, %d files open, want 15 and 1", len(got), j.Files())
	}
	if err := j.Scan(); err != nil {
		t.Fatal(err)
	}
	if j.Files() != 1 {
		t.Fatalf("%d files open after a scan: the archived one again", j.Files())
	}
	if err := os.Chmod(path, 0o600); err != nil { // a new change time: taken as another file
		t.Fatal(err)
	}
	if err := j.Scan(); err != nil {
		t.Fatal(err)
	}
	if got := drain(t, j); len(got) != 0 || j.Files() != 1 {
		t.Fatalf("%d entries again, %d files open", len(got), j.Files())
	}
}

// TestJournalVacuumAfterSeek: a file removed after a seek, before Next,
// still gives only the entries after the cursor.
func TestJournalVacuumAfterSeek(t *testing.T) {
	requireTools(t)
	dir := t.TempDir()
	write(t, dir, "x.journal", exportEntries(0, 10, 1))
	all := journalctl(t, "--directory="+dir)
	c, err := journalfile.ParseCursor(all[5][0][len("__CURSOR="):])
	if err != nil {
		t.Fatal(err)
	}
	j := openJournal(t, dir)
	j.SeekCursor(c)
	if err := os.Remove(filepath.Join(dir, "x.journal")); err != nil {
		t.Fatal(err)
	}
	if err := j.Scan(); err != nil {
		t.Fatal(err)
	}
	requireEqual(t, "after the cursor", drain(t, j), all[6:])
}
