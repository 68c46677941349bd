package zkproto

import (
	"errors"
	"reflect"
	"runtime"
	"testing"
)

func TestNullAndEmpty(t *testing.T) {
	e := NewEncoder(nil)
	e.WriteBuffer(nil)
	e.WriteBuffer([]byte{})
	e.WriteStrings(nil)
	e.WriteStrings([]string{})
	e.WriteString("")
	e.WriteInt32(-1) // a null ustring as Java writes it
	want := []byte{
		0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0,
		0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0,
		0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff,
	}
	if !reflect.DeepEqual(e.Bytes(), want) {
		t.Fatalf("encoded %x, want %x", e.Bytes(), want)
	}
	d := NewDecoder(e.Bytes())
	if b := d.ReadBuffer(); b != nil {
		t.Errorf("null buffer = %#v, want nil", b)
	}
	if b := d.ReadBuffer(); b == nil || len(b) != 0 {
		t.Errorf("empty buffer = %#v, want non-nil empty", b)
	}
	if v := d.ReadStrings(); v != nil {
		t.Errorf("null vector = %#v, want nil", v)
	}
	if v := d.ReadStrings(); v == nil || len(v) != 0 {
		t.Errorf("empty vector = %#v, want non-nil empty", v)
	}
	if s := d.ReadString(); s != "" {
		t.Errorf("empty string = %q", s)
	}
	if s := d.ReadString(); s != "" {
		t.Errorf("null string = %q", s)
	}
	if err := d.Finish(); err != nil {
		t.Fatal(err)
	}
}

func TestPrimitivesRoundTrip(t *testing.T) {
	e := NewEncoder(make([]byte, 0, 64))
	e.WriteInt32(-2147483648)
	e.WriteInt64(-1)
	e.WriteBool(true)
	e.WriteBool(false)
	e.WriteString("héllo")
	d := NewDecoder(e.Bytes())
	if v := d.ReadInt32(); v != -2147483648 {
		t.Errorf("int32 %d", v)
	}
	if v := d.ReadInt64(); v != -1 {
		t.Errorf("int64 %d", v)
	}
	if !d.ReadBool() || d.ReadBool() {
		t.Error("bools")
	}
	if s := d.ReadString(); s != "héllo" {
		t.Errorf("string %q", s)
	}
	if err := d.Finish(); err != nil {
		t.Fatal(err)
	}
}

func TestBoolNonZeroIsTrue(t *testing.T) {
	if !NewDecoder([]byte{7}).ReadBool() {
		t.Fatal("byte 7 should read as true")
	}
}

func TestDecoderErrorsAreSticky(t *testing.T) {
	d := NewDecoder([]byte{0, 0, 0, 1, 0xaa})
	d.ReadInt32()
	if v := d.ReadInt64(); v != 0 || !errors.Is(d.Err(), ErrShort) {
		t.Fatalf("ReadInt64 = %d, err %v", v, d.Err())
	}
	first := d.Err()
	d.ReadBool() // a byte is left, but the decoder has failed
	if d.Err() != first || d.Offset() != 4 {
		t.Fatalf("error not sticky: %v at offset %d", d.Err(), d.Offset())
	}
}

func TestBadLengths(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		read func(d *Decoder)
		want error
	}{
		{"buffer -2", []byte{0xff, 0xff, 0xff, 0xfe}, func(d *Decoder) { d.ReadBuffer() }, ErrMalformed},
		{"buffer min int32", []byte{0x80, 0, 0, 0}, func(d *Decoder) { d.ReadBuffer() }, ErrMalformed},
		{"buffer longer than input", []byte{0, 0, 0, 5, 1, 2, 3, 4}, func(d *Decoder) { d.ReadBuffer() }, ErrShort},
		{"string huge", []byte{0x7f, 0xff, 0xff, 0xff}, func(d *Decoder) { d.ReadString() }, ErrShort},
		{"vector huge", []byte{0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0}, func(d *Decoder) { d.ReadStrings() }, ErrShort},
		// 3 elements need at least 12 bytes; 11 are left.
		{"vector count vs bytes", append([]byte{0, 0, 0, 3}, make([]byte, 11)...), func(d *Decoder) { d.ReadStrings() }, ErrShort},
		{"acl vector huge", []byte{0x10, 0, 0, 0, 0, 0, 0, 0}, func(d *Decoder) { readACLs(d) }, ErrShort},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := NewDecoder(tc.in)
			tc.read(d)
			if !errors.Is(d.Err(), tc.want) {
				t.Fatalf("err = %v, want %v", d.Err(), tc.want)
			}
		})
	}
}

// allocatedBytes reports the bytes f allocates on average.
func allocatedBytes(runs int, f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range runs {
		f()
	}
	runtime.ReadMemStats(&after)
	return (after.TotalAlloc - before.TotalAlloc) / uint64(runs)
}

func TestHugeLengthDoesNotAllocate(t *testing.T) {
	// A create whose data claims 2 GiB, followed by only a few bytes.
	body := []byte{0, 0, 0, 2, '/', 'a', 0x7f, 0xff, 0xff, 0xfe, 1, 2, 3}
	n := allocatedBytes(100, func() {
		if _, err := DecodeRequest(RequestHeader{Type: OpCreate}, body); !errors.Is(err, ErrShort) {
			t.Fatalf("err = %v", err)
		}
	})
	if n > 1024 {
		t.Fatalf("decoding a 2 GiB length prefix allocated %d bytes per call", n)
	}
}

func TestEncoderReusesBuffer(t *testing.T) {
	var e Encoder
	buf := make([]byte, 0, 256)
	allocs := testing.AllocsPerRun(100, func() {
		e.Reset(buf)
		h := ReplyHeader{Xid: 3, Zxid: 4}
		h.Encode(&e)
		r := GetDataResponse{Data: []byte("payload"), Stat: sampleStat}
		r.Encode(&e)
	})
	if allocs != 0 {
		t.Fatalf("encoding into a large enough buffer allocated %v times", allocs)
	}
}

func BenchmarkDecodeCreate(b *testing.B) {
	body := encode(sampleRequests()[0])
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := DecodeRequest(RequestHeader{Type: OpCreate}, body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeGetDataResponse(b *testing.B) {
	var e Encoder
	buf := make([]byte, 0, 512)
	r := GetDataResponse{Data: make([]byte, 100), Stat: sampleStat}
	b.ReportAllocs()
	for b.Loop() {
		e.Reset(buf)
		at := e.BeginPacket()
		h := ReplyHeader{Xid: 3, Zxid: 4}
		h.Encode(&e)
		r.Encode(&e)
		e.EndPacket(at)
	}
}
