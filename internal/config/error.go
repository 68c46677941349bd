package config

import (
	"errors"
	"fmt"
)

// Error is a configuration error located in a file.
type Error struct {
	File string // path of the configuration file
	Line int    // 1-based line, 0 when the error is about the whole file
	Key  string // the key the error is about, "" when none
	Err  error
}

func (e *Error) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d", e.File, e.Line)
	}
	if loc == "" { // about a configuration built in code
		if e.Key != "" {
			return fmt.Sprintf("%s: %v", e.Key, e.Err)
		}
		return e.Err.Error()
	}
	if e.Key != "" {
		return fmt.Sprintf("%s: %s: %v", loc, e.Key, e.Err)
	}
	return fmt.Sprintf("%s: %v", loc, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Errors is a list of configuration errors reported together.
type Errors []*Error

func (es Errors) Error() string {
	errs := make([]error, len(es))
	for i, e := range es {
		errs[i] = e
	}
	return errors.Join(errs...).Error()
}

// Addf adds an error about key, to be located by the loader of a file
// (see Properties.Locate); a struct's Validate reports with it.
func (es *Errors) Addf(key, format string, args ...any) {
	*es = append(*es, &Error{Key: key, Err: fmt.Errorf(format, args...)})
}

// Err returns nil for an empty list, else the list as an error.
func (es Errors) Err() error {
	if len(es) == 0 {
		return nil
	}
	return es
}
