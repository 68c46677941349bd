//go:build linux

package clustertest_test

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/sluicelogs/sluice/broker"
	"github.com/sluicelogs/sluice/testkit/testpeer"
)

// TestLogDirFullMovesLeadership: the partition leader's log directory is
// a tmpfs of 16 MiB, filled by another file during an acks=all load on a
// 3-broker cluster. The leader's next append fails with ENOSPC: it takes
// the directory offline, answers KAFKA_STORAGE_ERROR, and the controller
// gives the partition to an in-sync follower; the producer continues
// against it, and every acknowledged record is read back, once, with a
// valid CRC. With space freed and the broker restarted, it rejoins the
// ISR.
func TestLogDirFullMovesLeadership(t *testing.T) {
	mounts := map[int]string{}
	runLogDirFailover(t, storageFault{
		prepare: func(t *testing.T, id int, dir string) func(*broker.Config) {
			logs := filepath.Join(dir, "logs")
			if err := os.MkdirAll(logs, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := syscall.Mount("tmpfs", logs, "tmpfs", 0, "size=16m"); err != nil {
				if os.Geteuid() == 0 { // root (make test here and in CI) can: a failure is real
					t.Fatalf("mount a 16 MiB tmpfs on %s as root: %v", logs, err)
				}
				testpeer.Skip(t, "cannot mount a tmpfs (%v: needs root or CAP_SYS_ADMIN); TestLogDirWriteFaultMovesLeadership covers the same path with an injected ENOSPC", err)
			}
			t.Cleanup(func() { _ = syscall.Unmount(logs, syscall.MNT_DETACH) })
			mounts[id] = logs
			return func(*broker.Config) {}
		},
		fill: func(t *testing.T, id int) {
			f, err := os.Create(filepath.Join(mounts[id], "filler"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			chunk := make([]byte, 64<<10)
			for {
				if _, err := f.Write(chunk); err != nil {
					if !errors.Is(err, syscall.ENOSPC) {
						t.Fatalf("filling the tmpfs: %v", err)
					}
					return
				}
			}
		},
		repair: func(t *testing.T, id int) {
			if err := os.Remove(filepath.Join(mounts[id], "filler")); err != nil {
				t.Fatal(err)
			}
		},
	})
}
