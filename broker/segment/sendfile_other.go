//go:build !linux

package segment

import (
	"io"
	"os"
)

// sendfile is Linux-only; elsewhere WriteTo falls back to io.Copy.
func sendfile(io.Writer, *os.File, int64, int64) (int64, bool, error) { return 0, false, nil }

// SendfileTo reports whether WriteTo reaches w with sendfile(2): never here.
func SendfileTo(io.Writer) bool { return false }
