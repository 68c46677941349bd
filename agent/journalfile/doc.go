// Package journalfile reads systemd journal files (the binary files
// journald and systemd-journal-remote write, *.journal) directly, without
// journalctl and without cgo, for the agent's journald input.
//
// # Layout (systemd's JOURNAL_FILE_FORMAT.md, all integers little endian)
//
// A file starts with a header: the signature "LPKSHHRH", compatible and
// incompatible flags (uint32 each), a state byte, the file, machine, tail
// boot and seqnum ids (16 bytes each, from offset 24), then from offset 88
// uint64s: header size, arena size, the data and field hash tables
// (offset, size), the tail object, the counts of objects and entries
// (n_entries at 152), the tail and head seqnums, the offset of the first
// entry array (176), the head and tail realtime and the tail monotonic
// time (200). Newer systemd appends fields; the header size says how many.
//
// After the header come objects, each at an 8-byte aligned offset, each
// starting with a 16-byte object header: type (byte 0), compression flags
// (byte 1), and the object's size (uint64 at 8). The objects read here:
//
//   - entry array (type 6): the offset of the next array (at 16), then the
//     offsets of entries, in the order they were appended (from 24);
//   - entry (type 3): seqnum (16), realtime (24), monotonic (32), boot id
//     (40, 16 bytes), xor hash (56), then items, one per field, each
//     naming the data object holding FIELD=value (from 64);
//   - data (type 1): FIELD=value from offset 64, compressed when the
//     object's flags say so.
//
// Incompatible flags change how the file is read, and a reader must refuse
// a flag it does not know: XZ, LZ4 or ZSTD compressed data objects (a data
// object of LZ4 stores its uncompressed size as a uint64 before the
// block), a keyed hash (only lookups by hash care: not done here), and
// compact mode (systemd 252 and later): entry items and entry array
// items are uint32 offsets instead of uint64 (entry items drop their hash),
// and data objects carry 8 more bytes before the payload (from 72).
//
// # Invariants of the reader
//
// The file is untrusted: every offset and size is checked against the
// mapped length before use, an object is never read past the mapping, the
// walk of entry arrays stops after the header's n_entries and refuses a
// chain that goes backwards (no loops), and a decompressed field is
// bounded by the reader's MaxFieldBytes, so no allocation is larger than
// the file or that bound allows (FuzzFile). Reading never writes: the file
// is opened read-only and mapped with PROT_READ.
//
// A file may grow while it is read (journald appends: it writes the data
// and entry objects, links the entry into the array chain, then raises
// n_entries); Next re-reads n_entries and maps the file again when it
// grew past the mapping.
package journalfile
