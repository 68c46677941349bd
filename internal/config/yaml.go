package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"strconv"

	"gopkg.in/yaml.v3"
)

// LoadYAML reads the YAML file at path into out, rejecting keys that out
// does not have. Errors are *Error (or Errors) naming file, line and key.
func LoadYAML(path string, out any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	return DecodeYAML(path, b, out)
}

// DecodeYAML decodes YAML text into out, rejecting unknown keys; file names
// the text in errors. An empty document leaves out as it was (its defaults).
func DecodeYAML(file string, text []byte, out any) error {
	dec := yaml.NewDecoder(bytes.NewReader(text))
	dec.KnownFields(true)
	err := dec.Decode(out)
	if errors.Is(err, io.EOF) {
		return nil
	}
	if err == nil {
		var root yaml.Node
		if yaml.Unmarshal(text, &root) != nil {
			return nil
		}
		var errs Errors
		fractions(file, &root, reflect.TypeOf(out), "", &errs)
		return errs.Err()
	}
	// A second parse, into nodes, finds the full key path at a line.
	var root yaml.Node
	_ = yaml.Unmarshal(text, &root)
	var te *yaml.TypeError
	if errors.As(err, &te) {
		var errs Errors
		for _, msg := range te.Errors {
			errs = append(errs, yamlError(file, msg, &root))
		}
		return errs
	}
	return yamlError(file, err.Error(), &root)
}

var (
	yamlLine  = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
	yamlField = regexp.MustCompile(`^field (\S+) not found in type `)
	yamlValue = regexp.MustCompile(`^cannot unmarshal \S+ (.*) into (\S+)$`)
)

// yamlError turns one of yaml.v3's messages ("line 3: field foo not found in
// type main.T") into an Error with file, line and the dotted key path.
func yamlError(file, msg string, root *yaml.Node) *Error {
	e := &Error{File: file, Err: errors.New(msg)}
	m := yamlLine.FindStringSubmatch(msg)
	if m == nil {
		return e
	}
	e.Line, _ = strconv.Atoi(m[1])
	rest := m[2]
	if f := yamlField.FindStringSubmatch(rest); f != nil {
		e.Key, e.Err = keyAtLine(root, e.Line, "", f[1]), errors.New("unknown key")
		return e
	}
	if v := yamlValue.FindStringSubmatch(rest); v != nil {
		e.Key, e.Err = keyAtLine(root, e.Line, "", ""), fmt.Errorf("value %s is not a valid %s", v[1], v[2])
		return e
	}
	e.Err = errors.New(rest)
	return e
}

// keyAtLine returns the dotted path of the deepest mapping key (named name,
// when name is not "") whose key or value starts at line; list items appear
// as [i]. It returns name when no such key is found.
func keyAtLine(n *yaml.Node, line int, prefix, name string) string {
	found := ""
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			if k := keyAtLine(c, line, prefix, name); k != "" {
				found = k
			}
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			path := k.Value
			if prefix != "" {
				path = prefix + "." + k.Value
			}
			if (k.Line == line || v.Line == line) && (name == "" || k.Value == name) {
				found = path
			}
			if deeper := keyAtLine(v, line, path, name); deeper != "" && deeper != name {
				found = deeper
			}
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			if k := keyAtLine(c, line, fmt.Sprintf("%s[%d]", prefix, i), name); k != "" && k != name {
				found = k
			}
		}
	}
	if found == "" {
		return name
	}
	return found
}
