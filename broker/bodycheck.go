package broker

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"reflect"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// Decoding a request allocates its arrays before their elements arrive:
// kmsg checks only that an array's count is at most half the bytes left,
// while an element may take 40 to 80 bytes in memory, so a 32 MiB Fetch
// of empty topics made kmsg allocate 1.2 GB. Before kmsg decodes a
// request body, checkBody walks it with the request's layout and adds up
// what decoding it will allocate (every array's elements in memory, every
// string, every tagged field), and refuses the request when that passes
// maxDecodeRatio times its size (plus decodeSlack): well-formed requests
// stay below 3 times; only ones made of empty elements pass 8.
//
// The layouts are learnt from kmsg itself, not kept by hand: for each
// API version the broker implements, bodyLayout sets one field of a
// request at a time and encodes it (kmsg's AppendTo): a field whose
// setting leaves the encoding unchanged is absent in that version; one
// that changes bytes in place is a fixed-size field; one that grows the
// encoding where the struct's tagged-field count was (0 becoming 1) is a
// tagged field, skipped with the tagged-field section; any other is a
// string, bytes or array of the Go type's kind. TestBodyLayouts checks
// every layout against encoded requests.
const (
	maxDecodeRatio = 8
	decodeSlack    = 8 << 10
)

// wireKind is how a field is encoded.
type wireKind uint8

const (
	wireFixed  wireKind = iota // size bytes
	wireString                 // int16 length (compact: uvarint length+1); < 0 null
	wireBytes                  // int32 length (compact: uvarint length+1); < 0 null
	wireArray                  // int32 count (compact: uvarint count+1); < 0 null
)

type fieldLayout struct {
	name     string
	kind     wireKind
	size     int     // wireFixed: bytes
	nullable bool    // wireString: a *string, which decoding allocates too
	elem     *layout // wireArray of structs
	elemKind wireKind
	elemSize int   // wireArray of fixed-size elements: bytes each
	memSize  int64 // wireArray: bytes of one element in memory
}

// layout is a struct's fields in wire order (without tagged fields).
type layout struct{ fields []fieldLayout }

// bodyLayout is one request version's layout.
type bodyLayout struct {
	root     *layout
	flexible bool
	memSize  int64 // the request struct
}

var tagsType = reflect.TypeOf(kmsg.Tags{})

// newBodyLayout learns the layout of key's request at version.
func newBodyLayout(key kmsg.Key, version int16) (*bodyLayout, error) {
	req := key.Request()
	req.SetVersion(version)
	p := prober{key: key, version: version, flexible: req.IsFlexible()}
	t := reflect.TypeOf(req).Elem()
	root, err := p.layout(nil, t, true)
	if err != nil {
		return nil, err
	}
	return &bodyLayout{root: root, flexible: p.flexible, memSize: int64(t.Size())}, nil
}

// prober encodes requests of one API version with one field set.
type prober struct {
	key      kmsg.Key
	version  int16
	flexible bool
}

// build returns a new request and the struct at path in it: path holds
// the index of an array field at each level, each given one element.
func (p prober) build(path []int) (kmsg.Request, reflect.Value) {
	req := p.key.Request()
	setDefault(reflect.ValueOf(req))
	req.SetVersion(p.version)
	cur := reflect.ValueOf(req).Elem()
	for _, i := range path {
		f := cur.Field(i)
		s := reflect.MakeSlice(f.Type(), 1, 1)
		setDefault(s.Index(0).Addr())
		f.Set(s)
		cur = f.Index(0)
	}
	return req, cur
}

func setDefault(v reflect.Value) {
	if m := v.MethodByName("Default"); m.IsValid() {
		m.Call(nil)
	}
}

func (p prober) layout(path []int, t reflect.Type, root bool) (*layout, error) {
	l := &layout{}
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		if sf.Type == tagsType || root && sf.Name == "Version" || !sf.IsExported() {
			continue
		}
		if sf.Type.Kind() == reflect.Struct {
			continue // kmsg's struct fields are tagged ones (TestBodyLayouts checks)
		}
		present, tagged, err := p.probe(path, i)
		if err != nil {
			return nil, fmt.Errorf("%s v%d %s: %w", p.key.Name(), p.version, sf.Name, err)
		}
		if !present || tagged {
			continue
		}
		f := fieldLayout{name: sf.Name}
		ft := sf.Type
		switch ft.Kind() {
		case reflect.Bool, reflect.Int8, reflect.Uint8:
			f.kind, f.size = wireFixed, 1
		case reflect.Int16, reflect.Uint16:
			f.kind, f.size = wireFixed, 2
		case reflect.Int32, reflect.Uint32, reflect.Float32:
			f.kind, f.size = wireFixed, 4
		case reflect.Int64, reflect.Uint64, reflect.Float64:
			f.kind, f.size = wireFixed, 8
		case reflect.Array:
			f.kind, f.size = wireFixed, int(ft.Size())
		case reflect.String:
			f.kind = wireString
		case reflect.Pointer:
			if ft.Elem().Kind() != reflect.String {
				return nil, fmt.Errorf("%s v%d %s: unknown field type %s", p.key.Name(), p.version, sf.Name, ft)
			}
			f.kind, f.nullable = wireString, true
		case reflect.Slice:
			et := ft.Elem()
			f.memSize = int64(et.Size())
			switch et.Kind() {
			case reflect.Uint8:
				f.kind = wireBytes
			case reflect.Struct:
				f.kind = wireArray
				elem, err := p.layout(append(append([]int(nil), path...), i), et, false)
				if err != nil {
					return nil, err
				}
				f.elem = elem
			case reflect.String:
				f.kind, f.elemKind = wireArray, wireString
			case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
				f.kind, f.elemKind, f.elemSize = wireArray, wireFixed, int(et.Size())
			default:
				return nil, fmt.Errorf("%s v%d %s: unknown element type %s", p.key.Name(), p.version, sf.Name, et)
			}
		default:
			return nil, fmt.Errorf("%s v%d %s: unknown field type %s", p.key.Name(), p.version, sf.Name, ft)
		}
		l.fields = append(l.fields, f)
	}
	return l, nil
}

