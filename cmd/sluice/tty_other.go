//go:build !linux

package main

// isTTY reports whether v is a character device; outside Linux this is
// the closest portable test for a terminal.
func isTTY(v any) bool { return isTerminal(v) }
