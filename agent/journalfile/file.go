package journalfile

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"syscall"

	"github.com/klauspost/compress/zstd"
)

// Header flags (JOURNAL_FILE_FORMAT.md).
const (
	FlagXZ        = 1 << 0 // incompatible: XZ-compressed data objects
	FlagLZ4       = 1 << 1 // incompatible: LZ4-compressed data objects
	FlagKeyedHash = 1 << 2 // incompatible: keyed (siphash) field hashes
	FlagZSTD      = 1 << 3 // incompatible: ZSTD-compressed data objects
	FlagCompact   = 1 << 4 // incompatible: 32-bit offsets in entries and entry arrays

	// known are the incompatible flags this package reads. XZ is not one
	// of them: no systemd writes it by default since 246, and a file that
	// has it is left to journalctl.
	known = FlagLZ4 | FlagKeyedHash | FlagZSTD | FlagCompact
)

// Header states.
const (
	StateOffline  = 0
	StateOnline   = 1 // a writer has the file open
	StateArchived = 2 // rotated: no more entries will come
)

// Object types and flags.
const (
	objData       = 1
	objEntry      = 3
	objEntryArray = 6

	objXZ   = 1 << 0
	objLZ4  = 1 << 1
	objZSTD = 1 << 2
)

// Header byte offsets.
const (
	hIncompatible = 12
	hState        = 16
	hFileID       = 24
	hMachineID    = 40
	hSeqnumID     = 72
	hHeaderSize   = 88
	hArenaSize    = 96
	hNEntries     = 152
	hTailSeqnum   = 160
	hHeadSeqnum   = 168
	hEntryArray   = 176
	hHeadRealtime = 184
	hTailRealtime = 192
	hMinSize      = 208 // the header up to tail_entry_monotonic (systemd 187 and earlier lack the rest)
)

const signature = "LPKSHHRH"

// ErrFormat is wrapped by the errors of a file that is not a journal file
// this package can read (or is corrupt).
var ErrFormat = errors.New("journal file")

// ErrUnsupported is wrapped by the error of a journal file with an
// incompatible flag this package does not read: journalctl may.
var ErrUnsupported = errors.New("journal file: unsupported")

// Header is the part of a file's header the reader uses. Counters that
// grow (n_entries) are read again by Next.
type Header struct {
	Compatible, Incompatible uint32
	State                    byte
	FileID, MachineID        [16]byte
	SeqnumID                 [16]byte
	HeaderSize, ArenaSize    uint64
	HeadSeqnum, TailSeqnum   uint64
}

// Options bound what a reader keeps.
type Options struct {
	// MaxFieldBytes bounds a decompressed field; a larger one is left out
	// and its entry flagged Truncated. <= 0: DefaultMaxFieldBytes.
	MaxFieldBytes int
}

// DefaultMaxFieldBytes is the default bound of a decompressed field.
const DefaultMaxFieldBytes = 64 << 20

// File is one journal file opened for reading. Not safe for concurrent
// use.
type File struct {
	path     string
	f        *os.File // nil when reading bytes (FromBytes)
	m        []byte   // the mapping, or the bytes
	retired  [][]byte // mappings replaced by a larger one, unmapped at the next Fields
	h        Header
	compact  bool
	maxField int
	zd       *zstd.Decoder

	// The walk: the entry array being read, the index of the next item
	// in it, and how many entries were returned.
	arr, arrCap, arrIdx uint64
	n                   uint64

	buf   []byte // decompressed fields of the current entry
	spans []span
}

type span struct {
	start, end int
	inBuf      bool
}

// Open opens the journal file at path read-only, maps it and checks its
// header. An error wraps ErrUnsupported when the file has an incompatible
// flag the reader does not know, ErrFormat when it is not a journal file.
func Open(path string, o Options) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	jf := &File{path: path, f: f}
	if err := jf.remap(); err != nil {
		f.Close()
		return nil, err
	}
	if err := jf.init(o); err != nil {
		jf.Close()
		return nil, err
	}
	return jf, nil
}

// FromBytes reads a journal file held in b (tests, fuzzing).
func FromBytes(b []byte, o Options) (*File, error) {
	jf := &File{path: "(bytes)", m: b}
	if err := jf.init(o); err != nil {
		return nil, err
	}
	return jf, nil
}

// Path is the file's path.
func (f *File) Path() string { return f.path }

// Header is the file's header as read at Open.
func (f *File) Header() Header { return f.h }

// State is the file's state now (StateArchived: nothing more will come).
func (f *File) State() byte { return f.m[hState] }

// Close unmaps and closes the file.
func (f *File) Close() error {
	if f.zd != nil {
		f.zd.Close()
	}
	if f.f == nil {
		return nil
	}
	f.unmapRetired()
	if f.m != nil {
		_ = syscall.Munmap(f.m)
		f.m = nil
	}
	return f.f.Close()
}

func (f *File) init(o Options) error {
	f.maxField = o.MaxFieldBytes
	if f.maxField <= 0 {
		f.maxField = DefaultMaxFieldBytes
	}
	m := f.m
	if len(m) < hMinSize || string(m[:8]) != signature {
		return fmt.Errorf("%w %s: no journal header (%d bytes)", ErrFormat, f.path, len(m))
	}
	h := Header{
		Compatible:   le32(m, 8),
		Incompatible: le32(m, hIncompatible),
		State:        m[hState],
		HeaderSize:   le64(m, hHeaderSize),
		ArenaSize:    le64(m, hArenaSize),
		HeadSeqnum:   le64(m, hHeadSeqnum),
		TailSeqnum:   le64(m, hTailSeqnum),
	}
	copy(h.FileID[:], m[hFileID:])
	copy(h.MachineID[:], m[hMachineID:])
	copy(h.SeqnumID[:], m[hSeqnumID:])
	if unknown := h.Incompatible &^ known; unknown != 0 {
		what := fmt.Sprintf("unknown incompatible flags %#x", unknown)
		if unknown == FlagXZ {
			what = "XZ-compressed data"
		}
		return fmt.Errorf("%w %s: %s", ErrUnsupported, f.path, what)
	}
	if h.HeaderSize < hMinSize || h.HeaderSize > uint64(len(m)) || h.HeaderSize%8 != 0 {
		return fmt.Errorf("%w %s: header size %d (file %d bytes)", ErrFormat, f.path, h.HeaderSize, len(m))
	}
	f.h = h
	f.compact = h.Incompatible&FlagCompact != 0
	return nil
}

// remap maps the file as long as it is now, retiring the old mapping.
func (f *File) remap() error {
	if f.f == nil {
		return nil
	}
	st, err := f.f.Stat()
	if err != nil {
		return err
	}
	size := st.Size()
	if size <= int64(len(f.m)) {
		return nil
	}
	if int64(int(size)) != size {
		return fmt.Errorf("%w %s: %d bytes do not fit in memory", ErrFormat, f.path, size)
	}
	m, err := syscall.Mmap(int(f.f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return fmt.Errorf("mapping %s: %w", f.path, err)
	}
	if f.m != nil {
		f.retired = append(f.retired, f.m)
	}
	f.m = m
	return nil
}

func (f *File) unmapRetired() {
	for _, m := range f.retired {
		_ = syscall.Munmap(m)
	}
	f.retired = f.retired[:0]
}

func le32(b []byte, off uint64) uint32 { return binary.LittleEndian.Uint32(b[off:]) }
func le64(b []byte, off uint64) uint64 { return binary.LittleEndian.Uint64(b[off:]) }
