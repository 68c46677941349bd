package journalfile

import (
	"cmp"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
)

// Cursor is an entry's address as journalctl writes it:
// s=<seqnum id>;i=<seqnum>;b=<boot id>;m=<monotonic>;t=<realtime>;x=<xor hash>
// (ids as 32 hex digits, numbers in hex). A parsed cursor says which
// parts it had.
type Cursor struct {
	SeqnumID, BootID                     [16]byte
	Seqnum, Monotonic, Realtime, XorHash uint64
	HasSeqnum, HasMonotonic, HasRealtime bool
	HasXorHash                           bool
}

// AppendCursor appends e's cursor to dst.
func AppendCursor(dst []byte, e *Entry) []byte {
	dst = append(dst, "s="...)
	dst = hex.AppendEncode(dst, e.SeqnumID[:])
	dst = append(dst, ";i="...)
	dst = strconv.AppendUint(dst, e.Seqnum, 16)
	dst = append(dst, ";b="...)
	dst = hex.AppendEncode(dst, e.BootID[:])
	dst = append(dst, ";m="...)
	dst = strconv.AppendUint(dst, e.Monotonic, 16)
	dst = append(dst, ";t="...)
	dst = strconv.AppendUint(dst, e.Realtime, 16)
	dst = append(dst, ";x="...)
	return strconv.AppendUint(dst, e.XorHash, 16)
}

// ParseCursor parses a cursor as journalctl does: parts in any order,
// unknown parts ignored; a seqnum needs its seqnum id and a monotonic time
// its boot id.
func ParseCursor(s string) (Cursor, error) {
	var c Cursor
	var hasS, hasB bool
	for _, part := range strings.Split(s, ";") {
		k, v, ok := strings.Cut(part, "=")
		if !ok || len(k) != 1 {
			return c, fmt.Errorf("cursor %q: part %q", s, part)
		}
		var err error
		switch k {
		case "s":
			err, hasS = id(v, &c.SeqnumID), true
		case "b":
			err, hasB = id(v, &c.BootID), true
		case "i":
			err = num(v, &c.Seqnum, &c.HasSeqnum)
		case "m":
			err = num(v, &c.Monotonic, &c.HasMonotonic)
		case "t":
			err = num(v, &c.Realtime, &c.HasRealtime)
		case "x":
			err = num(v, &c.XorHash, &c.HasXorHash)
		}
		if err != nil {
			return c, fmt.Errorf("cursor %q: part %q: %w", s, part, err)
		}
	}
	c.HasSeqnum = c.HasSeqnum && hasS
	c.HasMonotonic = c.HasMonotonic && hasB
	if !c.HasSeqnum && !c.HasMonotonic && !c.HasRealtime {
		return c, fmt.Errorf("cursor %q: no position in it", s)
	}
	return c, nil
}

func num(v string, dst *uint64, has *bool) (err error) {
	*dst, err = strconv.ParseUint(v, 16, 64)
	*has = true
	return err
}

func id(v string, dst *[16]byte) error {
	if len(v) != 32 {
		return fmt.Errorf("an id of %d hex digits", len(v))
	}
	_, err := hex.Decode(dst[:], []byte(v))
	return err
}

// Compare orders e against c as journalctl orders entries: by seqnum when
// both come from the same seqnum id, else by monotonic time within the
// same boot, else by realtime, then by xor hash; 0 when every part c has
// matches.
func (c *Cursor) Compare(e *Entry) int {
	if c.HasSeqnum && c.SeqnumID == e.SeqnumID {
		if r := cmp.Compare(e.Seqnum, c.Seqnum); r != 0 {
			return r
		}
	}
	if c.HasMonotonic && c.BootID == e.BootID {
		if r := cmp.Compare(e.Monotonic, c.Monotonic); r != 0 {
			return r
		}
	}
	if c.HasRealtime {
		if r := cmp.Compare(e.Realtime, c.Realtime); r != 0 {
			return r
		}
	}
	if c.HasXorHash {
		return cmp.Compare(e.XorHash, c.XorHash)
	}
	return 0
}

// At is the cursor of e, with every part.
func At(e *Entry) Cursor {
	return Cursor{SeqnumID: e.SeqnumID, BootID: e.BootID, Seqnum: e.Seqnum, Monotonic: e.Monotonic,
		Realtime: e.Realtime, XorHash: e.XorHash, HasSeqnum: true, HasMonotonic: true, HasRealtime: true, HasXorHash: true}
}
