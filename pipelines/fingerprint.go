package pipelines

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/binary"
	"hash"
	"math/bits"
	"sort"
	"strconv"
)

// The fingerprint processor hashes the named fields (sorted by name, and
// the members of objects by key) as name and value records, each string
// preceded by its length, so that field boundaries cannot be forged. The
// result is base64, like Elasticsearch's; the exact bytes hashed are ours,
// so the values differ from Elasticsearch's.

func buildFingerprint(o *opts, ignoreMissing bool) doFunc {
	fields := o.strs("fields")
	if len(fields) == 0 {
		o.errorf(o.keys["fields"][1], "fields: want at least one field")
		return nil
	}
	target := newPath(o.str("target_field", "fingerprint"))
	method, mn := o.strNode("method")
	salt := o.str("salt", "")
	var newHash func() hash.Hash
	switch method {
	case "", "SHA-1":
		newHash = sha1.New
	case "SHA-256":
		newHash = sha256.New
	case "SHA-512":
		newHash = sha512.New
	case "MD5":
		newHash = md5.New
	case "MurmurHash3":
		newHash = func() hash.Hash { return &murmur3{} }
	default:
		o.errorf(mn, "method: want SHA-1, SHA-256, SHA-512, MD5 or MurmurHash3, not %q", method)
		return nil
	}
	sort.Strings(fields)
	paths := make([]path, len(fields))
	for i, f := range fields {
		paths[i] = newPath(f)
	}
	return func(ev Event, _ *state) error {
		h := newHash()
		var buf []byte
		buf = appendRecord(buf, salt)
		found := 0
		for _, p := range paths {
			v, ok := p.get(ev)
			if !ok {
				if ignoreMissing {
					continue
				}
				return missingError(p)
			}
			found++
			buf = appendRecord(buf, p.name)
			buf = appendValueBytes(buf, v)
		}
		if found == 0 {
			return nil
		}
		h.Write(buf)
		return target.set(ev, base64.StdEncoding.EncodeToString(h.Sum(nil)))
	}
}

func appendRecord(b []byte, s string) []byte {
	b = strconv.AppendInt(b, int64(len(s)), 10)
	b = append(b, ':')
	return append(b, s...)
}

func appendValueBytes(b []byte, v any) []byte {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b = append(b, '{')
		for _, k := range keys {
			b = appendRecord(b, k)
			b = appendValueBytes(b, x[k])
		}
		return append(b, '}')
	case []any:
		b = append(b, '[')
		for _, e := range x {
			b = appendValueBytes(b, e)
		}
		return append(b, ']')
	case string:
		return appendRecord(append(b, 's'), x)
	case nil:
		return append(b, 'n')
	}
	return appendRecord(append(b, 'v'), toString(v))
}

// murmur3 is MurmurHash3 x86 32-bit with seed 0, written from the
// published algorithm; it buffers its input (fingerprints are short).
type murmur3 struct{ data []byte }

func (m *murmur3) Write(p []byte) (int, error) { m.data = append(m.data, p...); return len(p), nil }
func (m *murmur3) Reset()                      { m.data = m.data[:0] }
func (m *murmur3) Size() int                   { return 4 }
func (m *murmur3) BlockSize() int              { return 4 }

func (m *murmur3) Sum(b []byte) []byte {
	return binary.BigEndian.AppendUint32(b, murmur3Sum32(m.data, 0))
}

func murmur3Sum32(data []byte, seed uint32) uint32 {
	const c1, c2 = 0xcc9e2d51, 0x1b873593
	h := seed
	n := len(data) / 4
	for i := 0; i < n; i++ {
		k := binary.LittleEndian.Uint32(data[4*i:])
		k *= c1
		k = bits.RotateLeft32(k, 15)
		k *= c2
		h ^= k
		h = bits.RotateLeft32(h, 13)
		h = h*5 + 0xe6546b64
	}
	tail := data[4*n:]
	var k uint32
	switch len(tail) {
	case 3:
		k ^= uint32(tail[2]) << 16
		fallthrough
	case 2:
		k ^= uint32(tail[1]) << 8
		fallthrough
	case 1:
		k ^= uint32(tail[0])
		k *= c1
		k = bits.RotateLeft32(k, 15)
		k *= c2
		h ^= k
	}
	h ^= uint32(len(data))
	h ^= h >> 16
	h *= 0x85ebca6b
	h ^= h >> 13
	h *= 0xc2b2ae35
	h ^= h >> 16
	return h
}