// probe reports whether field i of the struct at path is encoded in this
// version, and whether as a tagged field.
func (p prober) probe(path []int, i int) (present, tagged bool, err error) {
	req, s := p.build(path)
	base := req.AppendTo(nil)
	f := s.Field(i)
	switch f.Kind() {
	case reflect.Bool:
		f.SetBool(!f.Bool())
	case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		f.SetInt(f.Int() ^ 1)
	case reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		f.SetUint(f.Uint() ^ 1)
	case reflect.Float32, reflect.Float64:
		f.SetFloat(f.Float() + 1)
	case reflect.Array:
		f.Index(0).SetUint(f.Index(0).Uint() ^ 1)
	case reflect.String:
		f.SetString(f.String() + "a")
	case reflect.Pointer:
		v := "a"
		f.Set(reflect.ValueOf(&v))
	case reflect.Slice:
		e := reflect.New(f.Type().Elem())
		setDefault(e)
		f.Set(reflect.Append(f, e.Elem()))
	default:
		return false, false, fmt.Errorf("cannot set a %s", f.Type())
	}
	set := req.AppendTo(nil)
	switch {
	case bytes.Equal(set, base):
		return false, false, nil
	case len(set) == len(base):
		return true, false, nil
	}
	d := 0
	for d < len(base) && base[d] == set[d] {
		d++
	}
	// A tagged field's struct had no tags (0) and now has one; a string,
	// bytes or array from null (0) is now one long (2), from empty (1)
	// one element (2) or longer.
	tagged = p.flexible && d < len(base) && base[d] == 0 && set[d] == 1
	return true, tagged, nil
}

// check walks body, which bl describes, adding up what decoding
// it allocates, and fails once that passes limit.
func (bl *bodyLayout) check(body []byte, limit int64) error {
	_, _, err := bl.walk(body, limit)
	return err
}

// walk walks body and returns what is left after it and what decoding it
// allocates.
func (bl *bodyLayout) walk(body []byte, limit int64) (rest []byte, alloc int64, err error) {
	w := bodyWalker{b: body, flexible: bl.flexible, limit: limit, alloc: bl.memSize}
	w.walk(bl.root)
	return w.b, w.alloc, w.err
}

type bodyWalker struct {
	b        []byte
	flexible bool
	alloc    int64
	limit    int64
	err      error
}

func (w *bodyWalker) fail(format string, args ...any) {
	if w.err == nil {
		w.err = fmt.Errorf(format, args...)
	}
}

func (w *bodyWalker) charge(n int64) {
	w.alloc += n
	if w.alloc > w.limit {
		w.fail("decoding would allocate more than %d bytes", w.limit)
	}
}

func (w *bodyWalker) skip(n int) {
	if n < 0 || n > len(w.b) {
		w.fail("%d bytes past the end", n-len(w.b))
		w.b = nil
		return
	}
	w.b = w.b[n:]
}

func (w *bodyWalker) uvarint() uint64 {
	v, n := binary.Uvarint(w.b)
	if n <= 0 {
		w.fail("bad varint")
		w.b = nil
		return 0
	}
	w.b = w.b[n:]
	return v
}

// length reads a string, bytes or array length (fixed bytes wide when not
// flexible); < 0 is null.
func (w *bodyWalker) length(width int) int64 {
	if w.flexible {
		return int64(w.uvarint()) - 1
	}
	if len(w.b) < width {
		w.fail("truncated length")
		w.b = nil
		return -1
	}
	var n int64
	if width == 2 {
		n = int64(int16(binary.BigEndian.Uint16(w.b)))
	} else {
		n = int64(int32(binary.BigEndian.Uint32(w.b)))
	}
	w.b = w.b[width:]
	return n
}

func (w *bodyWalker) str(nullable bool) {
	n := w.length(2)
	if n < 0 {
		return
	}
	if nullable {
		w.charge(16)
	}
	w.charge(n)
	w.skip(int(min(n, int64(len(w.b))+1)))
}

func (w *bodyWalker) walk(l *layout) {
	for _, f := range l.fields {
		if w.err != nil {
			return
		}
		switch f.kind {
		case wireFixed:
			w.skip(f.size)
		case wireString:
			w.str(f.nullable)
		case wireBytes:
			if n := w.length(4); n > 0 {
				w.skip(int(min(n, int64(len(w.b))+1)))
			}
		case wireArray:
			n := w.length(4)
			if n <= 0 {
				continue
			}
			w.charge(n * f.memSize) // before a single element is looked at
			if w.err != nil {
				return
			}
			for range n {
				switch {
				case f.elem != nil:
					w.walk(f.elem)
				case f.elemKind == wireString:
					w.str(false)
				default:
					w.skip(f.elemSize)
				}
				if w.err != nil {
					return
				}
			}
		}
	}
	if w.flexible {
		w.tags()
	}
}

// tags skips a tagged-field section, charging each field: kmsg keeps
// unknown ones in a map.
func (w *bodyWalker) tags() {
	for n := w.uvarint(); n > 0 && w.err == nil; n-- {
		w.uvarint()
		size := w.uvarint()
		if size > uint64(len(w.b)) {
			w.fail("tagged field past the end")
			return
		}
		w.charge(64 + int64(size))
		w.skip(int(size))
	}
}
