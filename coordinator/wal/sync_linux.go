//go:build linux

package wal

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// syncData makes f's written data durable with fdatasync(2), as etcd's WAL
// does on Linux: like fsync it flushes the file's size (which an append
// changes) but not its timestamps, so it costs less per write.
func syncData(f *os.File) error {
	return onFD(f, "fdatasync", func(fd int) error { return syscall.Fdatasync(fd) })
}

// syncRange writes the dirty pages of f's byte range [off, off+n) to the
// disk and waits for them (sync_file_range(2)): it bounds how much of a
// large file is dirty at once. It does not make the file durable (no
// metadata, no disk cache flush): the caller still fsyncs at the end.
func syncRange(f *os.File, off, n int64) error {
	return onFD(f, "sync_file_range", func(fd int) error {
		return unix.SyncFileRange(fd, off, n,
			unix.SYNC_FILE_RANGE_WAIT_BEFORE|unix.SYNC_FILE_RANGE_WRITE|unix.SYNC_FILE_RANGE_WAIT_AFTER)
	})
}

// onFD runs call on f's descriptor, again while it is interrupted.
func onFD(f *os.File, op string, call func(fd int) error) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		for {
			if serr = call(int(fd)); serr != syscall.EINTR {
				return
			}
		}
	}); err != nil {
		return err
	}
	if serr != nil {
		return &os.PathError{Op: op, Path: f.Name(), Err: serr}
	}
	return nil
}
