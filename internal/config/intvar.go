package config

import (
	"math"
	"time"
)

// IntVar is an integer field of a configuration struct, as a properties
// key holds it: a table of keys and IntVars lets one loop parse, validate
// and render them.
type IntVar interface {
	Get() int64
	// Set stores n, reporting false (and storing nothing) when the
	// field's type cannot hold it.
	Set(n int64) bool
}

type intVar[T ~int | ~int16 | ~int32 | ~int64] struct{ p *T }

// Int binds an integer field.
func Int[T ~int | ~int16 | ~int32 | ~int64](p *T) IntVar { return intVar[T]{p} }

func (v intVar[T]) Get() int64 { return int64(*v.p) }

func (v intVar[T]) Set(n int64) bool {
	if int64(T(n)) != n {
		return false
	}
	*v.p = T(n)
	return true
}

type millisVar struct{ p *time.Duration }

// Millis binds a duration field that a key gives in milliseconds.
func Millis(p *time.Duration) IntVar { return millisVar{p} }

func (v millisVar) Get() int64 { return v.p.Milliseconds() }

func (v millisVar) Set(n int64) bool {
	if n > math.MaxInt64/int64(time.Millisecond) || n < math.MinInt64/int64(time.Millisecond) {
		return false
	}
	*v.p = time.Duration(n) * time.Millisecond
	return true
}
