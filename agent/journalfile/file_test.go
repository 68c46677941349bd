package journalfile_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluicelogs/sluice/agent/journalfile"
	"github.com/sluicelogs/sluice/testkit/journaltest"
)

// exportEntries writes n entries in journal export format, from entry
// first on, with fields that vary: text, binary (a newline, a NUL), a
// value with '=', values large enough that the file compresses them, and
// a varying number of fields.
func exportEntries(first, n int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, 7))
	var b bytes.Buffer
	for i := first; i < first+n; i++ {
		// Times apart from another seed's and from interleaved's.
		fmt.Fprintf(&b, "__REALTIME_TIMESTAMP=%d\n__MONOTONIC_TIMESTAMP=%d\n", 1700000000000000+i*1000+int(seed%500)+1, 5000+i*10+int(seed%5)+1)
		fmt.Fprintf(&b, "_BOOT_ID=0123456789abcdef0123456789abcdef\n_HOSTNAME=h\nMESSAGE=entry %d of the test\nPRIORITY=%d\n", i, i%8)
		fmt.Fprintf(&b, "SYSLOG_IDENTIFIER=app%d\n_PID=%d\nEQ=a=b=c\n", i%3, 100+i)
		for k := range rng.IntN(5) {
			fmt.Fprintf(&b, "F%d=%s\n", k, strings.Repeat("x", rng.IntN(40)))
		}
		if i%4 == 1 { // a binary field: journalctl writes it in the binary form
			v := fmt.Sprintf("line one %d\nline two\x00end", i)
			b.WriteString("BIN\n")
			b.Write([]byte{byte(len(v)), 0, 0, 0, 0, 0, 0, 0})
			b.WriteString(v + "\n")
		}
		if i%5 == 2 { // more than 512 bytes: compressed
			big := make([]byte, 600+rng.IntN(4000))
			for j := range big {
				big[j] = "abcdefgh ijklmnop"[rng.IntN(17)]
			}
			fmt.Fprintf(&b, "BIG=%s\n", big)
		}
		b.WriteString("\n")
	}
	return b.Bytes()
}

func requireTools(t testing.TB) {
	t.Helper()
	if err := journaltest.Tools(); err != nil {
		t.Fatal(err) // never skipped: the reference is the point
	}
}

// write appends entries to dir/name with systemd-journal-remote.
func write(t testing.TB, dir, name string, export []byte) {
	t.Helper()
	if err := journaltest.Write(context.Background(), filepath.Join(dir, name), bytes.NewReader(export)); err != nil {
		t.Fatal(err)
	}
}

// readAll reads every entry of the file at path as ExportFields gives them.
func readAll(t testing.TB, path string) [][]string {
	t.Helper()
	f, err := journalfile.Open(path, journalfile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var all [][]string
	var e journalfile.Entry
	var fields [][]byte
	var buf []byte
	for {
		ok, err := f.Next(&e)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			return all
		}
		if err := f.Fields(&e); err != nil {
			t.Fatal(err)
		}
		fields, buf = journalfile.ExportFields(fields[:0], buf, &e)
		fs := make([]string, len(fields))
		for i, f := range fields {
			fs[i] = string(f)
		}
		all = append(all, fs)
	}
}

// header is the header of the file at path.
func header(t *testing.T, path string) journalfile.Header {
	t.Helper()
	f, err := journalfile.Open(path, journalfile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return f.Header()
}

// requireSame compares the reader with journalctl entry by entry, field
// by field.
func requireSame(t *testing.T, path string, want int) {
	t.Helper()
	ref, got := journalctl(t, "--file="+path), readAll(t, path)
	if len(ref) != want {
		t.Fatalf("journalctl read %d entries, want %d", len(ref), want)
	}
	if len(got) != len(ref) {
		t.Fatalf("read %d entries, journalctl %d", len(got), len(ref))
	}
	for i := range ref {
		if len(got[i]) != len(ref[i]) {
			t.Fatalf("entry %d: %d fields, journalctl %d:\n%q\n%q", i, len(got[i]), len(ref[i]), got[i], ref[i])
		}
		for j := range ref[i] {
			if got[i][j] != ref[i][j] {
				t.Fatalf("entry %d field %d: %.200q, journalctl %.200q", i, j, got[i][j], ref[i][j])
			}
		}
	}
}

// TestAgainstJournalctl reads files systemd-journal-remote wrote (compact,
// zstd: systemd 252's defaults) and compares with journalctl.
func TestAgainstJournalctl(t *testing.T) {
	requireTools(t)
	dir := t.TempDir()
	write(t, dir, "a.journal", exportEntries(0, 300, 1))
	path := filepath.Join(dir, "a.journal")
	if h := header(t, path); h.Incompatible&(journalfile.FlagCompact|journalfile.FlagZSTD) != journalfile.FlagCompact|journalfile.FlagZSTD {
		t.Fatalf("flags %#x: not systemd 252's compact zstd files", h.Incompatible)
	}
	requireSame(t, path, 300)

	// Appended in several runs: the entry array chain grows across runs.
	for run := range 3 {
		write(t, dir, "a.journal", exportEntries(300+run*100, 100, uint64(run)+2))
	}
	requireSame(t, path, 600)
}

// TestAgainstJournalctlRegular does the same with the non-compact layout
// (64-bit offsets, items with hashes) and LZ4 where the tools allow it.
func TestAgainstJournalctlRegular(t *testing.T) {
	requireTools(t)
	t.Setenv("SYSTEMD_JOURNAL_COMPACT", "0")
	dir := t.TempDir()
	write(t, dir, "r.journal", exportEntries(0, 200, 9))
	path := filepath.Join(dir, "r.journal")
	if h := header(t, path); h.Incompatible&journalfile.FlagCompact != 0 {
		t.Fatalf("flags %#x: not the regular layout", h.Incompatible)
	}
	requireSame(t, path, 200)
}

// TestRefusesUnknownFlags: an incompatible flag the reader does not know,
// or XZ, is refused with ErrUnsupported.
func TestRefusesUnknownFlags(t *testing.T) {
	requireTools(t)
	dir := t.TempDir()
	write(t, dir, "a.journal", exportEntries(0, 3, 1))
	b, err := os.ReadFile(filepath.Join(dir, "a.journal"))
	if err != nil {
		t.Fatal(err)
	}
	for _, flag := range []byte{0x20, 0x01} {
		c := bytes.Clone(b)
		c[12] |= flag
		_, err := journalfile.FromBytes(c, journalfile.Options{})
		if !errors.Is(err, journalfile.ErrUnsupported) {
			t.Errorf("flag %#x: %v, want ErrUnsupported", flag, err)
		}
	}
	if _, err := journalfile.FromBytes([]byte("not a journal"), journalfile.Options{}); !errors.Is(err, journalfile.ErrFormat) {
		t.Errorf("not a journal: %v", err)
	}
}
