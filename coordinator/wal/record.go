package wal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"

	"google.golang.org/protobuf/proto"
)

// Record types: the first payload byte.
const (
	recEntry     byte = 1
	recHardState byte = 2
	recMarker    byte = 3
	recSnapshot  byte = 4
	// recSnapshotStream is a snapshot file streamed by CreateSnapshotFrom
	// (snapstream.go).
	recSnapshotStream byte = 5
)

const (
	headerSize = 8
	// MaxRecordSize bounds one record in a log segment (header excluded).
	MaxRecordSize = 64 << 20
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// appendRecord appends one framed record of type typ holding m to buf.
// The protobuf is marshalled straight into buf, so a reused buf makes this
// allocation-free.
func appendRecord(buf []byte, typ byte, m proto.Message) ([]byte, error) {
	start := len(buf)
	buf = append(buf, 0, 0, 0, 0, 0, 0, 0, 0, typ)
	buf, err := proto.MarshalOptions{}.MarshalAppend(buf, m)
	if err != nil {
		return buf[:start], err
	}
	payload := buf[start+headerSize:]
	if len(payload) > MaxRecordSize && typ != recSnapshot {
		return buf[:start], fmt.Errorf("wal: record of %d bytes exceeds the %d byte limit", len(payload), MaxRecordSize)
	}
	binary.LittleEndian.PutUint32(buf[start:], uint32(len(payload)))
	binary.LittleEndian.PutUint32(buf[start+4:], crc32.Checksum(payload, castagnoli))
	return buf, nil
}

// Reasons a record cannot be read.
var (
	errShort    = errors.New("record cut short")
	errBadLen   = errors.New("impossible record length")
	errChecksum = errors.New("checksum mismatch")
)

// parseHeader checks the header at the start of b against the bytes that
// remain (remaining counts the header too) and the size limit, and returns
// the payload length.
func parseHeader(b []byte, remaining, limit int64) (int64, error) {
	if remaining < headerSize || len(b) < headerSize {
		return 0, errShort
	}
	n := int64(binary.LittleEndian.Uint32(b))
	if n == 0 || n > limit {
		return 0, errBadLen
	}
	if n > remaining-headerSize {
		return 0, errShort
	}
	return n, nil
}

func checkPayload(header, payload []byte) error {
	if crc32.Checksum(payload, castagnoli) != binary.LittleEndian.Uint32(header[4:]) {
		return errChecksum
	}
	return nil
}
