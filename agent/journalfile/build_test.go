package journalfile_test

import (
	"encoding/binary"

	"github.com/pierrec/lz4/v4"

	"github.com/sluicelogs/sluice/agent/journalfile"
)

// build writes a minimal journal file in memory: a header, each entry's
// data objects (LZ4-compressed with lz4), the entry, and entry arrays of
// arrCap items. The hash tables are left out: the reader does not use
// them. It makes the fuzz seeds and the layouts the Debian tools do not
// write (LZ4).
func build(compact, lz bool, arrCap int, entries [][]string) []byte {
	const hsize = 272
	b := make([]byte, hsize)
	copy(b, "LPKSHHRH")
	var flags uint32 = journalfile.FlagKeyedHash
	if compact {
		flags |= journalfile.FlagCompact
	}
	if lz {
		flags |= journalfile.FlagLZ4
	}
	le := binary.LittleEndian
	le.PutUint32(b[12:], flags)
	b[16] = journalfile.StateOffline
	copy(b[72:], "seqnum-id-012345")
	le.PutUint64(b[88:], hsize)
	object := func(typ, oflags byte, body []byte) uint64 {
		off := uint64(len(b))
		h := make([]byte, 16)
		h[0], h[1] = typ, oflags
		le.PutUint64(h[8:], uint64(16+len(body)))
		b = append(b, h...)
		b = append(b, body...)
		for len(b)%8 != 0 {
			b = append(b, 0)
		}
		return off
	}
	put := func(dst []byte, v uint64) []byte {
		if compact {
			return le.AppendUint32(dst, uint32(v))
		}
		return le.AppendUint64(dst, v)
	}
	var offs []uint64
	for i, fields := range entries {
		var items []byte
		for _, f := range fields {
			body := make([]byte, 48) // hash, next hash, next field, entry, entry array, n entries
			if compact {
				body = append(body, make([]byte, 8)...)
			}
			var oflags byte
			if lz {
				c := make([]byte, lz4.CompressBlockBound(len(f)))
				n, _ := lz4.CompressBlock([]byte(f), c, nil)
				body = le.AppendUint64(body, uint64(len(f)))
				body = append(body, c[:n]...)
				oflags = 2
			} else {
				body = append(body, f...)
			}
			items = put(items, object(1, oflags, body))
			if !compact {
				items = le.AppendUint64(items, 0) // the hash
			}
		}
		e := make([]byte, 48)
		le.PutUint64(e[0:], uint64(i+1))                // seqnum
		le.PutUint64(e[8:], 1700000000000000+uint64(i)) // realtime
		le.PutUint64(e[16:], 1000+uint64(i))            // monotonic
		copy(e[24:40], "boot-id-01234567")
		le.PutUint64(e[40:], uint64(i)*7919) // xor hash
		offs = append(offs, object(3, 0, append(e, items...)))
	}
	var prev uint64
	for start := 0; start < len(offs); start += arrCap {
		body := make([]byte, 8)
		for i := start; i < start+arrCap; i++ {
			var v uint64
			if i < len(offs) {
				v = offs[i]
			}
			body = put(body, v)
		}
		off := object(6, 0, body)
		if prev == 0 {
			le.PutUint64(b[176:], off)
		} else {
			le.PutUint64(b[prev+16:], off)
		}
		prev = off
	}
	le.PutUint64(b[152:], uint64(len(entries)))
	le.PutUint64(b[96:], uint64(len(b)-hsize))
	return b
}
