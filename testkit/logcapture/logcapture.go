// Package logcapture gives tests a slog.Logger whose output they can read
// while the code under test goes on logging, to check what a program says
// (a clear error) and what it must never say (a secret).
package logcapture

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
)

// Buffer holds everything logged so far; safe for concurrent use.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// New returns a debug-level text logger writing into a new Buffer.
func New() (*slog.Logger, *Buffer) {
	b := &Buffer{}
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug})), b
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns what was logged so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Contains reports whether s was logged so far.
func (b *Buffer) Contains(s string) bool { return strings.Contains(b.String(), s) }
