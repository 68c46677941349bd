//go:build !linux

package wal

import "os"

// syncData makes f's written data durable (fsync; fdatasync on Linux).
func syncData(f *os.File) error { return f.Sync() }

// syncRange has no portable equivalent of sync_file_range(2): the final
// fsync writes everything.
func syncRange(*os.File, int64, int64) error { return nil }
