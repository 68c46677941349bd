package zkproto

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

func TestReadPacketStream(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789"), 30000) // 300 KB, several read chunks
	var stream []byte
	stream = AppendPacket(stream, []byte("first"))
	stream = AppendPacket(stream, nil)
	stream = AppendPacket(stream, big)
	stream = AppendPacket(stream, []byte("last"))

	r := iotest.HalfReader(bytes.NewReader(stream))
	var buf []byte
	for i, want := range [][]byte{[]byte("first"), {}, big, []byte("last")} {
		got, err := ReadPacket(r, buf, 0)
		if err != nil {
			t.Fatalf("packet %d: %v", i, err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("packet %d: got %d bytes, want %d", i, len(got), len(want))
		}
		buf = got
	}
	if _, err := ReadPacket(r, buf, 0); err != io.EOF {
		t.Fatalf("at end of stream: err = %v, want io.EOF", err)
	}
}

func TestReadPacketReusesBuffer(t *testing.T) {
	stream := AppendPacket(nil, []byte("abc"))
	buf := make([]byte, 0, 64)
	got, err := ReadPacket(bytes.NewReader(stream), buf, 0)
	if err != nil || &got[:1][0] != &buf[:1][0] {
		t.Fatalf("ReadPacket did not reuse buf (err %v)", err)
	}
}

func TestReadPacketErrors(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		max  int
		want error
	}{
		{"negative", []byte{0xff, 0xff, 0xff, 0xff}, 0, ErrMalformed},
		{"over default max", []byte{0x7f, 0xff, 0xff, 0xff}, 0, ErrTooLarge},
		{"over explicit max", []byte{0, 0, 0, 11}, 10, ErrTooLarge},
		{"truncated length", []byte{0, 0}, 0, io.ErrUnexpectedEOF},
		{"truncated body", []byte{0, 0, 0, 4, 'a'}, 0, io.ErrUnexpectedEOF},
		{"body missing", []byte{0, 0, 0, 4}, 0, io.ErrUnexpectedEOF},
		{"empty stream", nil, 0, io.EOF},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ReadPacket(bytes.NewReader(tc.in), nil, tc.max); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
	// Exactly max is allowed.
	if _, err := ReadPacket(bytes.NewReader(AppendPacket(nil, make([]byte, 10))), nil, 10); err != nil {
		t.Fatalf("packet of exactly max: %v", err)
	}
}

func TestReadPacketHugeLengthDoesNotAllocate(t *testing.T) {
	in := []byte{0x7f, 0xff, 0xff, 0xff, 1, 2, 3}
	buf := make([]byte, 0, 16)
	n := allocatedBytes(100, func() {
		if _, err := ReadPacket(bytes.NewReader(in), buf, 0); !errors.Is(err, ErrTooLarge) {
			t.Fatalf("err = %v", err)
		}
	})
	if n > 1024 {
		t.Fatalf("rejecting a 2 GiB length allocated %d bytes per call", n)
	}
	// A length within the limit whose body never arrives must not cost
	// the whole announced size either.
	in = []byte{0, 0x10, 0, 0, 1, 2, 3} // 1 MiB announced, 3 bytes sent
	n = allocatedBytes(20, func() {
		if _, err := ReadPacket(bytes.NewReader(in), nil, 0); !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("err = %v", err)
		}
	})
	if n > 2*readChunk {
		t.Fatalf("a stalled 1 MiB packet allocated %d bytes per call", n)
	}
}

func TestBeginEndPacket(t *testing.T) {
	e := NewEncoder([]byte("prefix"))
	at := e.BeginPacket()
	h := ReplyHeader{Xid: XidPing, Zxid: 5}
	h.Encode(e)
	e.EndPacket(at)
	got, err := ReadPacket(bytes.NewReader(e.Bytes()[len("prefix"):]), nil, 0)
	if err != nil || len(got) != 16 {
		t.Fatalf("ReadPacket = %x, %v", got, err)
	}
	var back ReplyHeader
	if err := back.Decode(NewDecoder(got)); err != nil || back != h {
		t.Fatalf("decoded %+v, %v", back, err)
	}
}
