package wal

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"sync/atomic"
)

// Preallocation. An fdatasync after appending to a file must also commit
// the file's new size and block allocation; one after overwriting blocks
// that exist and are durable only writes the data, which on ext4 here costs
// about two thirds as much. So, as ZooKeeper pads its transaction log, the
// segment being written is filled with zeros ahead of the write offset, by a
// goroutine of the WAL, in pieces each followed by fdatasync (so that the
// log's own fdatasync never waits for much of it): a chunk of half the
// segment's size, 1 to 16 MiB, whenever less than half a chunk remains.
//
// Invariants: records are written only below pad.start while a fill is in
// progress (a write that would reach it waits for the fill); only the last
// segment has a zero tail (a segment is truncated to its records before the
// next one is created, and on Close); replay treats zeros after the last
// record as the end of the log (see scanSegment).
const (
	minPadChunk = 1 << 20
	maxPadChunk = 16 << 20
	padPiece    = 256 << 10
)

// padding is a zero fill of [start, end) of the segment being written.
type padding struct {
	start, end int64
	stop       atomic.Bool // ends the fill after the piece being written
	done       chan struct{}
	err        error // set before done is closed
}

// maybePad starts filling the segment ahead of the write offset if the
// zeros left ahead of it are running out. Called with mu held.
func (w *WAL) maybePad() {
	if w.pad != nil {
		select {
		case <-w.pad.done:
			w.finishPad()
		default:
			return
		}
	}
	chunk := min(max(w.off, minPadChunk), maxPadChunk)
	if w.noPad || w.padded-w.off >= chunk/2 {
		return
	}
	p := &padding{start: max(w.padded, w.off), done: make(chan struct{})}
	p.end = p.start + chunk
	w.pad = p
	if w.zeros == nil {
		w.zeros = make([]byte, padPiece) // only ever read
	}
	f, zeros := w.f, w.zeros
	w.padWG.Add(1)
	go func() { // owned by the WAL: finishPad, startSegment and Close wait for it
		defer w.padWG.Done()
		defer close(p.done)
		p.err = zeroFill(f, zeros, p.start, p.end, &p.stop)
	}()
}

// finishPad waits for the fill in progress, if any, and records it. Called
// with mu held.
func (w *WAL) finishPad() {
	if w.pad == nil {
		return
	}
	<-w.pad.done
	switch {
	case w.pad.stop.Load():
		// Stopped part way (trimPadding): nothing more is known durable.
	case w.pad.err != nil:
		// Appending without zeros ahead is as correct, only slower; the
		// next segment tries again.
		w.log.Warn("preallocating the log segment failed", "file", w.fpath, "err", w.pad.err.Error())
		w.noPad = true
	default:
		w.padded = w.pad.end
	}
	w.pad = nil
}

// trimPadding stops any fill and cuts the zeros after the records off the
// segment being written, durably. Called with mu held.
func (w *WAL) trimPadding() error {
	if w.pad != nil {
		w.pad.stop.Store(true)
	}
	w.finishPad()
	if err := w.f.Truncate(w.off); err != nil {
		return fmt.Errorf("wal: truncate %s: %w", w.fpath, err)
	}
	if err := w.f.Sync(); err != nil {
		return fmt.Errorf("wal: sync %s: %w", w.fpath, err)
	}
	w.padded = w.off
	return nil
}

func zeroFill(f *os.File, zeros []byte, start, end int64, stop *atomic.Bool) error {
	for off := start; off < end && !stop.Load(); off += padPiece {
		n := min(padPiece, end-off)
		if _, err := f.WriteAt(zeros[:n], off); err != nil {
			return err
		}
		if err := syncData(f); err != nil {
			return err
		}
	}
	return nil
}

// zerosFrom reports whether the file holds only zero bytes from off to its
// end (the unused part of a preallocated segment).
func zerosFrom(f *os.File, off int64) (bool, error) {
	buf := make([]byte, 64<<10)
	for {
		n, err := f.ReadAt(buf, off)
		if !isZero(buf[:n]) {
			return false, nil
		}
		off += int64(n)
		if err == io.EOF {
			return true, nil
		}
		if err != nil {
			return false, err
		}
	}
}

func isZero(b []byte) bool {
	var zeros [4096]byte
	for len(b) > 0 {
		n := min(len(b), len(zeros))
		if !bytes.Equal(b[:n], zeros[:n]) {
			return false
		}
		b = b[n:]
	}
	return true
}
