// Package journaltest writes real systemd journal files for the agent's
// journald tests and for `sluice-bench agent`: it feeds journal export
// format (systemd's "Journal Export Format": FIELD=value lines, an empty
// line after each entry) to Debian's systemd-journal-remote, which writes
// the binary journal file that journalctl, sd_journal and rsyslog's
// imjournal read.
//
// Nothing here takes a testing.TB: errors are returned, naming the Debian
// package to install when a tool is missing.
package journaltest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
)

// Remote is Debian's systemd-journal-remote (package
// systemd-journal-remote, installed by scripts/peers.sh).
const Remote = "/lib/systemd/systemd-journal-remote"

// Tools reports which of the journal tools (systemd-journal-remote,
// journalctl) is missing, and which Debian package holds it.
func Tools() error {
	if _, err := os.Stat(Remote); err != nil {
		return fmt.Errorf("%s is missing (Debian package systemd-journal-remote; scripts/peers.sh installs it): %w", Remote, err)
	}
	if _, err := exec.LookPath("journalctl"); err != nil {
		return fmt.Errorf("journalctl is missing (Debian package systemd): %w", err)
	}
	return nil
}

// Write appends the entries of export (journal export format) to the
// journal file path, which must end in .journal; it creates the file if
// need be. systemd-journal-remote may start further files next to it
// (path with an @… suffix) when one grows past its size limit: readers of
// the directory see them all.
func Write(ctx context.Context, path string, export io.Reader) error {
	cmd := exec.CommandContext(ctx, Remote, "--output="+path, "-")
	cmd.Stdin = export
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s --output=%s: %w\n%s", Remote, path, err, out.Bytes())
	}
	return nil
}
