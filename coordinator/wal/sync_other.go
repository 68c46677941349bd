//go:build !linux

package wal

import "os"

// syncData makes f's written data durable (fsync; fdatasync on Linux).
func syncData(f *os.File) error { return f.Sync() }
