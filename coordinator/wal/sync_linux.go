//go:build linux

package wal

import (
	"os"
	"syscall"
)

// syncData makes f's written data durable with fdatasync(2), as etcd's WAL
// does on Linux: like fsync it flushes the file's size (which an append
// changes) but not its timestamps, so it costs less per write.
func syncData(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		for {
			if serr = syscall.Fdatasync(int(fd)); serr != syscall.EINTR {
				return
			}
		}
	}); err != nil {
		return err
	}
	if serr != nil {
		return &os.PathError{Op: "fdatasync", Path: f.Name(), Err: serr}
	}
	return nil
}
