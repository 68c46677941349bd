// Package dirlock keeps two processes from using one data directory: a
// broker's log directory, a coordinator's dataDir, an agent's registry.
// Two writers of one segment log, Raft log or registry file would each
// overwrite what the other wrote, so the second to start must refuse, as
// Kafka's broker does with the .lock file in each log directory and
// Filebeat with its data path's lock.
//
// The lock is flock(2) on <dir>/.lock, exclusive and not waited for: the
// kernel releases it when the process ends, however it ends (kill -9
// included), so a lock never outlives its holder and there is nothing to
// clean up. flock locks an open file, not a process, so a second Take of
// the same directory in one process fails too.
package dirlock

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// ErrHeld is returned by Take when another holder has the directory.
var ErrHeld = errors.New("in use by another process (its .lock is held)")

// Lock is a held directory lock.
type Lock struct{ f *os.File }

// Name is the lock file's name in the directory it locks.
const Name = ".lock"

// Take locks dir, which must exist. The error wraps ErrHeld when another
// holder has it, and names the directory either way.
func Take(dir string) (*Lock, error) {
	path := filepath.Join(dir, Name)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("data directory %s: %w", dir, ErrHeld)
		}
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	return &Lock{f: f}, nil
}

// Release gives the lock up; the file stays (removing it would let a
// process that opened it before the removal and one that opens it after
// both hold "the" lock). Release of a nil Lock does nothing.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close() // closing the last descriptor releases the flock
	l.f = nil
	return err
}
