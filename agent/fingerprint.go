package agent

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"

	"github.com/sluicelogs/sluice/agent/harvester"
)

// fingerprintKeyPrefix starts the registry key (after "<input id>/") of a
// file under the fingerprint identity; native keys are "<dev>-<ino>".
const fingerprintKeyPrefix = "fingerprint-"

// errTooShort says a file has fewer bytes than its fingerprint covers.
var errTooShort = errors.New("shorter than the fingerprint")

// fingerprint returns the hex SHA-256 of the file's bytes [offset,
// offset+length) (prospector.scanner.fingerprint), or errTooShort.
func fingerprint(f *os.File, fc FingerprintConfig) (string, error) {
	buf := make([]byte, fc.Length)
	n, err := f.ReadAt(buf, fc.Offset)
	if n < fc.Length {
		if err == nil || errors.Is(err, io.EOF) {
			err = errTooShort
		}
		return "", err
	}
	sum := sha256.Sum256(buf)
	return hex.EncodeToString(sum[:]), nil
}

// fileKey returns the registry key of the file at path under the input's
// identity (id is its device and inode), and false when the file has no
// key yet: under the fingerprint identity, until it has offset+length
// bytes (it is not read before, as in Filebeat). Under the fingerprint
// identity, a file the registry knows by its device and inode has its
// entry moved to its fingerprint (migrate).
func (in *input) fileKey(path string, id harvester.ID) (string, bool) {
	native := in.cfg.ID + "/" + id.String()
	if in.cfg.Identity() != IdentityFingerprint {
		return native, true // nothing to open: scans stay cheap
	}
	f, err := os.Open(path)
	if err != nil {
		return "", false
	}
	defer f.Close()
	sum, err := fingerprint(f, in.cfg.Fingerprint())
	if err != nil {
		if !errors.Is(err, errTooShort) {
			in.log.Warn("cannot fingerprint file", "path", path, "err", err)
		}
		return "", false
	}
	key := in.cfg.ID + "/" + fingerprintKeyPrefix + sum
	in.migrate(f, path, native, key)
	return key, true
}

// adoptFingerprintEntry is the other way of fileKey's migration: under
// the native identity, a file about to be read that has no entry under
// key (its device and inode) takes its fingerprint's entry, if the
// registry has one. It is called only then (not at every scan), so that
// native scans open no file.
func (in *input) adoptFingerprintEntry(path, key string) {
	fc := in.cfg.Fingerprint()
	if in.cfg.Identity() == IdentityFingerprint || !*fc.Enabled {
		return
	}
	if _, ok := in.reg.Get(key); ok {
		return
	}
	f, err := os.Open(path)
	if err != nil {
		return
	}
	defer f.Close()
	if sum, err := fingerprint(f, fc); err == nil {
		in.migrate(f, path, in.cfg.ID+"/"+fingerprintKeyPrefix+sum, key)
	}
}

// migrate moves the registry entry of the file f (at path) from key from
// to key to, when to has none, from has one, no harvester reads it, and
// from's entry is this file's (the same first bytes, and the bytes before
// its offset): so that changing file_identity (or its default) neither
// reads again what was shipped nor skips what was not.
func (in *input) migrate(f *os.File, path, from, to string) {
	if _, ok := in.reg.Get(to); ok {
		return
	}
	e, ok := in.reg.Get(from)
	if !ok || in.trackers.has(from) {
		return
	}
	if !sameFile(f, e.Offset, entryFingerprint(e.FPLen, e.FPHash()), entryFingerprint(e.TailLen, e.TailHash())) {
		return
	}
	e.Key = to
	in.reg.Set(e)
	in.reg.Delete(from)
	in.trackers.kick() // the registry writer writes it
	in.log.Info("registry entry moved to the input's file identity", "path", path, "from", from, "to", to, "offset", e.Offset)
}

// entryFingerprint is a registry entry's fingerprint or tail check.
func entryFingerprint(n int, hash uint64) harvester.Fingerprint {
	return harvester.Fingerprint{Len: n, Hash: hash}
}

// sameFile reports whether f is the file a registry entry describes: it
// reaches offset, its first fp.Len bytes hash to fp and the bytes before
// offset to check (when the entry has one).
func sameFile(f *os.File, offset int64, fp, check harvester.Fingerprint) bool {
	fi, err := f.Stat()
	if err != nil || fi.Size() < offset {
		return false
	}
	got, err := harvester.ReadFingerprint(f, fp.Len)
	if err != nil || got != fp {
		return false
	}
	if check.Len == 0 {
		return true
	}
	got, err = harvester.ReadTail(f, offset, check.Len)
	return err == nil && got == check
}

// truncatedByContent notes that a harvester stopped because its file was
// truncated under the fingerprint identity: the entry of what it read
// stays (a copy with the same first bytes continues from it), and the
// truncated file is found again by a scan once it has its own fingerprint.
func (in *input) truncatedByContent(path string) {
	in.metrics.truncations.Inc()
	in.log.Info("file truncated; read again from the start once it has a fingerprint of its own", "path", path)
}
