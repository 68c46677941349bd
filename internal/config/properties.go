package config

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Properties is a parsed Java-style properties file (key=value or key: value
// per line, # and ! comments), as ZooKeeper's zoo.cfg and Kafka's
// server.properties are. It remembers the line of every key, and which keys
// were read, so that errors can name the line and unknown keys can be warned
// about.
type Properties struct {
	File    string
	entries map[string]entry
	used    map[string]bool
}

type entry struct {
	value string
	line  int
}

// LoadProperties reads and parses the properties file at path.
func LoadProperties(path string) (*Properties, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return ParseProperties(path, b)
}

// ParseProperties parses properties text; file names it in errors. A line
// without = or : and a key given twice are errors. A line ending in an odd
// number of backslashes goes on on the next line, whose leading blanks are
// dropped, as in Java (Kafka's documented sasl.jaas.config values use it);
// no other escape is interpreted.
func ParseProperties(file string, text []byte) (*Properties, error) {
	p := &Properties{File: file, entries: map[string]entry{}, used: map[string]bool{}}
	var errs Errors
	sc := bufio.NewScanner(bytes.NewReader(text))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue
		}
		first := n
		for continued(line) && sc.Scan() {
			n++
			line = line[:len(line)-1] + strings.TrimSpace(sc.Text())
		}
		i := strings.IndexAny(line, "=:")
		if i <= 0 {
			errs = append(errs, &Error{File: file, Line: first, Err: fmt.Errorf("expected key=value, got %q", line)})
			continue
		}
		key := strings.TrimSpace(line[:i])
		if prev, dup := p.entries[key]; dup {
			errs = append(errs, &Error{File: file, Line: first, Key: key, Err: fmt.Errorf("given twice (first on line %d)", prev.line)})
			continue
		}
		p.entries[key] = entry{value: strings.TrimSpace(line[i+1:]), line: first}
	}
	if err := sc.Err(); err != nil {
		return nil, &Error{File: file, Err: err}
	}
	return p, errs.Err()
}

// continued reports whether line ends in an odd number of backslashes.
func continued(line string) bool {
	n := len(line) - len(strings.TrimRight(line, "\\"))
	return n%2 == 1
}

// Lookup returns the raw value of key and whether it is set, and marks the
// key as known.
func (p *Properties) Lookup(key string) (string, bool) {
	p.used[key] = true
	e, ok := p.entries[key]
	return e.value, ok
}

// Line returns the line key is on, or 0 when it is not set.
func (p *Properties) Line(key string) int { return p.entries[key].line }

// Errorf returns an Error about key, located at its line.
func (p *Properties) Errorf(key, format string, args ...any) *Error {
	return &Error{File: p.File, Line: p.Line(key), Key: key, Err: fmt.Errorf(format, args...)}
}

// String returns the value of key, or def when it is not set.
func (p *Properties) String(key, def string) string {
	if v, ok := p.Lookup(key); ok {
		return v
	}
	return def
}

// Int returns the integer value of key, or def when it is not set.
func (p *Properties) Int(key string, def int) (int, error) {
	v, ok := p.Lookup(key)
	if !ok {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, p.Errorf(key, "%q is not an integer", v)
	}
	return n, nil
}

// Int64 returns the 64-bit integer value of key, or def when it is not set.
func (p *Properties) Int64(key string, def int64) (int64, error) {
	v, ok := p.Lookup(key)
	if !ok {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, p.Errorf(key, "%q is not an integer", v)
	}
	return n, nil
}

// Bool returns the boolean value (true/false, any case) of key, or def.
func (p *Properties) Bool(key string, def bool) (bool, error) {
	v, ok := p.Lookup(key)
	if !ok {
		return def, nil
	}
	switch strings.ToLower(v) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, p.Errorf(key, "%q is not true or false", v)
}

// Millis returns the value of key, a count of milliseconds, as a duration.
func (p *Properties) Millis(key string, def time.Duration) (time.Duration, error) {
	n, err := p.Int64(key, def.Milliseconds())
	if err != nil {
		return 0, err
	}
	return time.Duration(n) * time.Millisecond, nil
}

// Prefixed returns the keys that start with prefix, sorted, and marks them
// known (e.g. "server." for zoo.cfg's server.N lines).
func (p *Properties) Prefixed(prefix string) []string {
	var keys []string
	for k := range p.entries {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
			p.used[k] = true
		}
	}
	sort.Strings(keys)
	return keys
}

// Unknown returns, sorted by line, the keys that were never looked up: the
// ones the program does not know, to be warned about.
func (p *Properties) Unknown() []*Error {
	var out []*Error
	for k, e := range p.entries {
		if !p.used[k] {
			out = append(out, &Error{File: p.File, Line: e.line, Key: k, Err: fmt.Errorf("unknown key")})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Line < out[j].Line })
	return out
}
