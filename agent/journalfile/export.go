package journalfile

import (
	"bytes"
	"encoding/hex"
	"strconv"
)

// ExportFields appends to dst the fields `journalctl -o export` writes
// for e, in its order: __CURSOR, __REALTIME_TIMESTAMP,
// __MONOTONIC_TIMESTAMP and _BOOT_ID (from the entry's address), then the
// entry's own fields but _BOOT_ID. Each is NAME=value; the address fields
// are written to buf (returned, to be reused), the others point where
// e.Fields do.
func ExportFields(dst [][]byte, buf []byte, e *Entry) ([][]byte, []byte) {
	buf = buf[:0]
	var ends [4]int
	buf = AppendCursor(append(buf, "__CURSOR="...), e)
	ends[0] = len(buf)
	buf = strconv.AppendUint(append(buf, "__REALTIME_TIMESTAMP="...), e.Realtime, 10)
	ends[1] = len(buf)
	buf = strconv.AppendUint(append(buf, "__MONOTONIC_TIMESTAMP="...), e.Monotonic, 10)
	ends[2] = len(buf)
	buf = hex.AppendEncode(append(buf, "_BOOT_ID="...), e.BootID[:])
	ends[3] = len(buf)
	start := 0
	for _, end := range ends {
		dst = append(dst, buf[start:end:end])
		start = end
	}
	for _, f := range e.Fields {
		if !bytes.HasPrefix(f, []byte("_BOOT_ID=")) {
			dst = append(dst, f)
		}
	}
	return dst, buf
}
