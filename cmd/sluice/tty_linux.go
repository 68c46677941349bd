package main

import (
	"os"

	"golang.org/x/sys/unix"
)

// isTTY reports whether v is an *os.File open on a terminal (it answers
// the terminal ioctl, which /dev/null, itself a character device, does not).
func isTTY(v any) bool {
	f, ok := v.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}
