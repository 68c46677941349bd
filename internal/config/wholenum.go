package config

import (
	"fmt"
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"
)

// fractions finds the numbers with a fraction given for integer fields:
// yaml.v3 decodes `limit: 1.5` into an int as 1 without a word, so an
// operator's typo would silently become another value. It walks the
// document beside out's type (by the fields' yaml names) and reports each
// such key at its line; values of types that decode themselves are theirs.
func fractions(file string, n *yaml.Node, t reflect.Type, path string, errs *Errors) {
	if n == nil || t == nil {
		return
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		return
	}
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			fractions(file, c, t, path, errs)
		}
	case yaml.AliasNode:
		fractions(file, n.Alias, t, path, errs)
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			key := k.Value
			if path != "" {
				key = path + "." + k.Value
			}
			switch t.Kind() {
			case reflect.Struct:
				fractions(file, v, fieldType(t, k.Value), key, errs)
			case reflect.Map:
				fractions(file, v, t.Elem(), key, errs)
			}
		}
	case yaml.SequenceNode:
		if t.Kind() == reflect.Slice || t.Kind() == reflect.Array {
			for i, c := range n.Content {
				fractions(file, c, t.Elem(), fmt.Sprintf("%s[%d]", path, i), errs)
			}
		}
	case yaml.ScalarNode:
		switch t.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			if n.Tag == "!!float" {
				*errs = append(*errs, &Error{File: file, Line: n.Line, Key: path,
					Err: fmt.Errorf("want a whole number, not %s", n.Value)})
			}
		}
	}
}

var unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()

// fieldType is the type of t's field that yaml.v3 decodes key into: the
// name in its yaml tag, else the field's name in lower case, looking into
// ",inline" structs; nil when t has no such field.
func fieldType(t reflect.Type, key string) reflect.Type {
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" {
			continue
		}
		if strings.Contains(","+opts+",", ",inline,") {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				if inner := fieldType(ft, key); inner != nil {
					return inner
				}
			} else if ft.Kind() == reflect.Map {
				return ft.Elem()
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		if name == key {
			return f.Type
		}
	}
	return nil
}
