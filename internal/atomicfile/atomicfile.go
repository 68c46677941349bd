// Package atomicfile replaces files so that a crash leaves either the old
// content or the new one, whole: the new content is written to a temporary
// file beside the target (its name plus ".tmp"), fsynced, renamed over the
// target, and the directory fsynced so that the rename lasts. The
// checkpoints of the broker's logs and the coordinator's snapshots are
// written this way.
//
// Writers of one path must not run at once: they share the temporary
// name. A crash may leave that temporary file behind; the next write of
// the path replaces it.
package atomicfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// TempSuffix ends the name of the temporary file a write goes through.
const TempSuffix = ".tmp"

// Write replaces path with what write writes to the temporary file (which
// write may also seek in and rewrite). On an error the temporary file is
// removed and path is left as it was, unless only the directory's fsync
// failed: then path holds the new content, which may not outlast a crash.
func Write(path string, write func(f *os.File) error) error {
	tmp := path + TempSuffix
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	err = write(f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return SyncDir(filepath.Dir(path))
}

// WriteFile replaces path with data.
func WriteFile(path string, data []byte) error {
	return Write(path, func(f *os.File) error {
		_, err := f.Write(data)
		return err
	})
}

// SyncDir fsyncs the directory dir, so that the files created, renamed or
// removed in it stay so after a crash.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	if err := errors.Join(d.Sync(), d.Close()); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
